// LDA by collapsed Gibbs sampling (src/topics/lda.ts) on a planted two-topic corpus: every
// document is drawn from one of two disjoint word groups, so the fit must put each group in
// its own topic and each document in its group's topic; and the same seed gives the same fit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { purity } from '../../src/topics/coherence.ts';
import { topTerms } from '../../src/topics/ctfidf.ts';
import { fitLda } from '../../src/topics/lda.ts';
import { Rng } from '../../src/util/rng.ts';

/** 60 documents of 12 words: group 0 draws words 0..4, group 1 words 5..9. */
function planted(): { docs: Int32Array[]; groups: number[] } {
  const rng = new Rng(7);
  const docs: Int32Array[] = [], groups: number[] = [];
  for (let i = 0; i < 60; i++) {
    const g = i % 2;
    groups.push(g);
    docs.push(Int32Array.from({ length: 12 }, () => g * 5 + rng.int(5)));
  }
  return { docs, groups };
}

test('LDA recovers a planted two-topic corpus: each word group one topic, each document its group', () => {
  const { docs, groups } = planted();
  const fit = fitLda(docs, 10, { k: 2, iterations: 100, alpha: 0.1, seed: 3 });
  assert.equal(purity(fit.labels, groups), 1);
  for (let t = 0; t < 2; t++) {
    const top = topTerms(fit.phi, t, 10, 5).map((w) => w.term);
    const group = Math.floor(top[0]! / 5);
    assert.ok(top.every((w) => Math.floor(w / 5) === group), `topic ${t}'s top words ${top} mix the groups`);
  }
  // phi and theta are distributions
  for (let t = 0; t < 2; t++) assert.ok(Math.abs(fit.phi.subarray(t * 10, t * 10 + 10).reduce((a, b) => a + b, 0) - 1) < 1e-9);
  for (let d = 0; d < docs.length; d++) assert.ok(Math.abs(fit.theta[d * 2]! + fit.theta[d * 2 + 1]! - 1) < 1e-9);
});

test('LDA is deterministic from its seed, and a different seed samples differently', () => {
  const { docs } = planted();
  const a = fitLda(docs, 10, { k: 3, iterations: 20, seed: 5 });
  const b = fitLda(docs, 10, { k: 3, iterations: 20, seed: 5 });
  const c = fitLda(docs, 10, { k: 3, iterations: 20, seed: 6 });
  assert.deepEqual(a.phi, b.phi);
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(a.phi, c.phi);
});

test('LDA refuses k < 1 with an E_TOPICS error, and an empty document gets topic 0', () => {
  assert.throws(() => fitLda([Int32Array.of(0)], 1, { k: 0 }), { code: 'E_TOPICS' });
  const fit = fitLda([Int32Array.of(0, 1), new Int32Array(0)], 2, { k: 2, iterations: 5 });
  assert.equal(fit.labels[1], 0);
  assert.deepEqual([...fit.theta.subarray(2, 4)], [0.5, 0.5]);
});
