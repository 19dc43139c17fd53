// loadTokenizer (what the CLI's --tokenizer uses): every kind of name and file it accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { WordPieceTokenizer } from '../../src/tokenizer/wordpiece.ts';
import { builtinTokenizer } from '../../src/tokenizer/builtin.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-load-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const text = "Hello, World! It's 2024 — naïve café 東京 🤗\n<|endoftext|> [CLS]";

test('built-in names', () => {
  assert.deepEqual(loadTokenizer('gpt2').encode('hello world'), [31373, 995]);
  assert.deepEqual(loadTokenizer('r50k').encode('hello world'), [31373, 995]);
  assert.deepEqual(loadTokenizer('cl100k').encode('hello world'), [15339, 1917]);
  const bert = loadTokenizer('bert-base-uncased');
  assert.equal(bert.kind, 'wordpiece');
  assert.deepEqual(bert.encode('Hello!', { addSpecialTokens: true }), [101, 7592, 999, 102]);
});

test('.tiktoken files: known names get their pattern and specials; others the GPT-2 pattern; sniffed without extension', () => {
  const cl = loadTokenizer('data/tokenizers/cl100k_base.tiktoken');
  assert.equal(cl.kind, 'bpe');
  assert.deepEqual(cl.encode(text, { allowedSpecial: 'all' }), builtinTokenizer('cl100k').encode(text, { allowedSpecial: 'all' }));
  copyFileSync('data/tokenizers/r50k_base.tiktoken', join(dir, 'ranks'));
  const sniffed = loadTokenizer(join(dir, 'ranks'));
  assert.deepEqual(sniffed.encode(text), builtinTokenizer('gpt2').encode(text));
  assert.equal(sniffed.specialTokens().size, 0);
});

test('vocab.txt (any name) and folders holding tokenizer.json or vocab.txt', () => {
  copyFileSync('data/bert-base-uncased/vocab.txt', join(dir, 'bert-vocab'));
  const a = loadTokenizer(join(dir, 'bert-vocab'));
  assert.ok(a instanceof WordPieceTokenizer);
  assert.deepEqual(a.encode(text), loadTokenizer('bert-base-uncased').encode(text));
  mkdirSync(join(dir, 'bert'));
  copyFileSync('data/bert-base-uncased/vocab.txt', join(dir, 'bert', 'vocab.txt'));
  assert.equal(loadTokenizer(join(dir, 'bert')).vocabSize, 30522);
  mkdirSync(join(dir, 'gpt'));
  writeFileSync(join(dir, 'gpt', 'tokenizer.json'), JSON.stringify(builtinTokenizer('gpt2').toTokenizerJson()));
  const g = loadTokenizer(join(dir, 'gpt'));
  assert.equal(g.kind, 'bpe');
  assert.deepEqual(g.encode(text), builtinTokenizer('gpt2').encode(text));
  writeFileSync(join(dir, 'wp.json'), JSON.stringify(a.toTokenizerJson()));
  assert.deepEqual(loadTokenizer(join(dir, 'wp.json')).encode(text, { addSpecialTokens: true }), a.encode(text, { addSpecialTokens: true }));
});

test('errors name the file and the fix', () => {
  assert.throws(() => loadTokenizer('gpt-17'), /no built-in tokenizer or file named "gpt-17".*fix: use one of gpt2, r50k, cl100k, bert-base-uncased/);
  writeFileSync(join(dir, 'broken.json'), '{"model": ');
  assert.throws(() => loadTokenizer(join(dir, 'broken.json')), /broken\.json is not valid JSON/);
  writeFileSync(join(dir, 'empty.txt'), '');
  assert.throws(() => loadTokenizer(join(dir, 'empty.txt')), /empty\.txt is not a tokenizer file \(it is empty;/);
  mkdirSync(join(dir, 'nothing'));
  assert.throws(() => loadTokenizer(join(dir, 'nothing')), /has no tokenizer\.json or vocab\.txt/);
});
