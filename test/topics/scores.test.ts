// The topic scores worked by hand: class-based TF-IDF (BERTopic's formula), NPMI coherence
// over document co-occurrence, and cluster purity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { npmi, pairNpmi, purity } from '../../src/topics/coherence.ts';
import { classTfidf, topTerms } from '../../src/topics/ctfidf.ts';

test('c-TF-IDF of a hand example: tf / topic words * log(1 + A / f), A the truncated mean words per topic', () => {
  // topic 0: "a a b", topic 1: "b c" (terms a=0, b=1, c=2), split over three documents
  const docs = [Int32Array.of(0, 0), Int32Array.of(1), Int32Array.of(1, 2)];
  const w = classTfidf(docs, [0, 0, 1], 2, 3);
  // f = (2, 2, 1); A = floor(5 / 2) = 2
  const expected = [2 / 3 * Math.log(2), 1 / 3 * Math.log(2), 0, 0, 1 / 2 * Math.log(2), 1 / 2 * Math.log(3)];
  expected.forEach((e, i) => assert.ok(Math.abs(w[i]! - e) < 1e-12, `w[${i}] = ${w[i]}, expected ${e}`));
  assert.deepEqual(topTerms(w, 1, 3, 5).map((x) => x.term), [2, 1]);
  assert.deepEqual(topTerms(w, 0, 3, 1).map((x) => x.term), [0]);
});

test('NPMI of a hand example: P from document counts, -1 for pairs never together', () => {
  // 4 documents: {0,1}, {0,1}, {0}, {2}
  const docs = [Int32Array.of(0, 1), Int32Array.of(1, 0, 0), Int32Array.of(0), Int32Array.of(2)];
  const p01 = Math.log(0.5 / (0.75 * 0.5)) / -Math.log(0.5); // = log2(4/3)
  assert.ok(Math.abs(p01 - Math.log2(4 / 3)) < 1e-12);
  const r = npmi([[0, 1], [0, 1, 2]], docs);
  assert.ok(Math.abs(r.perTopic[0]! - p01) < 1e-12);
  assert.ok(Math.abs(r.perTopic[1]! - (p01 - 2) / 3) < 1e-12);
  assert.ok(Math.abs(r.mean - (p01 + (p01 - 2) / 3) / 2) < 1e-12);
  assert.equal(pairNpmi(0.5, 0.5, 0.5), 1); // always together
  assert.equal(pairNpmi(1, 1, 1), 1);
  assert.ok(Math.abs(pairNpmi(0.5, 0.5, 0.25)) < 1e-12); // independent
});

test('purity: each cluster counts its most common class', () => {
  assert.equal(purity([0, 0, 0, 1, 1], ['a', 'a', 'b', 'b', 'c']), 3 / 5);
  assert.equal(purity([0, 1, 2], [5, 5, 5]), 1);
  assert.equal(purity([0, 0, 0, 0], ['a', 'b', 'a', 'b']), 0.5);
});
