import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatTemplate, type ChatMessage } from '../../src/infer/chat-template.ts';
import { Llama2cTokenizer } from '../../src/tokenizer/llama2c.ts';

const FIX = 'test/fixtures/chat-templates';
const cfg = (name: string): string => path.join(FIX, name, 'tokenizer_config.json');

// One multi-turn conversation with a system prompt; U1 has whitespace around it (Llama 3 trims it).
const SYS: ChatMessage = { role: 'system', content: 'You are a pirate.' };
const TURNS: ChatMessage[] = [
  { role: 'user', content: '  Hello there \n' },
  { role: 'assistant', content: 'Arr, ahoy!' },
  { role: 'user', content: 'Where is the treasure?' },
];

// Expected strings are worked out by hand from each template's text (see the comments), with
// transformers' settings trim_blocks + lstrip_blocks.

// SYS + TURNS in ChatML, with the assistant opening: what ChatML and Qwen2.5 both render.
const CHATML_CONVERSATION =
  '<|im_start|>system\nYou are a pirate.<|im_end|>\n' +
  '<|im_start|>user\n  Hello there \n<|im_end|>\n' +
  '<|im_start|>assistant\nArr, ahoy!<|im_end|>\n' +
  '<|im_start|>user\nWhere is the treasure?<|im_end|>\n' +
  '<|im_start|>assistant\n';

test('ChatML (built in): one <|im_start|>role\\ncontent<|im_end|>\\n per message, then the assistant opening', () => {
  const t = ChatTemplate.chatml();
  assert.equal(t.kind, 'chatml');
  assert.deepEqual(t.stop, ['<|im_end|>']);
  assert.equal(t.render([SYS, ...TURNS], { addGenerationPrompt: true }), CHATML_CONVERSATION);
  assert.equal(t.render([{ role: 'user', content: 'Hi' }]), '<|im_start|>user\nHi<|im_end|>\n');
});

test('Qwen2.5 (ChatML with tools): system from messages[0], else its default system prompt', () => {
  const t = ChatTemplate.fromFile(cfg('qwen2.5'));
  assert.equal(t.kind, 'jinja');
  // eos_token <|im_end|> is also the ChatML family marker: listed once
  assert.deepEqual(t.stop, ['<|im_end|>']);
  // no tools -> else-branch: '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n'; the loop skips the
  // first system message; every {%- ... %} eats the indentation before it, the final newline follows {%- endif %} (trim_blocks)
  assert.equal(t.render([SYS, ...TURNS], { addGenerationPrompt: true }), CHATML_CONVERSATION);
  assert.equal(t.render(TURNS.slice(0, 1)),
    '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' +
    '<|im_start|>user\n  Hello there \n<|im_end|>\n');
});

test('Llama 3 Instruct: bos_token first, header per role, content | trim, <|eot_id|> ends a turn', () => {
  const t = ChatTemplate.fromFile(cfg('llama-3'));
  assert.deepEqual(t.stop, ['<|end_of_text|>', '<|eot_id|>']);
  // '<|start_header_id|>' + role + '<|end_header_id|>\n\n' + (content | trim) + '<|eot_id|>', bos_token before the first
  assert.equal(t.render([SYS, ...TURNS], { addGenerationPrompt: true }),
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a pirate.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nHello there<|eot_id|>' +
    '<|start_header_id|>assistant<|end_header_id|>\n\nArr, ahoy!<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nWhere is the treasure?<|eot_id|>' +
    '<|start_header_id|>assistant<|end_header_id|>\n\n');
  assert.equal(t.render([TURNS[0]!], { addGenerationPrompt: false }),
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello there<|eot_id|>');
});

test('TinyLlama / Zephyr: <|role|>\\n content eos_token, newline after each expression, <|assistant|> on the last', () => {
  const t = ChatTemplate.fromFile(cfg('tinyllama'));
  assert.deepEqual(t.stop, ['</s>']);
  // the newline after each {{ ... }} stays; those after block tags go (trim_blocks)
  assert.equal(t.render([SYS, ...TURNS], { addGenerationPrompt: true }),
    '<|system|>\nYou are a pirate.</s>\n' +
    '<|user|>\n  Hello there \n</s>\n' +
    '<|assistant|>\nArr, ahoy!</s>\n' +
    '<|user|>\nWhere is the treasure?</s>\n' +
    '<|assistant|>\n');
  assert.equal(t.render([SYS, ...TURNS]),
    '<|system|>\nYou are a pirate.</s>\n<|user|>\n  Hello there \n</s>\n<|assistant|>\nArr, ahoy!</s>\n<|user|>\nWhere is the treasure?</s>\n');
});

test('Mistral Instruct v0.1: [INST] turns, raise_exception on a system prompt becomes a clear error', () => {
  const t = ChatTemplate.fromFile(cfg('mistral'));
  assert.deepEqual(t.stop, ['</s>']);
  // bos_token, '[INST] ' + user + ' [/INST]', assistant + eos_token + ' '; no generation prompt in this template
  assert.equal(t.render(TURNS, { addGenerationPrompt: true }),
    '<s>[INST]   Hello there \n [/INST]Arr, ahoy!</s> [INST] Where is the treasure? [/INST]');
  assert.throws(() => t.render([SYS, ...TURNS]), (e: Error & { code?: string }) =>
    e.code === 'E_CHAT_TEMPLATE' && e.message.includes('mistral/tokenizer_config.json refused the conversation: Conversation roles must alternate user/assistant/user/assistant/...'));
  assert.throws(() => t.render([{ role: 'user', content: 'a' }, { role: 'tool', content: 'b' }]), /refused the conversation: Only user and assistant roles are supported!/);
});

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-chat-'));
}

test('forModel: tokenizer_config.json in the model dir or next to a .bin, chat_template.jinja first, else ChatML', () => {
  const tok = Llama2cTokenizer.fromFile('data/llama2c-stories260k/tok512.bin');
  const dir = tmpDir();
  try {
    assert.equal(ChatTemplate.forModel(dir, tok).kind, 'chatml'); // nothing there
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 512 }));
    assert.equal(ChatTemplate.forModel(dir, tok).kind, 'chatml'); // a config without chat_template
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({
      chat_template: '{{ bos_token }}{% for m in messages %}{{ m.role }}={{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}bot={% endif %}',
      // AddedToken objects (older configs); no eos_token: taken from the tokenizer
      bos_token: { __type: 'AddedToken', content: '<B>', lstrip: false },
    }));
    const t = ChatTemplate.forModel(path.join(dir, 'model.bin'), tok); // a file: its directory
    assert.equal(t.where, path.join(dir, 'tokenizer_config.json'));
    assert.equal(t.render([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }), '<B>user=hi</s>bot=');
    assert.deepEqual(t.stop, ['</s>']);
    fs.writeFileSync(path.join(dir, 'chat_template.jinja'), '{% for m in messages %}[{{ m.content }}]{% endfor %}');
    const j = ChatTemplate.forModel(dir, tok);
    assert.equal(j.where, path.join(dir, 'chat_template.jinja'));
    assert.equal(j.render([{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }]), '[x][y]');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the list form of chat_template uses the one named default; without one, an error lists the names', () => {
  const list = { chat_template: [{ name: 'tool_use', template: 'TOOLS' }, { name: 'default', template: '{{ messages | length }} messages' }], eos_token: '<|end|>' };
  const t = ChatTemplate.fromTokenizerConfig(list, 'cfg.json')!;
  assert.equal(t.render([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }]), '2 messages');
  assert.deepEqual(t.stop, ['<|end|>']);
  assert.throws(() => ChatTemplate.fromTokenizerConfig({ chat_template: [{ name: 'rag', template: 'x' }] }, 'cfg.json'),
    /chat_template of cfg\.json is a list without a 'default' template \(names: rag\)/);
  assert.equal(ChatTemplate.fromTokenizerConfig({ eos_token: '</s>' }, 'cfg.json'), null);
});

test('a template that does not parse or render is an E_CHAT_TEMPLATE error naming the file', () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'tokenizer_config.json');
    fs.writeFileSync(file, JSON.stringify({ chat_template: '{% for m in %}{{ m }}{% endfor %}' }));
    assert.throws(() => ChatTemplate.fromFile(file), (e: Error & { code?: string }) =>
      e.code === 'E_CHAT_TEMPLATE' && e.message.startsWith(`cannot parse the chat template of ${file}:`));
    fs.writeFileSync(file, JSON.stringify({ chat_template: '{{ messages | no_such_filter }}' }));
    const t = ChatTemplate.fromFile(file);
    assert.throws(() => t.render([{ role: 'user', content: 'x' }]), new RegExp(`cannot render the chat template of ${file.replace(/[.\\/]/g, '\\$&')}`));
    fs.writeFileSync(file, '{ not json');
    assert.throws(() => ChatTemplate.fromFile(file), /tokenizer_config\.json is not valid JSON/);
    assert.throws(() => ChatTemplate.fromFile(path.join(dir, 'nope.json')), /no chat template file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => ChatTemplate.chatml().render([{ role: 'user' } as ChatMessage]), /message 0 needs a string role and a string content/);
});

test('Jinja globals: range, namespace, strftime_now, none, and specials passed as variables', () => {
  const t = ChatTemplate.fromJinja('{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}|{{ none is none }}|{{ pad_token }}|{{ strftime_now("%Y") }}', { pad_token: '<pad>' });
  assert.equal(t.render([]), `3|true|<pad>|${new Date().getFullYear()}`);
});
