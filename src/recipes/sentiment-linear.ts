/**
 * The sentiment recipe's default model: NBSVM (src/models/linear-text: naive-Bayes
 * log-count ratios of hashed word uni- and bigrams, then logistic regression), its UCI
 * 5-fold accuracy beside naive Bayes on the same folds, and the final model on all of UCI.
 * With SST-2 (`--sst2 DIR`) each fold's model is trained on SST-2's 67k phrases together
 * with that fold's UCI training part (weighted `uciWeight` each: UCI is the domain tested);
 * the test fold is never trained on.
 *
 * @example
 * const ev = linearFiveFold({ uci, sst2: null, settings: linearSentimentSettings(false), log: console.log });
 * ev.accuracy; // ~0.83 (naive Bayes ~0.83 beside it)
 */
import type { LabelledText } from '../data/classify-data.ts';
import { saveLinearText } from '../io/linear-text-dir.ts';
import { trainLinearText, linearTextProbs, type LinearTextExample, type LinearTextModel } from '../models/linear-text/index.ts';
import { FOLD_SEED, fiveFolds, naiveBayesAccuracy } from './sentiment-data.ts';

/** The NBSVM settings of a run. */
export interface LinearSentimentSettings {
  buckets: number;
  l2: number;
  epochs: number;
  lr: number;
  /** Weight of each UCI sentence relative to an SST-2 phrase (only with SST-2). */
  uciWeight: number;
}

/** The settings measured for the recipe (README's figure). */
export function linearSentimentSettings(withSst2: boolean): LinearSentimentSettings {
  return { buckets: 1 << 20, l2: 1e-5, epochs: 100, lr: 0.05, uciWeight: withSst2 ? 5 : 1 };
}

/** What `linearFiveFold` measures. */
export interface LinearSentimentEvaluation {
  foldAccuracy: number[];
  accuracy: number;
  /** Naive Bayes (unigrams + bigrams, add-one) on the same folds, per fold and mean. */
  naiveBayesFolds: number[];
  naiveBayes: number;
  seconds: number;
}

/** The training examples: SST-2 (if any) at weight 1, then the UCI sentences at `uciWeight`. */
function examples(uci: readonly LabelledText[], sst2: readonly LabelledText[] | null, uciWeight: number): LinearTextExample[] {
  return [
    ...(sst2 ?? []).map((x) => ({ text: x.text, label: Number(x.label) })),
    ...uci.map((x) => ({ text: x.text, label: Number(x.label), weight: sst2 ? uciWeight : 1 })),
  ];
}

function train(uci: readonly LabelledText[], sst2: readonly LabelledText[] | null, s: LinearSentimentSettings): LinearTextModel {
  return trainLinearText(examples(uci, sst2, s.uciWeight), { labels: 2, buckets: s.buckets, l2: s.l2, epochs: s.epochs, lr: s.lr });
}

function accuracy(m: LinearTextModel, test: readonly LabelledText[]): number {
  let right = 0;
  for (const x of test) {
    const p = linearTextProbs(m, x.text);
    if ((p[1]! > p[0]! ? '1' : '0') === x.label) right++;
  }
  return right / test.length;
}

/** UCI 5-fold accuracy of NBSVM (see the module comment), naive Bayes beside it, in one run. */
export function linearFiveFold(o: { uci: readonly LabelledText[]; sst2: readonly LabelledText[] | null; settings: LinearSentimentSettings; log: (l: string) => void }): LinearSentimentEvaluation {
  const t0 = performance.now();
  const folds = fiveFolds(o.uci, FOLD_SEED);
  const foldAccuracy: number[] = [], naiveBayesFolds: number[] = [];
  o.log(`NBSVM: hashed uni+bigrams (${o.settings.buckets} slots), l2 ${o.settings.l2}, ${o.settings.epochs} full-batch Adam epochs${o.sst2 ? `, ${o.sst2.length} SST-2 phrases + each fold's UCI training part (weight ${o.settings.uciWeight})` : ''}`);
  for (const [k, f] of folds.entries()) {
    const acc = accuracy(train(f.train, o.sst2, o.settings), f.test);
    const nb = naiveBayesAccuracy(f.train, f.test);
    foldAccuracy.push(acc);
    naiveBayesFolds.push(nb);
    o.log(`fold ${k + 1}/5: NBSVM ${(100 * acc).toFixed(1)}%, naive Bayes ${(100 * nb).toFixed(1)}% (${f.test.length} sentences)`);
  }
  const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
  return { foldAccuracy, accuracy: mean(foldAccuracy), naiveBayesFolds, naiveBayes: mean(naiveBayesFolds), seconds: (performance.now() - t0) / 1000 };
}

/** NBSVM on all of `uci` (and SST-2), written as a model directory to `modelDir`. */
export function trainFinalLinear(uci: readonly LabelledText[], sst2: readonly LabelledText[] | null, s: LinearSentimentSettings, modelDir: string): void {
  saveLinearText(modelDir, train(uci, sst2, s), ['negative', 'positive']);
}
