// The sentiment recipe's data, folds and baseline (src/recipes/sentiment-data.ts) and its
// 5-fold run (uciFiveFold) on a small made-up set that a classifier must separate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelledText } from '../../src/data/classify-data.ts';
import { fiveFolds, naiveBayesAccuracy, ngramBag, readSst2, readUci, UCI_FILES } from '../../src/recipes/sentiment-data.ts';
import { uciFiveFold, type SentimentSettings } from '../../src/recipes/sentiment.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const POS = ['great', 'lovely', 'excellent', 'wonderful', 'superb'];
const NEG = ['awful', 'terrible', 'horrible', 'dreadful', 'lousy'];
const THINGS = ['phone', 'film', 'meal', 'service', 'battery', 'plot'];

/** 60 sentences: "the <thing> was <word> ." with a positive or negative word. */
function madeUp(): LabelledText[] {
  const rows: LabelledText[] = [];
  THINGS.forEach((t, i) => POS.forEach((w, j) => {
    rows.push({ text: `the ${t} was ${w} .`, label: '1', where: `pos:${i}:${j}` });
    rows.push({ text: `the ${t} was ${NEG[(i + j) % NEG.length]} .`, label: '0', where: `neg:${i}:${j}` });
  }));
  return rows;
}

test('readUci reads the three tab-separated files; a missing one is E_DATA naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-test-uci-'));
  try {
    for (const f of UCI_FILES) writeFileSync(join(dir, f), `Good one.\t1\nBad one.\t0\n`);
    const rows = await readUci(dir);
    assert.equal(rows.length, 6);
    assert.deepEqual(rows.slice(0, 2).map((r) => [r.text, r.label]), [['Good one.', '1'], ['Bad one.', '0']]);
    rmSync(join(dir, UCI_FILES[1]));
    await assert.rejects(readUci(dir), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA' && e.message.includes(UCI_FILES[1]));
    writeFileSync(join(dir, UCI_FILES[1]), 'Meh.\t3\n');
    await assert.rejects(readUci(dir), (e: unknown) => e instanceof LlmtsError && /label '3'/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readSst2: the header is skipped, labels 0/1; a bad line or a missing folder is E_DATA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-test-sst2-'));
  try {
    writeFileSync(join(dir, 'train.tsv'), 'sentence\tlabel\na gorgeous film \t1\nno wit \t0\n');
    assert.deepEqual(readSst2(dir).map((r) => [r.text, r.label]), [['a gorgeous film', '1'], ['no wit', '0']]);
    writeFileSync(join(dir, 'train.tsv'), 'sentence\tlabel\nno label here\n');
    assert.throws(() => readSst2(dir), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA' && /train\.tsv:2/.test(e.message));
    assert.throws(() => readSst2(join(dir, 'nope')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fiveFolds: every row tested exactly once, never trained on in its own fold; seeded', () => {
  const rows = Array.from({ length: 23 }, (_, i) => i);
  const folds = fiveFolds(rows, 7);
  assert.deepEqual(folds.flatMap((f) => f.test).sort((a, b) => a - b), rows);
  for (const f of folds) {
    assert.equal(f.train.length + f.test.length, 23);
    assert.ok(f.test.every((x) => !f.train.includes(x)));
  }
  assert.deepEqual(fiveFolds(rows, 7), folds);
  assert.notDeepEqual(fiveFolds(rows, 8), folds);
});

test('naive Bayes baseline: bigram features, and a separable set is learnt', () => {
  assert.deepEqual(ngramBag("It isn't bad!"), ['it', "isn't", 'bad', '!', "it isn't", "isn't bad", 'bad !']);
  const rows = madeUp();
  const [f] = fiveFolds(rows, 1);
  assert.equal(naiveBayesAccuracy(f!.train, f!.test), 1);
});

test('uciFiveFold: a tiny classifier with an SST-2-like stage 1 separates the made-up set, naive Bayes beside it', async () => {
  const rows = madeUp();
  const stage1 = rows.map((r) => ({ ...r, text: r.text.replace('the ', 'this ') }));
  const s: SentimentSettings = { vocab: 300, layers: 1, heads: 2, width: 32, block: 16, batch: 16, sstSteps: 60, sstLr: 3e-3, uciSteps: 40, uciLr: 3e-3, seed: 1 };
  const lines: string[] = [];
  const r = await uciFiveFold({ uci: rows, sst2: stage1, settings: s, log: (l) => lines.push(l) });
  assert.equal(r.foldAccuracy.length, 5);
  assert.ok(r.accuracy >= 0.9, `accuracy ${r.accuracy}`);
  assert.equal(r.naiveBayes, 1);
  assert.ok(lines.some((l) => l.startsWith('stage 1 done')));
  assert.equal(lines.filter((l) => /^fold \d\/5: classifier/.test(l)).length, 5);
});
