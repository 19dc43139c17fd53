/** encodeFiles: worker threads, chunked files, same ids as one-thread encode. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { builtinTokenizer } from '../../src/tokenizer/builtin.ts';
import { BpeTokenizer } from '../../src/tokenizer/bpe.ts';
import { EncodePool, chunkText, encodeFiles } from '../../src/tokenizer/encode-files.ts';
import { Rng } from '../../src/util/rng.ts';
import { corpusSample } from './bpe-helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'llmts-encfiles-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Text with every kind of line ending and whitespace around newlines. */
function trickyText(seed: number, lines: number): string {
  const rng = new Rng(seed);
  const bits = ['word', ' word', '  ', '\t', '\r\n', '\n', '\n\n', ' \n', '!\n', '12345', "'s", '你好', '/', '  x', 'é', '<|endoftext|>'];
  let s = '';
  for (let i = 0; i < lines; i++) {
    for (let k = rng.int(6); k >= 0; k--) s += bits[rng.int(bits.length)]!;
    s += rng.uniform() < 0.5 ? '\n' : '\nA';
  }
  return s;
}

test('chunkText cuts only where encoding the chunks separately gives the same ids', () => {
  const toks = [builtinTokenizer('gpt2'), builtinTokenizer('cl100k')];
  for (let seed = 1; seed <= 20; seed++) {
    const text = trickyText(seed, 300);
    const chunks = chunkText(text, 64);
    assert.ok(chunks.length > 5, 'the text was cut');
    assert.equal(chunks.join(''), text);
    for (const tok of toks) {
      assert.deepEqual(chunks.flatMap((c) => tok.encode(c)), tok.encode(text));
      assert.deepEqual(chunks.flatMap((c) => tok.encode(c, { allowedSpecial: 'all' })), tok.encode(text, { allowedSpecial: 'all' }));
    }
  }
  assert.deepEqual(chunkText('a'.repeat(1000), 10), ['a'.repeat(1000)]); // no safe point: one chunk
});

test('encodeFiles on worker threads equals single-thread encode (several files, chunks, specials)', async () => {
  const texts = [corpusSample(90_000), trickyText(99, 2000), '', 'no newline at all <|endoftext|>'];
  const paths = texts.map((t, i) => {
    const p = join(tmp, `f${i}.txt`);
    writeFileSync(p, t);
    return p;
  });
  const gpt2 = builtinTokenizer('gpt2');
  let progress = 0;
  const got = await encodeFiles(paths, gpt2, { threads: 2, chunkChars: 4096, onProgress: (d, t) => (progress = d / t) });
  assert.equal(progress, 1);
  assert.equal(got.length, texts.length);
  texts.forEach((t, i) => assert.deepEqual(Array.from(got[i]!), gpt2.encode(t), `file ${i}`));
  // A merges-based tokenizer with specials allowed travels to the workers too.
  const vocab: Uint8Array[] = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  vocab.push(enc('wo'), enc('wor'));
  const small = new BpeTokenizer({ vocab, merges: [[enc('w'), enc('o')], [enc('wo'), enc('r')]], specialTokens: { '<|endoftext|>': 258 }, pattern: 'cl100k' });
  const got2 = await encodeFiles(paths, small, { threads: 2, chunkChars: 4096, allowedSpecial: 'all' });
  texts.forEach((t, i) => assert.deepEqual(Array.from(got2[i]!), small.encode(t, { allowedSpecial: 'all' }), `small, file ${i}`));
  assert.ok(got2[3]!.includes(258));
});

test('EncodePool is reusable across batches and after clearing the worker caches', async () => {
  const tok = builtinTokenizer('cl100k');
  const p = join(tmp, 'pool.txt');
  const text = trickyText(5, 1500);
  writeFileSync(p, text);
  const pool = await EncodePool.start(tok, { threads: 2 });
  try {
    const first = await pool.encodeFiles([p, p], { chunkChars: 2048 });
    await pool.clearCaches();
    const second = await pool.encodeFiles([p], { chunkChars: 2048 });
    const want = tok.encode(text);
    assert.deepEqual(Array.from(first[0]!), want);
    assert.deepEqual(Array.from(first[1]!), want);
    assert.deepEqual(Array.from(second[0]!), want);
  } finally {
    await pool.close();
  }
});
