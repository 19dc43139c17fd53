// The SFT mask (src/infer/chat-mask.ts): prompt tokens ignored, the assistant's answer and its
// end-of-turn marker learned, and equal to TRL 1.13's assistant_masks for the same ChatML
// template (test/fixtures/sft-rasbt/trl-masks.json, made by make-trl-masks.py from
// instruct-rasbt records) with GPT-2's tokenizer and with a tokenizer where <|im_end|> is one
// special token. --train-on-prompt learns every token; sftBatch turns the mask into targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConversations } from '../../src/data/sft-data.ts';
import { ChatTemplate } from '../../src/infer/chat-template.ts';
import { renderForTraining } from '../../src/infer/chat-mask.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { IGNORE, sftBatch } from '../../src/train/objectives/causal-lm.ts';

const DIR = 'test/fixtures/sft-rasbt';
interface Case { tokenizer: string; index: number; messages: { role: string; content: string }[]; input_ids: number[]; assistant_masks: number[] }
const fixture = JSON.parse(readFileSync(`${DIR}/trl-masks.json`, 'utf8')) as { cases: Case[] };
const tokenizers = { gpt2: loadTokenizer('test/fixtures/hf-gpt2-tokenizer/tokenizer.json'), 'tiny-chatml': loadTokenizer(`${DIR}/tokenizer-chatml.json`) };

test('the SFT mask equals TRL\'s assistant_masks on instruct-rasbt records (GPT-2 and a ChatML-special tokenizer)', () => {
  const chatml = ChatTemplate.chatml();
  const convs = parseConversations(readFileSync(`${DIR}/instruction-sample.json`, 'utf8'), 'instruction-sample.json');
  assert.equal(fixture.cases.length, 2 * (convs.length + 1));
  for (const c of fixture.cases) {
    if (c.index < convs.length) assert.deepEqual(convs[c.index]!.messages, c.messages, 'our Alpaca conversion is the one the fixture rendered');
    const r = renderForTraining(chatml, tokenizers[c.tokenizer as keyof typeof tokenizers], c.messages);
    assert.deepEqual(r.ids, c.input_ids, `${c.tokenizer} #${c.index}: ids`);
    assert.deepEqual(Array.from(r.mask), c.assistant_masks, `${c.tokenizer} #${c.index}: mask`);
  }
});

test('prompt tokens are ignored, the answer and <|im_end|> count; --train-on-prompt counts all; sftBatch shifts the mask', () => {
  const tok = tokenizers['tiny-chatml'];
  const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Bye' }, { role: 'assistant', content: 'Bye now.' }];
  const r = renderForTraining(ChatTemplate.chatml(), tok, messages);
  const learned = r.ids.filter((_, i) => r.mask[i]);
  assert.equal(tok.decode(learned), 'Hello!<|im_end|>Bye now.<|im_end|>');
  const end = tok.tokenToId('<|im_end|>')!;
  assert.equal(r.ids.filter((id, i) => id === end && r.mask[i]).length, 2, 'each assistant end-of-turn token is learned');
  assert.equal(r.ids.filter((id, i) => id === end && !r.mask[i]).length, 3, 'system and user end markers are not');
  const all = renderForTraining(ChatTemplate.chatml(), tok, messages, { trainOnPrompt: true });
  assert.deepEqual(all.ids, r.ids);
  assert.ok(all.mask.every((m) => m === 1));
  const T = r.ids.length - 1;
  const b = sftBatch([{ ids: r.ids, mask: r.mask }], { T, padId: 0 });
  for (let t = 0; t < T; t++) assert.equal(b.targets[t], r.mask[t + 1] ? r.ids[t + 1] : IGNORE, `target ${t}`);
});

test('a llama2.c (SentencePiece-style) tokenizer, whose decoding adds a dummy prefix space, gets the same answer span', () => {
  const tok = loadTokenizer('data/llama2c-stories260k/tok512.bin');
  const r = renderForTraining(ChatTemplate.chatml(), tok, [{ role: 'user', content: 'Tell me a story.' }, { role: 'assistant', content: 'Once upon a time, a cat sat.' }]);
  assert.equal(tok.decode(r.ids.filter((_, i) => r.mask[i])), 'Once upon a time, a cat sat.<|im_end|>');
});
