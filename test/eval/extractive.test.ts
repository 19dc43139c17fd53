/**
 * Extractive summaries (src/eval/extractive.ts) and multi-reference ROUGE
 * (src/eval/multi-ref-rouge.ts): Lead-k; the sentence scorer learns a cue that position
 * alone cannot give and picks the labelled sentence of unseen documents; bad labels are
 * E_DATA; each ROUGE type takes its best reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lead, trainSentenceScorer, type LabelledDocument } from '../../src/eval/extractive.ts';
import { maxRefRouge } from '../../src/eval/multi-ref-rouge.ts';
import { rougeScores } from '../../src/eval/rouge.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

test('lead takes the first k sentences', () => {
  assert.equal(lead(['A b.', 'C d.', 'E f.']), 'A b.');
  assert.equal(lead(['A b.', 'C d.', 'E f.'], 2), 'A b. C d.');
  assert.equal(lead([], 1), '');
});

const FILLER = ['results', 'prior', 'work', 'networks', 'data', 'models', 'training', 'task', 'methods', 'show', 'large', 'deep'];
/** Documents of 4-7 filler sentences; the best one, anywhere, says "we propose". */
function docs(n: number, seed: number): LabelledDocument[] {
  const rng = new Rng(seed);
  const words = (k: number) => Array.from({ length: k }, () => FILLER[rng.int(FILLER.length)]!).join(' ');
  return Array.from({ length: n }, () => {
    const len = 4 + rng.int(4), best = rng.int(len);
    const sentences = Array.from({ length: len }, (_, i) => (i === best ? `We propose ${words(8)}.` : `The ${words(10)}.`));
    return { sentences, best };
  });
}

test('the scorer learns a cue position cannot give and picks the labelled sentence of unseen documents', () => {
  const scorer = trainSentenceScorer(docs(300, 1));
  const held = docs(100, 2);
  const right = held.filter((d) => scorer.pick(d.sentences) === d.best).length;
  const leadRight = held.filter((d) => d.best === 0).length;
  assert.ok(right >= 95, `scorer ${right} / 100 (lead ${leadRight})`);
  assert.ok(leadRight < 40);
  assert.deepEqual(trainSentenceScorer(docs(300, 1)).scores(held[0]!.sentences), scorer.scores(held[0]!.sentences), 'deterministic');
});

test('a label outside its document is E_DATA naming it', () => {
  assert.throws(() => trainSentenceScorer([{ sentences: ['A.', 'B.'], best: 2 }]), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA' && /document 0: best sentence 2/.test(e.message));
});

test('maxRefRouge: each ROUGE type against the reference it matches best; no reference is E_REFS', () => {
  const refs = ['the model learns fast', 'a new loss for sparse data'];
  const pred = 'a new loss learns fast';
  const each = refs.map((r) => rougeScores(r, pred));
  const got = maxRefRouge(refs, pred);
  for (const k of ['rouge1', 'rouge2', 'rougeL'] as const) {
    const best = each.reduce((a, s) => (s[k].fmeasure > a[k].fmeasure ? s : a));
    assert.deepEqual(got[k], best[k], k);
  }
  assert.ok(got.rouge1.fmeasure > 0 && got.rouge2.fmeasure > 0);
  assert.throws(() => maxRefRouge([], 'x'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_REFS');
});
