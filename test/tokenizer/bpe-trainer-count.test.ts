// Word counting for the BPE trainer: the parallel (worker-thread) counter equals the
// serial one for every built-in split pattern, with special tokens and awkward chunk edges.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { countWords, countWordsParallel } from '../../src/tokenizer/word-count.ts';

const EOT = '<|endoftext|>';
const corpus = ['en.txt', 'fr.txt', 'zh.txt'].map((f) => readFileSync(join('test/fixtures/bpe-corpus', f), 'utf8'));
// Text whose every line break is a candidate cut with whitespace before it: '  \n\n\t\nWord',
// CRLF, o200k's '[\r\n/]*' after punctuation, trailing spaces before a special token.
const edges = Array.from({ length: 4000 }, (_, i) => `w${i} x  \n\n\t\nWord${i % 7}.\n/path\r\nÉté ${i}!!\n\n${i % 50 === 0 ? ` ${EOT}  ` : ''}`).join('');

function assertSameCounts(a: Map<string, number>, b: Map<string, number>): void {
  assert.equal(a.size, b.size);
  for (const [w, c] of a) assert.equal(b.get(w), c, `count of ${JSON.stringify(w)}`);
}

for (const pattern of ['gpt2', 'r50k', 'cl100k', 'o200k']) {
  test(`parallel word count equals serial (${pattern})`, async () => {
    const texts = [...corpus, edges];
    const opts = { pattern, specialTokens: [EOT] };
    const serial = countWords(texts, opts);
    const parallel = await countWordsParallel(texts, { ...opts, threads: 3, minParallelChars: 0 });
    assert.ok(serial.size > 10000);
    assertSameCounts(serial, parallel);
  });
}

test('a custom pattern is counted in parallel only across special-token segments, with the same result', async () => {
  const text = Array.from({ length: 300 }, (_, i) => `doc ${i}: ${corpus[0]!.slice(i * 300, i * 300 + 3000)}`).join(EOT);
  const opts = { pattern: String.raw`\p{L}+|\p{N}+|[^\p{L}\p{N}]`, specialTokens: [EOT] };
  assertSameCounts(countWords([text], opts), await countWordsParallel([text], { ...opts, threads: 2, minParallelChars: 0 }));
});

test('special tokens are removed and never counted; longest special wins', () => {
  const counts = countWords([`a${EOT}b<|end|>c${EOT}`], { specialTokens: ['<|end|>', EOT] });
  assert.deepEqual([...counts].sort(), [['a', 1], ['b', 1], ['c', 1]]);
  const plain = countWords([`a${EOT}`]);
  assert.ok(plain.has('<|') && plain.has('endoftext'));
});
