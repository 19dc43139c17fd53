/** Byte-level BPE file formats: GPT-2 files, tokenizer.json (checked with HF `tokenizers`), .tiktoken. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer as HfTokenizer } from 'tokenizers';
import { builtinTokenizer, loadBpeTokenizer } from '../../src/tokenizer/builtin.ts';
import { BpeTokenizer } from '../../src/tokenizer/bpe.ts';
import { loadGpt2Files } from '../../src/tokenizer/gpt2-files.ts';
import { bpeFromTokenizerJson, loadBpeTokenizerJson, saveBpeTokenizerJson } from '../../src/tokenizer/hf-json.ts';
import { loadTiktoken, saveTiktoken } from '../../src/tokenizer/tiktoken-file.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { FIX, corpusSample, readLlamaCppGpt2, readTestPlans } from './bpe-helpers.ts';

const sample = corpusSample(60_000);
const texts = [sample, ...readLlamaCppGpt2().map((c) => c.text), ...readTestPlans().map((c) => c.sample)];
const tmp = mkdtempSync(join(tmpdir(), 'llmts-bpe-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

test('GPT-2 encoder.json + vocab.bpe encode exactly as the r50k ranks', () => {
  const files = loadGpt2Files(join(FIX, 'gpt2-bpe/encoder.json'), join(FIX, 'gpt2-bpe/vocab.bpe'));
  const r50k = builtinTokenizer('gpt2');
  assert.equal(files.vocabSize, 50257);
  assert.equal(files.merges()!.length, 50000);
  for (const t of texts) assert.deepEqual(files.encode(t), r50k.encode(t));
  assert.deepEqual(files.encode('hello <|endoftext|>', { allowedSpecial: 'all' }), [31373, 220, 50256]);
});

async function hfIds(path: string, text: string): Promise<number[]> {
  const hf = HfTokenizer.fromFile(path);
  const enc = await hf.encode(text, null, { addSpecialTokens: false });
  return enc.getIds();
}

test('tokenizer.json written for gpt2 (merges) and cl100k (ranks) loads in HF tokenizers and encodes identically', async () => {
  const gpt2Files = loadGpt2Files(join(FIX, 'gpt2-bpe/encoder.json'), join(FIX, 'gpt2-bpe/vocab.bpe'));
  const cases: [string, BpeTokenizer][] = [['gpt2-files', gpt2Files], ['cl100k', builtinTokenizer('cl100k')]];
  for (const [name, tok] of cases) {
    const path = join(tmp, `${name}.json`);
    saveBpeTokenizerJson(tok, path);
    for (const t of [sample, readLlamaCppGpt2().map((c) => c.text).join('\n')]) {
      assert.deepEqual(await hfIds(path, t), tok.encode(t), `${name}: HF ids differ`);
    }
    // And our own loader reads it back to the same tokenizer.
    const back = loadBpeTokenizerJson(path);
    assert.deepEqual(back.encode(sample), tok.encode(sample));
    assert.deepEqual([...back.specialTokens()], [...tok.specialTokens()]);
    const hf = HfTokenizer.fromFile(path);
    assert.equal(await hf.decode(tok.encode(sample), false), sample);
  }
});

test('a tiny trained-style vocabulary round-trips through tokenizer.json and HF', async () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const vocab: Uint8Array[] = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  const merges: [Uint8Array, Uint8Array][] = [[enc('t'), enc('h')], [enc('th'), enc('e')], [enc(' '), enc('the')], [enc('e'), enc('r')]];
  vocab.push(enc('th'), enc('the'), enc(' the'), enc('er'));
  const tok = new BpeTokenizer({ vocab, merges, specialTokens: { '<|endoftext|>': 260 }, pattern: 'cl100k' });
  const path = join(tmp, 'tiny.json');
  saveBpeTokenizerJson(tok, path);
  const text = 'the other brother, THE end. There they were!';
  assert.deepEqual(await hfIds(path, text), tok.encode(text));
  assert.ok(tok.encode(text).includes(258));
});

test('.tiktoken save + load round trip', () => {
  const tok = builtinTokenizer('gpt2');
  const path = join(tmp, 'r50k.tiktoken');
  saveTiktoken(tok, path);
  const back = loadTiktoken(path, { pattern: 'gpt2', specialTokens: tok.specialTokens() });
  assert.deepEqual(back.encode(sample), tok.encode(sample));
  assert.equal(back.vocabSize, tok.vocabSize);
});

test('a real HF GPT-2 tokenizer.json loads and encodes as HF tokenizers and as r50k do', async () => {
  const path = join(FIX, 'hf-gpt2-tokenizer/tokenizer.json');
  const tok = loadBpeTokenizerJson(path);
  assert.equal(tok.vocabSize, 50257);
  assert.deepEqual([...tok.specialTokens()], [['<|endoftext|>', 50256]]);
  const r50k = builtinTokenizer('gpt2');
  for (const t of texts) assert.deepEqual(tok.encode(t), r50k.encode(t));
  assert.deepEqual(await hfIds(path, sample), tok.encode(sample));
  assert.equal(tok.decode(tok.encode(sample)), sample);
});

test('loader errors name the file and the fix', () => {
  assert.throws(() => bpeFromTokenizerJson({ model: { type: 'WordPiece' } }, 'x.json'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_HF_UNSUPPORTED' && e.message.includes('x.json'));
  assert.throws(() => bpeFromTokenizerJson({ nope: 1 }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_HF_JSON');
  assert.throws(() => loadTiktoken(join(FIX, 'gpt2-bpe/vocab.bpe')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_TIKTOKEN');
  assert.throws(() => builtinTokenizer('gpt5'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_BUILTIN');
});

test('loadBpeTokenizer: names, .tiktoken (recognised by size), tokenizer.json, GPT-2 folder', () => {
  const r50k = builtinTokenizer('gpt2');
  assert.equal(loadBpeTokenizer('gpt2'), r50k);
  const viaTiktoken = loadBpeTokenizer('data/tokenizers/cl100k_base.tiktoken');
  assert.equal(viaTiktoken.pattern, builtinTokenizer('cl100k').pattern);
  assert.deepEqual([...viaTiktoken.specialTokens()], [...builtinTokenizer('cl100k').specialTokens()]);
  assert.deepEqual(viaTiktoken.encode('Hello 12345 world'), builtinTokenizer('cl100k').encode('Hello 12345 world'));
  const folder = loadBpeTokenizer(join(FIX, 'gpt2-bpe'));
  assert.deepEqual(folder.encode(sample), r50k.encode(sample));
  const json = join(tmp, 'load.json');
  saveBpeTokenizerJson(r50k, json);
  assert.deepEqual(loadBpeTokenizer(json).encode(sample), r50k.encode(sample));
  assert.throws(() => loadBpeTokenizer('no/such/file.json'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_TOKENIZER_PATH');
});
