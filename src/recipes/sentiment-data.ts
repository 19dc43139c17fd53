/**
 * The sentiment recipe's data and baseline: the UCI "Sentiment Labelled Sentences"
 * (amazon / imdb / yelp, label 1 = positive; a copy in data/sentiment-uci, CC BY 4.0),
 * GLUE SST-2's training phrases (no licence: read only from a folder given at run time,
 * never copied), the seeded 5-fold split of UCI, and multinomial naive Bayes over
 * unigrams + bigrams (src/eval/naive-bayes.ts) on the same folds.
 *
 * @example
 * const uci = await readUci('data/sentiment-uci');
 * const folds = fiveFolds(uci, 2015);              // [{ train, test }] x 5, every sentence tested once
 * naiveBayesAccuracy(folds[0].train, folds[0].test); // ~0.83
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLabelled, type LabelledText } from '../data/classify-data.ts';
import { trainNaiveBayes } from '../eval/naive-bayes.ts';
import { splitExamples } from '../train/finetune-batches.ts';
import { LlmtsError } from '../util/errors.ts';

/** The three UCI files. */
export const UCI_FILES = ['amazon_cells_labelled.txt', 'imdb_labelled.txt', 'yelp_labelled.txt'] as const;

/** The bundled copy of UCI (relative to the repository root or the installed package). */
export const UCI_DEFAULT = 'data/sentiment-uci';

/** The seed of the 5-fold split (fixed: the recipe and the bench see the same folds). */
export const FOLD_SEED = 2015;

/** Reads the three UCI files of `dir`; E_DATA naming the missing file otherwise. */
export async function readUci(dir: string): Promise<LabelledText[]> {
  const paths = UCI_FILES.map((f) => join(dir, f));
  const missing = paths.find((p) => !existsSync(p));
  if (missing) {
    throw new LlmtsError('E_DATA', `no UCI sentiment file ${missing}`, { where: '--uci', hint: `pass the folder of the UCI "Sentiment Labelled Sentences" files (${UCI_FILES.join(', ')}), e.g. --uci ${UCI_DEFAULT}` });
  }
  const rows = await readLabelled(paths);
  const bad = rows.find((r) => r.label !== '0' && r.label !== '1');
  if (bad) throw new LlmtsError('E_DATA', `label '${bad.label}' is not 0 or 1`, { where: bad.where, hint: 'UCI lines are "sentence<TAB>0|1"' });
  return rows;
}

/** The training phrases of GLUE SST-2 (`DIR/train.tsv`, header `sentence<TAB>label`). */
export function readSst2(dir: string): LabelledText[] {
  const file = join(dir, 'train.tsv');
  if (!existsSync(file)) throw new LlmtsError('E_DATA', `no SST-2 train.tsv in ${dir}`, { where: '--sst2', hint: 'pass the GLUE SST-2 folder (train.tsv, dev.tsv), e.g. --sst2 ../shared/data/sentiment-sst2' });
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const out: LabelledText[] = [];
  for (let i = 1; i < lines.length; i++) { // line 0 is the header
    const l = lines[i]!;
    if (l.trim() === '') continue;
    const tab = l.lastIndexOf('\t');
    const label = l.slice(tab + 1).trim();
    if (tab < 0 || (label !== '0' && label !== '1')) {
      throw new LlmtsError('E_DATA', `expected "sentence<TAB>0|1", got ${JSON.stringify(l.slice(0, 60))}`, { where: `${file}:${i + 1}`, hint: 'pass the GLUE SST-2 folder unchanged' });
    }
    out.push({ text: l.slice(0, tab).trim(), label, where: `${file}:${i + 1}` });
  }
  return out;
}

/** One fold: train on the other four fifths, test on this one. */
export interface Fold<E> {
  train: E[];
  test: E[];
}

/** Five folds of a seeded shuffle of `rows`: every row is in exactly one test part. */
export function fiveFolds<E>(rows: readonly E[], seed: number): Fold<E>[] {
  const shuffled = splitExamples(rows, 0, seed).train;
  const folds: Fold<E>[] = [];
  for (let k = 0; k < 5; k++) {
    const lo = Math.round((k * shuffled.length) / 5), hi = Math.round(((k + 1) * shuffled.length) / 5);
    folds.push({ train: [...shuffled.slice(0, lo), ...shuffled.slice(hi)], test: shuffled.slice(lo, hi) });
  }
  return folds;
}

/** Lower-cased word tokens of a sentence, then its bigrams ("a b"): the naive Bayes features. */
export function ngramBag(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?|[!?]/g) ?? [];
  const bag = [...words];
  for (let i = 0; i + 1 < words.length; i++) bag.push(`${words[i]} ${words[i + 1]}`);
  return bag;
}

/** Accuracy on `test` of naive Bayes (unigrams + bigrams, add-one) trained on `train`; labels '0' / '1'. */
export function naiveBayesAccuracy(train: readonly LabelledText[], test: readonly LabelledText[]): number {
  const nb = trainNaiveBayes(train.map((x) => ({ words: ngramBag(x.text), label: Number(x.label) })), 2, 1);
  let right = 0;
  for (const x of test) {
    const lp = nb.logPosterior(ngramBag(x.text));
    if ((lp[1]! > lp[0]! ? '1' : '0') === x.label) right++;
  }
  return right / test.length;
}
