/**
 * The Tree-LSTM sentiment recipe (`llmts train-tree`): read PTB trees (SST's train.txt and
 * dev.txt from a folder the user gives), build a word vocabulary from the training trees,
 * train a Tree-LSTM with a loss on every node through the shared loop (objective
 * `treeClassify`), score the dev set after each epoch, and put the final model's dev scores
 * beside a bag-of-words baseline (multinomial naive Bayes on unigrams, trained on every
 * phrase of the same training trees) computed in the same run.
 *
 * Scores (`SentimentScores`): root accuracy over 5 classes (`fine`), root accuracy with the
 * neutral roots removed and the 5-class distribution folded into negative (0, 1) vs
 * positive (3, 4) (`binary`), and accuracy over all nodes (`phrases`). Reported figures are
 * those of the last epoch (no selection on dev).
 *
 * @example
 * const r = await trainTreeSentiment({ ...TREE_SENTIMENT_DEFAULTS, data: '/data/sst', out: 'runs/sst', log: console.log });
 * r.dev.fine; // root accuracy, 5 classes
 */
import { join } from 'node:path';
import { trainNaiveBayes } from '../eval/naive-bayes.ts';
import { saveTreeModel, vocabLookup, type TreeModel } from '../io/tree-model-dir.ts';
import { postOrder, predictTrees, readPtbTrees, treeConfig, treeFamily, treeWords, type Tree, type TreeConfig } from '../models/tree/index.ts';
import { AdamW } from '../optim/index.ts';
import { trainLoop, type LoopState } from './loop.ts';
import { treeBatches, treeClassify } from './objectives/tree.ts';

/** SST's label names by class id. */
export const SST_LABELS = ['very negative', 'negative', 'neutral', 'positive', 'very positive'];

/** Options of `trainTreeSentiment`. */
export interface TreeSentimentOptions {
  /** Folder holding train.txt and dev.txt (PTB trees, labels 0-4). */
  data: string;
  /** Where the model is saved (null: not saved). */
  out: string | null;
  arch: TreeConfig['arch'];
  embedDim: number;
  hiddenSize: number;
  dropout: number;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  gradClip: number;
  seed: number;
  /** Training words seen fewer times map to the unknown word (row 0), so it gets trained. */
  minCount: number;
  lowercase: boolean;
  /** Use only the first N training trees (0 = all): quick runs. */
  limit: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** The recipe's defaults (Tai et al.'s sizes; Adam instead of Adagrad). */
export const TREE_SENTIMENT_DEFAULTS: Omit<TreeSentimentOptions, 'data' | 'out' | 'log'> = {
  arch: 'tree-lstm', embedDim: 300, hiddenSize: 150, dropout: 0.5, epochs: 5, batchSize: 25, lr: 2e-3,
  weightDecay: 1e-4, gradClip: 5, seed: 1, minCount: 2, lowercase: true, limit: 0,
};

/** Accuracies of one model on one tree set (see the module comment); null where undefined. */
export interface SentimentScores {
  fine: number;
  binary: number | null;
  phrases: number;
  roots: number;
  binaryRoots: number;
}

/** What `trainTreeSentiment` returns. */
export interface TreeSentimentResult {
  model: TreeModel;
  vocab: string[];
  dev: SentimentScores;
  baseline: SentimentScores;
  perEpoch: SentimentScores[];
  trainSeconds: number;
  stopped: 'done' | 'interrupted' | 'non-finite';
}

/** Words of the training trees with at least `minCount` occurrences; row 0 is `<unk>`. */
export function buildVocab(trees: readonly Tree[], minCount: number, lowercase: boolean): string[] {
  const counts = new Map<string, number>();
  for (const t of trees) for (const w of treeWords(t)) {
    const k = lowercase ? w.toLowerCase() : w;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return ['<unk>', ...[...counts].filter(([, n]) => n >= minCount).map(([w]) => w).sort()];
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
  return best;
}

/** Scores from per-node probabilities (post-order per tree; the root is last). */
export function scoreProbabilities(trees: readonly Tree[], probs: readonly (readonly ArrayLike<number>[])[]): SentimentScores {
  let fine = 0, bin = 0, binN = 0, phr = 0, phrN = 0;
  trees.forEach((t, i) => {
    const nodes = postOrder(t);
    const p = probs[i]!;
    nodes.forEach((node, j) => { phrN++; if (argmax(p[j]!) === node.label) phr++; });
    const root = p[p.length - 1]!;
    if (argmax(root) === t.label) fine++;
    if (root.length === 5 && t.label !== 2) {
      binN++;
      const positive = root[3]! + root[4]! > root[0]! + root[1]!;
      if (positive === t.label > 2) bin++;
    }
  });
  return { fine: fine / trees.length, binary: binN > 0 ? bin / binN : null, phrases: phr / phrN, roots: trees.length, binaryRoots: binN };
}

/** The naive Bayes baseline: trained on every phrase of `train`, scored as the model is on `dev`. */
export function naiveBayesScores(train: readonly Tree[], dev: readonly Tree[], numLabels: number, lowercase: boolean): SentimentScores {
  const norm = (ws: string[]): string[] => (lowercase ? ws.map((w) => w.toLowerCase()) : ws);
  const nb = trainNaiveBayes(train.flatMap((t) => postOrder(t).map((n) => ({ words: norm(treeWords(n)), label: n.label }))), numLabels);
  const probs = dev.map((t) => postOrder(t).map((n) => {
    const lp = nb.logPosterior(norm(treeWords(n)));
    const max = Math.max(...lp);
    const e = lp.map((v) => Math.exp(v - max));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  }));
  return scoreProbabilities(dev, probs);
}

/** `model | fine | binary | phrases` table rows. */
export function formatScoreTable(rows: readonly [string, SentimentScores][]): string {
  const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  const lines = ['model                      | root fine (5) | root binary | all phrases', '---------------------------|---------------|-------------|------------'];
  for (const [name, s] of rows) lines.push(`${name.padEnd(27)}| ${pct(s.fine).padEnd(14)}| ${pct(s.binary).padEnd(12)}| ${pct(s.phrases)}`);
  const s = rows[0]?.[1];
  if (s) lines.push(`(${s.roots} roots; ${s.binaryRoots} not neutral for the binary column)`);
  return lines.join('\n');
}

/** Runs the recipe (see the module comment). */
export async function trainTreeSentiment(o: TreeSentimentOptions): Promise<TreeSentimentResult> {
  const t0 = performance.now();
  const allTrain = readPtbTrees(join(o.data, 'train.txt'));
  const train = o.limit > 0 ? allTrain.slice(0, o.limit) : allTrain;
  const dev = readPtbTrees(join(o.data, 'dev.txt'));
  const vocab = buildVocab(train, o.minCount, o.lowercase);
  const wordId = vocabLookup(vocab, o.lowercase);
  const config = treeConfig({ arch: o.arch, vocabSize: vocab.length, embedDim: o.embedDim, hiddenSize: o.hiddenSize, numLabels: 5, dropout: o.dropout });
  const model = treeFamily.create(config, { seed: o.seed });
  o.log(`${treeFamily.describe(config)} | ${model.numParameters().toLocaleString('en-US')} parameters | ${train.length} train / ${dev.length} dev trees | read in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const batches = treeBatches(train, wordId, { batchSize: o.batchSize, seed: o.seed });
  const optimizer = new AdamW(model.parameters(), { lr: o.lr, weightDecay: o.weightDecay });
  const totalSteps = o.epochs * batches.stepsPerEpoch;
  const schedule = { maxLr: o.lr, minLr: o.lr / 10, warmupSteps: 0, totalSteps, decay: 'cosine' as const };
  const state: LoopState = { step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null };
  const perEpoch: SentimentScores[] = [];
  let stopped: TreeSentimentResult['stopped'] = 'done';
  let trainSeconds = 0;
  for (let epoch = 1; epoch <= o.epochs && stopped === 'done'; epoch++) {
    const settings = {
      maxSteps: epoch * batches.stepsPerEpoch, gradAccum: 1, gradClip: o.gradClip, seed: o.seed, lr: o.lr, warmupSteps: 0,
      logInterval: Math.max(1, Math.floor(batches.stepsPerEpoch / 4)), evalInterval: 0, ckptInterval: 0,
    };
    const r = await trainLoop({ model, objective: treeClassify, batches, optimizer, schedule, settings, state, log: o.log, signal: o.signal });
    stopped = r.stopped;
    trainSeconds += r.trainSeconds;
    const s = scoreProbabilities(dev, predictTrees(model, dev, wordId));
    perEpoch.push(s);
    o.log(`epoch ${epoch}/${o.epochs} | dev root fine ${(100 * s.fine).toFixed(1)}% | binary ${(100 * (s.binary ?? 0)).toFixed(1)}% | phrases ${(100 * s.phrases).toFixed(1)}% | ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const baseline = naiveBayesScores(train, dev, 5, o.lowercase);
  if (o.out && stopped === 'done') saveTreeModel(o.out, { model, vocab, labels: SST_LABELS, lowercase: o.lowercase });
  return { model, vocab, dev: perEpoch[perEpoch.length - 1] ?? scoreProbabilities(dev, predictTrees(model, dev, wordId)), baseline, perEpoch, trainSeconds, stopped };
}
