import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatTemplate } from '../../src/infer/chat-template.ts';
import { ChatSession, chatStopTokens, encodeChat, encodeWithSpecials } from '../../src/infer/chat.ts';
import { BpeTokenizer } from '../../src/tokenizer/bpe.ts';
import { Llama2cTokenizer } from '../../src/tokenizer/llama2c.ts';

const tok512 = Llama2cTokenizer.fromFile('data/llama2c-stories260k/tok512.bin');
const FIX = 'test/fixtures/chat-templates';

/** A byte-level BPE without merges: byte b = id b, plus three specials. */
function byteTok(): BpeTokenizer {
  const vocab = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  return new BpeTokenizer({ vocab, specialTokens: { '<|im_start|>': 256, '<|im_end|>': 257, '<|endoftext|>': 258 }, pattern: 'gpt2' });
}
const bytes = (s: string): number[] => [...Buffer.from(s, 'utf8')];

test('encodeChat, ChatML on a vocabulary with its specials: markers are single ids, BOS (<|endoftext|>) first', () => {
  const tok = byteTok();
  const ids = encodeChat(tok, ChatTemplate.chatml(), [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }]);
  assert.deepEqual(ids, [258, 256, ...bytes('system\nBe kind.'), 257, ...bytes('\n'), 256, ...bytes('user\nHi'), 257, ...bytes('\n'), 256, ...bytes('assistant\n')]);
  assert.deepEqual(chatStopTokens(tok, ChatTemplate.chatml()).sort(), [257, 258]);
  // longest special first, and text between specials stays text
  assert.deepEqual(encodeWithSpecials(tok, 'a<|im_end|><|endoftext|>b'), [97, 257, 258, 98]);
});

test('encodeChat, llama2.c vocabulary: ChatML markers are text; <s>/</s> of a Mistral template are BOS/EOS ids', () => {
  const msgs = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Bye' }];
  const chatml = ChatTemplate.chatml();
  assert.deepEqual(encodeChat(tok512, chatml, msgs), [1, ...tok512.encode(chatml.render(msgs, { addGenerationPrompt: true }))]);
  const mistral = ChatTemplate.fromFile(`${FIX}/mistral/tokenizer_config.json`);
  // '<s>[INST] Hi [/INST]Hello</s> [INST] Bye [/INST]': the template's <s> is the BOS, none added
  assert.deepEqual(encodeChat(tok512, mistral, msgs), [1, ...tok512.encode('[INST] Hi [/INST]Hello'), 2, ...tok512.encode(' [INST] Bye [/INST]')]);
  assert.deepEqual(chatStopTokens(tok512, mistral).sort(), [1, 2]);
});

test('ChatSession: system prompt, history, answer marks, reset', () => {
  const s = new ChatSession(tok512, ChatTemplate.chatml(), { system: 'You tell stories.', contextLength: 512 });
  assert.equal(s.reserve, 256);
  const p1 = s.ask('Tell me about a cat.');
  assert.equal(p1.dropped, 0);
  assert.deepEqual(p1.ids, encodeChat(tok512, ChatTemplate.chatml(), [{ role: 'system', content: 'You tell stories.' }, { role: 'user', content: 'Tell me about a cat.' }]));
  s.answer('The cat sat', { interrupted: true });
  s.ask('And a dog?');
  s.answer('The dog ran.');
  assert.deepEqual(s.turns, [
    { role: 'user', content: 'Tell me about a cat.' },
    { role: 'assistant', content: 'The cat sat', interrupted: true },
    { role: 'user', content: 'And a dog?' },
    { role: 'assistant', content: 'The dog ran.' },
  ]);
  assert.equal(s.messages()[0]!.role, 'system');
  assert.equal(s.messages().length, 5);
  s.reset();
  assert.deepEqual(s.turns, []);
  assert.deepEqual(s.messages(), [{ role: 'system', content: 'You tell stories.' }]);
  // a question left without an answer (e.g. a failed generation) is replaced by the next one
  s.ask('one');
  s.ask('two');
  assert.deepEqual(s.turns, [{ role: 'user', content: 'two' }]);
  assert.throws(() => new ChatSession(tok512, ChatTemplate.chatml(), { contextLength: 0 }), /contextLength = 0/);
  assert.throws(() => new ChatSession(tok512, ChatTemplate.chatml(), { contextLength: 64, reserve: 64 }), /reserve = 64 must be an integer in \[0, 64\)/);
  const fresh = new ChatSession(tok512, ChatTemplate.chatml(), { contextLength: 64 });
  assert.throws(() => fresh.answer('x'), /answer\(\) without a question/);
});

test('ChatSession trimming: oldest exchanges go first, never the system prompt or the new message', () => {
  const chatml = ChatTemplate.chatml();
  const system = 'Short answers.';
  const len = (msgs: { role: string; content: string }[]): number => encodeChat(tok512, chatml, msgs).length;
  const sys = { role: 'system', content: system };
  const turns = [
    { role: 'user', content: 'first question about the sun' }, { role: 'assistant', content: 'first answer about the sun' },
    { role: 'user', content: 'second question about the moon' }, { role: 'assistant', content: 'second answer about the moon' },
  ];
  const next = { role: 'user', content: 'third question about the sea' };
  const all = len([sys, ...turns, next]);
  const withoutFirst = len([sys, ...turns.slice(2), next]);
  // a budget just too small for everything but big enough without the first exchange
  const reserve = 10;
  const s = new ChatSession(tok512, chatml, { system, contextLength: withoutFirst + reserve, reserve });
  assert.ok(all > withoutFirst);
  s.ask(turns[0]!.content); s.answer(turns[1]!.content);
  s.ask(turns[2]!.content); s.answer(turns[3]!.content);
  const p = s.ask(next.content);
  assert.equal(p.dropped, 2);
  assert.equal(p.ids.length, withoutFirst);
  assert.ok(p.ids.length <= s.contextLength - s.reserve);
  assert.deepEqual(s.messages(), [sys, ...turns.slice(2), next]);
  // a whole exchange (user + assistant) goes at once, so the history still starts with a user turn
  const tight = new ChatSession(tok512, chatml, { system, contextLength: len([sys, next]) + reserve, reserve });
  tight.ask('a'); tight.answer('b');
  assert.equal(tight.ask(next.content).dropped, 2);
  assert.deepEqual(tight.turns, [next]);
  // the system prompt and the message alone too long: E_PROMPT, history unchanged
  const tiny = new ChatSession(tok512, chatml, { system, contextLength: len([sys, next]) + reserve - 1, reserve });
  tiny.ask('x'); tiny.answer('y');
  assert.throws(() => tiny.ask(next.content), (e: Error & { code?: string }) => e.code === 'E_PROMPT' && /the message with the system prompt is \d+ tokens; the context holds \d+ with 10 kept for the answer/.test(e.message));
  assert.deepEqual(tiny.turns, [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }]);
});

test('ChatSession: a template that refuses the conversation leaves the history unchanged', () => {
  const mistral = ChatTemplate.fromFile(`${FIX}/mistral/tokenizer_config.json`);
  const s = new ChatSession(tok512, mistral, { system: 'no system allowed', contextLength: 512 });
  assert.throws(() => s.ask('hi'), /refused the conversation/);
  assert.deepEqual(s.turns, []);
  s.system = undefined;
  assert.equal(s.ask('hi').ids[0], 1);
});
