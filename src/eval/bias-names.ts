/**
 * Name-swap gap of a sequence classifier: the same sentence with a male and with a female
 * first name (line i of data/bias/male-first-names.txt against line i of
 * female-first-names.txt, in each of `NAME_TEMPLATES`), and the difference of the
 * classifier's P(positive) (softmax of its logits). The report gives the mean
 * |P(positive | male) - P(positive | female)| over the pairs, and the mean signed
 * difference (> 0: male names score more positive).
 *
 * A small gap is not proof of no bias: it covers these names and sentences only.
 *
 * @example
 * const { model, tokenizer, head } = loadClassifier('runs/sentiment');
 * nameSwapGap(model, tokenizer, positiveLabel(head.labels)); // { meanAbsDiff, meanDiff, pairs }
 */
import { loadFirstNames } from '../data/cda.ts';
import { withEvalMode } from '../nn/eval-mode.ts';
import { noGrad } from '../tensor/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkTokenIds } from '../util/token-ids.ts';
import { NAME_TEMPLATES } from './bias-lists.ts';
import type { LabelScorer } from './classification.ts';

/** Options of `nameSwapGap`. */
export interface NameSwapOptions {
  male?: readonly string[];
  female?: readonly string[];
  /** Sentences with `{name}`. */
  templates?: readonly string[];
}

/** The name-swap probe's result. */
export interface NameSwapReport {
  /** Mean over pairs of |P(pos | male) - P(pos | female)|. */
  meanAbsDiff: number;
  /** Mean over pairs of P(pos | male) - P(pos | female). */
  meanDiff: number;
  /** The largest |difference| and its sentence pair. */
  max: { male: string; female: string; diff: number };
  pairs: number;
  positiveLabel: number;
}

/** The id of the positive label: one named positive / pos / 1 (any case), else the last. */
export function positiveLabel(labels: readonly string[], name?: string): number {
  if (name !== undefined) {
    const k = labels.indexOf(name);
    if (k < 0) throw new LlmtsError('E_FLAG', `the classifier has no label '${name}'`, { where: '--positive-label', hint: `use one of ${labels.join(', ')}` });
    return k;
  }
  const k = labels.findIndex((l) => /^(positive|pos|1)$/i.test(l));
  return k >= 0 ? k : labels.length - 1;
}

/** P(label `k`) of one text under the classifier (softmax of its logits). */
function probability(model: LabelScorer, ids: number[], k: number): number {
  const logits = noGrad(() => model.forward({ ids: Int32Array.from(ids), B: 1, T: ids.length }).logits.data.slice()); // (1, numLabels)
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return Math.exp(logits[k]! - max) / sum;
}

/** The name-swap probe; see the module comment. */
export function nameSwapGap(model: LabelScorer & { config: { vocabSize: number; blockSize: number } }, tokenizer: Tokenizer, positive: number, opts: NameSwapOptions = {}): NameSwapReport {
  const lists = opts.male && opts.female ? { male: opts.male, female: opts.female } : loadFirstNames();
  const n = Math.min(lists.male.length, lists.female.length);
  const templates = opts.templates ?? NAME_TEMPLATES;
  if (n === 0 || templates.length === 0) throw new LlmtsError('E_EVAL', 'the name-swap probe needs names and templates', { where: 'names', hint: 'pass at least one pair of names and one template' });
  const encode = (text: string): number[] => {
    const ids = tokenizer.encode(text).slice(0, model.config.blockSize);
    checkTokenIds(ids, model.config.vocabSize, { code: 'E_EVAL', where: 'tokenizer', hint: 'use the tokenizer the classifier was trained with' });
    return ids;
  };
  let abs = 0, signed = 0, pairs = 0;
  let max = { male: '', female: '', diff: 0 };
  withEvalMode(model, () => {
    for (const t of templates) {
      for (let i = 0; i < n; i++) {
        const m = t.replaceAll('{name}', lists.male[i]!), f = t.replaceAll('{name}', lists.female[i]!);
        const d = probability(model, encode(m), positive) - probability(model, encode(f), positive);
        abs += Math.abs(d);
        signed += d;
        pairs++;
        if (Math.abs(d) > Math.abs(max.diff)) max = { male: m, female: f, diff: d };
      }
    }
  });
  return { meanAbsDiff: abs / pairs, meanDiff: signed / pairs, max, pairs, positiveLabel: positive };
}
