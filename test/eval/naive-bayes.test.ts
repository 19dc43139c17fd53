import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainNaiveBayes, type BagExample } from '../../src/eval/naive-bayes.ts';

// A hand-made toy set: vocabulary {good, fun, great, bad, boring} (V = 5); class 1 has 4
// word tokens, class 0 has 3; two documents each, so the priors are equal.
const TOY: BagExample[] = [
  { words: ['good', 'fun'], label: 1 },
  { words: ['good', 'great'], label: 1 },
  { words: ['bad', 'boring'], label: 0 },
  { words: ['bad'], label: 0 },
];

function close(actual: Float64Array, expected: number[]): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, k) => assert.ok(Math.abs(actual[k]! - e) < 1e-12, `class ${k}: ${actual[k]} vs ${e}`));
}

test('naive Bayes: add-one smoothed multinomial log-posteriors, computed by hand', () => {
  const nb = trainNaiveBayes(TOY, 2, 1);
  // P(good | 0) = (0 + 1) / (3 + 5), P(good | 1) = (2 + 1) / (4 + 5); priors (2 + 1) / (4 + 2)
  close(nb.logPosterior(['good']), [Math.log(0.5 / 8), Math.log(0.5 / 3)]);
  // P(bad | 0) = 3 / 8, P(bad | 1) = 1 / 9: "good bad" leans negative (3/64 > 1/27)
  const gb = nb.logPosterior(['good', 'bad']);
  close(gb, [Math.log(0.5 * (1 / 8) * (3 / 8)), Math.log(0.5 * (1 / 3) * (1 / 9))]);
  assert.ok(gb[0]! > gb[1]!);
  // a repeated word counts twice (multinomial, not Bernoulli)
  close(nb.logPosterior(['good', 'good']), [Math.log(0.5 / 64), Math.log(0.5 / 9)]);
});

test('naive Bayes: unknown words are skipped, an empty text gives the priors', () => {
  const nb = trainNaiveBayes(TOY, 2, 1);
  close(nb.logPosterior(['good', 'never-seen']), [...nb.logPosterior(['good'])]);
  close(nb.logPosterior([]), [Math.log(0.5), Math.log(0.5)]);
});

test('naive Bayes: unequal classes and alpha set the priors and the smoothing', () => {
  const nb = trainNaiveBayes([...TOY, { words: ['fun'], label: 1 }], 2, 0.5);
  // priors: (2 + .5) / (5 + 1) and (3 + .5) / (5 + 1); class 1 now has 5 tokens, fun twice
  const prior0 = 2.5 / 6, prior1 = 3.5 / 6;
  close(nb.logPosterior([]), [Math.log(prior0), Math.log(prior1)]);
  close(nb.logPosterior(['fun']), [Math.log(prior0 * (0.5 / (3 + 2.5))), Math.log(prior1 * (2.5 / (5 + 2.5)))]);
});
