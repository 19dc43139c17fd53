// Word counting for the BPE trainer: the parallel (worker-thread) counter equals the
// serial one for every built-in split pattern, with special tokens and awkward chunk edges.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolvePattern, toJsRegExp } from '../../src/tokenizer/split-patterns.ts';
import { scannerFor } from '../../src/tokenizer/split-scanners.ts';
import { countPiecesInto, countWords, countWordsInFiles, countWordsParallel } from '../../src/tokenizer/word-count.ts';

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

test('files read in small blocks count exactly as their whole texts (serial and parallel, specials, CRLF)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-wc-'));
  try {
    // Special tokens every few lines, so many land near block edges; one with a newline
    // inside switches block cutting off for that run.
    // A special token that starts with a letter ('Zq|') right after '  \n' must not be cut
    // in front of: the serial run ends that segment at the special token.
    const withSpecials = corpus[1]!.replace(/\n(?=[A-Z])/g, (m, off: number) => (off % 7 === 0 ? `${EOT}\n` : off % 7 === 1 ? '  \nZq|' : m));
    const texts = [withSpecials, edges.replace(/\n/g, '\r\n'), corpus[2]!, corpus[0]!];
    const files = texts.map((t, i) => {
      const f = join(dir, `f${i}.txt`);
      writeFileSync(f, t);
      return f;
    });
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
    for (const pattern of ['gpt2', 'cl100k', 'o200k', String.raw`\p{L}+|[^\p{L}]`]) {
      for (const specialTokens of [[EOT, 'Zq|'], [EOT, '<|a\nb|>']]) {
        const opts = { pattern, specialTokens };
        const expected = countWords(texts, opts);
        assertSameCounts(expected, await countWordsInFiles(files, bytes, { ...opts, threads: 1, blockChars: 30_000 }));
        assertSameCounts(expected, await countWordsInFiles(files, bytes, { ...opts, threads: 3, blockChars: 70_000, minParallelChars: 0 }));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the hand-written scanners (this thread) and the regexes (workers) count the same pieces', () => {
  for (const pattern of ['gpt2', 'r50k', 'cl100k']) {
    const scanner = scannerFor(resolvePattern(pattern));
    assert.ok(scanner !== undefined, pattern);
    const viaRegex = new Map<string, number>();
    const viaScanner = new Map<string, number>();
    for (const text of [...corpus, edges]) {
      countPiecesInto(viaRegex, text, toJsRegExp(pattern));
      countPiecesInto(viaScanner, text, scanner);
    }
    assertSameCounts(viaRegex, viaScanner);
  }
});
