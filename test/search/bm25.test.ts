// BM25 (src/search/bm25.ts) against scores worked by hand, terms, and reciprocal-rank fusion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bm25, topK } from '../../src/search/bm25.ts';
import { rrf } from '../../src/search/rrf.ts';
import { terms } from '../../src/search/terms.ts';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);

test('terms: lower-cased letter and digit runs, accents kept, punctuation splits', () => {
  assert.deepEqual(terms("Tom's 2 cats-and DOGS"), ['tom', 's', '2', 'cats', 'and', 'dogs']);
  assert.deepEqual(terms('Ça coûte 3€.'), ['ça', 'coûte', '3']);
  assert.deepEqual(terms('  ...  '), []);
});

test('BM25 scores equal the formula worked by hand (k1 1.2, b 0.75, Lucene idf)', () => {
  // lengths 2, 3, 1 -> avgdl 2; N = 3
  const bm = new Bm25(['a b', 'a c c', 'b']);
  assert.equal(bm.avgdl, 2);
  const idfC = Math.log(1 + (3 - 1 + 0.5) / (1 + 0.5)); // df(c) = 1
  const idfA = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5)); // df(a) = 2
  close(bm.idf('c'), idfC, 'idf(c)');
  const s = bm.scores('c a');
  // d1: tf(c) = 2, tf(a) = 1, |d| = 3 -> norm 1 - 0.75 + 0.75 * 3 / 2 = 1.375
  close(s[1]!, (idfC * 2 * 2.2) / (2 + 1.2 * 1.375) + (idfA * 1 * 2.2) / (1 + 1.2 * 1.375), 'score(d1)');
  // d0: tf(a) = 1, |d| = 2 -> norm 1
  close(s[0]!, (idfA * 2.2) / (1 + 1.2), 'score(d0)');
  assert.equal(s[2], 0);
  assert.deepEqual(bm.search('c a', 10).map((h) => h.doc), [1, 0], 'd2 shares no term and is not returned');
  const flat = new Bm25(['a b', 'a c c', 'b'], { k1: 0.5, b: 0 });
  close(flat.scores('c')[1]!, (idfC * 2 * 1.5) / (2 + 0.5), 'b = 0: no length normalisation');
});

test('BM25 of an empty collection or query finds nothing', () => {
  assert.deepEqual(new Bm25([]).search('a', 3), []);
  assert.deepEqual(new Bm25(['a b']).search('?!', 3), []);
});

test('topK: best first, ties by lower index, -Infinity skipped', () => {
  assert.deepEqual(topK([1, 3, 3, -Infinity, 2], 3), [{ doc: 1, score: 3 }, { doc: 2, score: 3 }, { doc: 4, score: 2 }]);
});

test('rrf sums 1 / (k + rank) over the lists', () => {
  const a = [{ doc: 3, score: 9 }, { doc: 1, score: 2 }], b = [{ doc: 1, score: 0.9 }, { doc: 7, score: 0.1 }];
  const fused = rrf([a, b], 10);
  assert.deepEqual(fused.map((h) => h.doc), [1, 3, 7]);
  close(fused[0]!.score, 1 / 62 + 1 / 61, 'doc 1');
  close(fused[1]!.score, 1 / 61, 'doc 3');
  close(fused[2]!.score, 1 / 62, 'doc 7');
  assert.deepEqual(rrf([a, b], 1, 0).map((h) => h.doc), [1], 'k = 0 and a limit');
  const weighted = rrf([a, b], 10, 60, [1, 0.01]);
  assert.deepEqual(weighted.map((h) => h.doc), [3, 1, 7], 'a light second list no longer lifts doc 1 over doc 3');
  close(weighted[1]!.score, 1 / 62 + 0.01 / 61, 'weighted doc 1');
});
