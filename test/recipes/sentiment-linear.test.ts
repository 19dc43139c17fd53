// The sentiment recipe's default model (src/recipes/sentiment-linear.ts): NBSVM's 5-fold
// run beside naive Bayes on a made-up set, with and without an SST-2-like extra set, and
// the final model directory classifying through the tasks layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelledText } from '../../src/data/classify-data.ts';
import { linearFiveFold, linearSentimentSettings, trainFinalLinear, type LinearSentimentSettings } from '../../src/recipes/sentiment-linear.ts';
import { recipe } from '../../src/recipes/sentiment.ts';
import { classify } from '../../src/tasks/classify.ts';
import { loadTaskModel } from '../../src/tasks/model-kind.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const THINGS = ['phone', 'film', 'meal', 'service', 'battery', 'plot'];
const WORDS: [string, string][] = [['good', '1'], ['fine', '1'], ['bad', '0'], ['poor', '0']];

/** 48 sentences where "not" flips the word's label: unigrams alone cannot separate them. */
function madeUp(): LabelledText[] {
  return THINGS.flatMap((t) => WORDS.flatMap(([w, l]) => [
    { text: `the ${t} was ${w}`, label: l, where: t },
    { text: `the ${t} was not ${w}`, label: l === '1' ? '0' : '1', where: t },
  ]));
}

const SMALL: LinearSentimentSettings = { buckets: 1 << 12, l2: 1e-5, epochs: 60, lr: 0.1, uciWeight: 5 };

test('linearFiveFold: NBSVM learns the negation set on every fold; naive Bayes is measured beside it on the same folds', () => {
  const lines: string[] = [];
  const r = linearFiveFold({ uci: madeUp(), sst2: null, settings: SMALL, log: (l) => lines.push(l) });
  assert.deepEqual(r.foldAccuracy, [1, 1, 1, 1, 1]);
  assert.equal(r.naiveBayesFolds.length, 5);
  assert.ok(r.naiveBayes > 0 && r.naiveBayes <= 1);
  assert.equal(lines.filter((l) => /^fold \d\/5: NBSVM .*, naive Bayes /.test(l)).length, 5);
});

test('linearFiveFold with an SST-2-like set: it is trained on too (it alone decides words UCI never shows)', () => {
  const uci = madeUp().filter((x) => !x.text.endsWith('fine'));
  const extra: LabelledText[] = [{ text: 'fine', label: '1', where: 's' }, { text: 'it is fine', label: '1', where: 's' }, { text: 'not fine', label: '0', where: 's' }, { text: 'bad', label: '0', where: 's' }];
  const lines: string[] = [];
  const r = linearFiveFold({ uci, sst2: extra, settings: SMALL, log: (l) => lines.push(l) });
  assert.deepEqual(r.foldAccuracy, [1, 1, 1, 1, 1]);
  assert.match(lines[0]!, /4 SST-2 phrases \+ each fold's UCI training part \(weight 5\)/);
  const dir = mkdtempSync(join(tmpdir(), 'llmts-test-sentiment-linear-'));
  try {
    trainFinalLinear(uci, extra, SMALL, dir);
    const [a, b] = classify(loadTaskModel(dir), ['the screen was fine', 'the screen was not fine']);
    assert.deepEqual([a!.label, b!.label], ['positive', 'negative']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the recipe: nbsvm by default with the measured settings; an unknown --arch is E_FLAG', async () => {
  assert.deepEqual(linearSentimentSettings(false), { buckets: 1 << 20, l2: 1e-5, epochs: 100, lr: 0.05, uciWeight: 1 });
  assert.ok(Object.keys(recipe.options ?? {}).includes('arch'));
  await assert.rejects(recipe.run({ out: join(tmpdir(), 'llmts-never'), log: () => {}, flags: { arch: 'svm' } }),
    (e: unknown) => e instanceof LlmtsError && e.code === 'E_FLAG' && /--arch must be nbsvm or gpt2/.test(e.message));
});
