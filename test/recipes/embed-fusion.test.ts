// The embed recipe's SciTLDR hybrid: the tuning papers are a fixed part of the training
// file, disjoint from the papers trained on, and the dense weight chosen on them is 0
// (BM25 unchanged) for a dense ranker that adds nothing and above 0 for one that helps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abstractPassages, chooseDenseWeight, DENSE_WEIGHTS } from '../../src/recipes/embed.ts';
import type { EmbedTexts, RetrievalTask } from '../../src/search/recall.ts';
import { bundledFile } from '../../src/train/bundled.ts';
import { scitldrPairs, scitldrTuneSplit } from '../../src/train/contrastive-data.ts';

test('SciTLDR tuning papers: ~15% of the training file by paper, disjoint, the same every time', () => {
  const file = bundledFile('summarization-scitldr/train.jsonl.gz');
  const a = scitldrTuneSplit(file), b = scitldrTuneSplit(file);
  const n = a.train.length + a.tune.length;
  assert.ok(a.tune.length > 0.1 * n && a.tune.length < 0.2 * n, `${a.tune.length} of ${n}`);
  const tuneIds = new Set(a.tune.map((r) => r.id));
  assert.ok(a.train.every((r) => !tuneIds.has(r.id)), 'no paper on both sides');
  assert.deepEqual(b.tune.map((r) => r.id), a.tune.map((r) => r.id));
  const tuneTexts = new Set(a.tune.flatMap((r) => r.targets));
  assert.ok(scitldrPairs(a.train, abstractPassages).every((p) => !tuneTexts.has(p.query)), 'no tuning TLDR among the training pairs');
});

// 12 abstracts that share most words; even queries name their paper's topic (BM25 right),
// odd ones name the next paper's topic twice and their own once (BM25 puts theirs second)
const TOPICS = ['graph', 'vision', 'speech', 'robot', 'protein', 'market', 'music', 'weather', 'chess', 'traffic', 'poetry', 'energy'];
const task: RetrievalTask = {
  name: 'toy',
  docs: TOPICS.map((t, i) => `We propose a neural model for learning representations. It improves results on ${t} benchmarks by ${i + 2} points.`),
  queries: TOPICS.map((t, i) => `A neural model for ${i % 2 === 0 ? t : `${TOPICS[(i + 1) % 12]} ${TOPICS[(i + 1) % 12]} ${t}`}`),
  relevant: TOPICS.map((_, i) => i),
};

/** One-hot vectors: a query and every passage of its relevant abstract get the same one, times `sign` (1: a perfect dense ranker; -1: one that ranks the right abstract last). */
const oneHot = (sign: number): EmbedTexts => (texts, role) => texts.map((t) => {
  const v = new Float32Array(TOPICS.length);
  const i = role === 'query' ? task.queries.indexOf(t) : task.docs.findIndex((d) => d.includes(t));
  v[i] = role === 'query' ? sign : 1;
  return v;
});

test('chooseDenseWeight: 0 (BM25 as it is) for a dense ranker that only misleads', () => {
  const { weight, report } = chooseDenseWeight(oneHot(-1), task);
  assert.equal(weight, 0);
  assert.equal(report.recallAt1.dense, 0);
  assert.equal(report.hybridAt1ByWeight['0'], report.recallAt1.bm25, 'weight 0 is BM25\'s ranking');
  assert.equal(report.recallAt1.bm25, 0.5, 'the toy leaves BM25 room to improve');
  assert.deepEqual(Object.keys(report.hybridAt1ByWeight).map(Number).sort((a, b) => a - b), [...DENSE_WEIGHTS].sort((a, b) => a - b));
});

test('chooseDenseWeight: above 0, and a hybrid above BM25, for a dense ranker that helps', () => {
  const { weight, report } = chooseDenseWeight(oneHot(1), task);
  assert.ok(weight > 0, `weight ${weight}`);
  assert.equal(report.recallAt1.dense, 1);
  assert.ok(report.hybridAt1ByWeight[String(weight)]! > report.recallAt1.bm25!, `hybrid ${report.hybridAt1ByWeight[String(weight)]} vs BM25 ${report.recallAt1.bm25}`);
});
