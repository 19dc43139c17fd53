// The Tokenizer contract carries bos/eos/pad/unk/mask/cls/sep ids for every kind and the
// addBos / addEos encode options (issue 12), so code outside src/tokenizer needs no
// instanceof checks (checked at the end by reading the sources).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer as HfTokenizer } from 'tokenizers';
import { encodePrompt, stopTokenIds } from '../../src/infer/tokens.ts';
import { builtinTokenizer } from '../../src/tokenizer/builtin.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { loadTokenizer, tokenizerFromJson } from '../../src/tokenizer/load.ts';
import type { SpecialIds, Tokenizer } from '../../src/tokenizer/types.ts';
import { WordPieceTokenizer } from '../../src/tokenizer/wordpiece.ts';

const none: SpecialIds = { bos: undefined, eos: undefined, pad: undefined, unk: undefined, mask: undefined, cls: undefined, sep: undefined };

test('every tokenizer kind fills its special ids', () => {
  const gpt2 = builtinTokenizer('gpt2');
  assert.equal(gpt2.kind, 'bpe');
  assert.deepEqual({ ...gpt2.specialIds }, { ...none, bos: 50256, eos: 50256 }); // HF GPT-2: bos = eos = <|endoftext|>
  const bert = loadTokenizer('bert-base-uncased');
  assert.equal(bert.kind, 'wordpiece');
  assert.deepEqual({ ...bert.specialIds }, { ...none, pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 });
  const llama = loadTokenizer('data/llama2c-stories260k/tok512.bin');
  assert.equal(llama.kind, 'llama2c');
  assert.deepEqual({ ...llama.specialIds }, { ...none, unk: 0, bos: 1, eos: 2 });
  // the same vocabulary through its tokenizer.json keeps them
  assert.deepEqual({ ...tokenizerFromJson(llama.toTokenizerJson()).specialIds }, { ...llama.specialIds });
  const char = CharTokenizer.fromText('hello');
  assert.equal(char.kind, 'char');
  assert.deepEqual({ ...char.specialIds }, none);
  // a byte-level BPE tokenizer.json with added tokens: found by name
  const json = gpt2.toTokenizerJson() as { added_tokens: { id: number; content: string; special: boolean }[] };
  json.added_tokens = [{ id: 50256, content: '<s>', special: true }, { id: 50257, content: '</s>', special: true }, { id: 50258, content: '<pad>', special: true }];
  assert.deepEqual({ ...tokenizerFromJson(json).specialIds }, { ...none, bos: 50256, eos: 50257, pad: 50258 });
  // WordPiece takes unk from its model's unk_token, whatever its name
  const wp = new WordPieceTokenizer({ vocab: new Map([['<oov>', 0], ['a', 1]]), model: { unkToken: '<oov>' } });
  assert.equal(wp.specialIds.unk, 0);
});

test('encode adds bos / eos on request; addSpecialTokens keeps each kind\'s template', () => {
  const gpt2 = builtinTokenizer('gpt2');
  assert.deepEqual(gpt2.encode('hello world', { addBos: true, addEos: true }), [50256, 31373, 995, 50256]);
  assert.deepEqual(gpt2.encode('hello world', { addSpecialTokens: true }), [31373, 995]); // no template, as HF GPT-2
  const bert = loadTokenizer('bert-base-uncased');
  assert.deepEqual(bert.encode('hello', { addSpecialTokens: true }), [101, 7592, 102]);
  assert.throws(() => bert.encode('hello', { addBos: true }), /E_NO_SPECIAL_TOKEN|has no bos token/);
  const llama = loadTokenizer('data/llama2c-stories260k/tok512.bin');
  const plain = llama.encode('Once upon a time');
  assert.deepEqual(llama.encode('Once upon a time', { addSpecialTokens: true }), [1, ...plain]);
  assert.deepEqual(llama.encode('Once upon a time', { addBos: true, addSpecialTokens: true }), [1, ...plain]); // BOS once
  assert.deepEqual(llama.encode('Once upon a time', { addBos: true, addEos: true }), [1, ...plain, 2]);
  assert.deepEqual(llama.encode('', { addEos: true }), [2]);
  assert.throws(() => CharTokenizer.fromText('ab').encode('ab', { addEos: true }), /has no eos token/);
});

test('a byte-level BPE tokenizer.json with a TemplateProcessing post-processor: addSpecialTokens adds its tokens as HF does', async () => {
  const json = JSON.parse(readFileSync('test/fixtures/hf-models/hf-gpt2-float32/tokenizer.json', 'utf8')) as Record<string, unknown>;
  json.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [0], tokens: ['<|endoftext|>'] } },
  };
  const tok = tokenizerFromJson(json);
  const text = 'Hello world, once upon a time';
  // written back by llmts, the template survives and HF applies it the same way
  const path = join(mkdtempSync(join(tmpdir(), 'llmts-specials-')), 'tokenizer.json');
  writeFileSync(path, JSON.stringify(tok.toTokenizerJson()));
  for (const add of [true, false]) {
    const hf = await HfTokenizer.fromFile(path).encode(text, null, { addSpecialTokens: add });
    assert.deepEqual(tok.encode(text, { addSpecialTokens: add }), hf.getIds(), `addSpecialTokens ${add}`);
  }
  assert.equal(tok.encode(text, { addSpecialTokens: true })[0], 0);
  assert.deepEqual(tok.encode(text, { addSpecialTokens: true, addBos: true }), tok.encode(text, { addSpecialTokens: true })); // bos once
});

test('generation helpers use the contract: same prompts and stop ids as before for every kind', () => {
  const llama: Tokenizer = loadTokenizer('data/llama2c-stories260k/tok512.bin');
  assert.deepEqual(encodePrompt(llama, 'Once upon a time'), [1, 403, 407, 261, 378]);
  assert.deepEqual(encodePrompt(llama, ''), [1]);
  assert.deepEqual(stopTokenIds(llama), [1, 2]); // run.c stops at BOS too
  const gpt2 = builtinTokenizer('gpt2');
  assert.deepEqual(encodePrompt(gpt2, 'hello world'), [50256, 31373, 995]);
  assert.deepEqual(stopTokenIds(gpt2), [50256]);
  const char = CharTokenizer.fromText('ab\n');
  assert.deepEqual(encodePrompt(char, 'ba'), [2, 1]);
  assert.deepEqual(encodePrompt(char, ''), [0]); // no bos: an empty prompt starts from a newline
});

test('no instanceof on tokenizer classes outside src/tokenizer', () => {
  const offenders: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (p !== join('src', 'tokenizer')) walk(p);
      } else if (p.endsWith('.ts') && /instanceof\s+(BpeTokenizer|WordPieceTokenizer|CharTokenizer|Llama2cTokenizer)\b/.test(readFileSync(p, 'utf8'))) offenders.push(p);
    }
  };
  walk('src');
  assert.deepEqual(offenders, []);
});
