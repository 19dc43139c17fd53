/**
 * `llmts recipe sentiment`: a sentence-sentiment classifier trained here, its UCI 5-fold
 * accuracy beside naive Bayes on the same folds, and a model directory that `llmts
 * classify` / `llmts sentiment` load. Two models (`--arch`):
 * - `nbsvm` (the default; sentiment-linear.ts): NBSVM over hashed word uni- and bigrams,
 *   the better of the two on UCI (README's Recipes figures);
 * - `gpt2`: a small GPT-2 shaped decoder with a mean-pooled classification head
 *   (`finetune --task classify`'s library calls), described below.
 *
 * Steps: a byte-level BPE trained on the texts (no labels); with `--sst2 DIR`, stage 1
 * trains the classifier on GLUE SST-2's 67k training phrases (read where they lie, never
 * copied: SST-2 has no licence); stage 2 fine-tunes it (or a fresh one without SST-2) on
 * UCI. The 5-fold evaluation runs stage 2 once per fold from the same stage-1 weights;
 * the model written to `<out>/model` is stage 2 on all 2,400 UCI sentences.
 *
 * @example
 * const r = await recipe.run({ out: 'runs/sentiment', log: console.log, flags: { sst2: '../shared/data/sentiment-sst2' } });
 * r.evaluation[0]; // { metric: 'UCI 5-fold accuracy, NBSVM (+ SST-2)', value: 0.85, baseline: 'naive Bayes (uni+bigrams)', baselineValue: 0.826 }
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelledText } from '../data/classify-data.ts';
import { gpt2Config } from '../models/decoder/config.ts';
import { createModel, describeModel } from '../models/registry.ts';
import type { StateEntry } from '../nn/module.ts';
import { trainBpe } from '../tokenizer/bpe-trainer.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { finetune, type FinetuneSettings, type LabelledIds } from '../train/finetune.ts';
import { prepareFinetuneModel } from '../train/finetune-model.ts';
import { LlmtsError } from '../util/errors.ts';
import type { Recipe, RecipeResult, RecipeRunOptions } from './registry.ts';
import { linearFiveFold, linearSentimentSettings, trainFinalLinear } from './sentiment-linear.ts';
import { FOLD_SEED, fiveFolds, naiveBayesAccuracy, readSst2, readUci, UCI_DEFAULT } from './sentiment-data.ts';

/** The model and training sizes of one run. */
export interface SentimentSettings {
  vocab: number;
  layers: number;
  heads: number;
  width: number;
  /** Tokens per sentence (longer ones are cut). */
  block: number;
  batch: number;
  /** Stage 1 (SST-2) steps and peak learning rate. */
  sstSteps: number;
  sstLr: number;
  /** Stage 2 (UCI) steps and peak learning rate. */
  uciSteps: number;
  uciLr: number;
  seed: number;
}

/** Optimizer steps per minute of training: an estimate for a quiet 2-core machine (not measured there: this session's machine was shared); sets the step counts. */
const SST_STEPS_PER_MINUTE = 200;

/** The settings for a run of about `minutes` (stage 1 gets the time; stage 2 is fixed and short). */
export function sentimentSettings(minutes: number, seed: number, withSst2: boolean): SentimentSettings {
  return {
    vocab: withSst2 ? 4096 : 2048, layers: 2, heads: 4, width: 128, block: 48, batch: 32,
    sstSteps: withSst2 ? Math.max(1, Math.round(minutes * SST_STEPS_PER_MINUTE)) : 0, sstLr: 1e-3,
    uciSteps: 240, uciLr: withSst2 ? 3e-4 : 1e-3, seed,
  };
}

/** The ids of a text, cut to `block`. */
function encode(tok: Tokenizer, x: LabelledText, block: number): LabelledIds {
  return { ids: tok.encode(x.text).slice(0, block), label: Number(x.label) };
}

function loopSettings(out: string, s: SentimentSettings, steps: number, lr: number, padId: number): FinetuneSettings {
  return {
    out, seed: s.seed, maxSteps: steps, gradAccum: 1, gradClip: 1, lr, minLr: lr / 10, warmupSteps: Math.min(100, Math.floor(steps / 10)),
    logInterval: Math.max(1, Math.floor(steps / 5)), evalInterval: 0, ckptInterval: 0, batchSize: s.batch, blockSize: s.block, evalIters: 20,
    keepLast: 1, patience: 0, padId, progress: false, options: {},
  };
}

/** A trained classifier's weights (copies), to start each fold's stage 2 from. */
type Snapshot = Map<string, StateEntry>;

/** What stage 2 starts from: the tokenizer, the config's sizes and, with SST-2, the stage-1 weights. */
interface Start {
  tokenizer: Tokenizer;
  s: SentimentSettings;
  snapshot: Snapshot | null;
}

/**
 * Trains a fresh classifier (loading `start.snapshot` when given) on `train` for `steps`,
 * writes the classifier directory to `out`, and returns the accuracy on `val` with the weights.
 */
async function trainClassifier(start: Start, train: readonly LabelledText[], val: readonly LabelledText[], stage: { steps: number; lr: number; name: string },
  out: string, log: (l: string) => void): Promise<{ accuracy: number; snapshot: Snapshot }> {
  const { tokenizer, s } = start;
  const padId = tokenizer.specialIds.pad ?? tokenizer.specialIds.eos ?? 0;
  const model = createModel(gpt2Config({ vocabSize: tokenizer.vocabSize, blockSize: s.block, nLayer: s.layers, nHead: s.heads, nEmbd: s.width }), { seed: s.seed });
  const ft = prepareFinetuneModel(model, { task: 'classify', lora: null, seed: s.seed, lr: stage.lr, beta1: 0.9, beta2: 0.999, weightDecay: 0.01, labels: ['negative', 'positive'], pooling: 'mean', padId });
  if (start.snapshot) ft.trainable.loadStateDict(start.snapshot);
  const data = { task: 'classify' as const, train: train.map((x) => encode(tokenizer, x, s.block)), val: val.map((x) => encode(tokenizer, x, s.block)) };
  const r = await finetune(ft, data, loopSettings(out, s, stage.steps, stage.lr, padId), {
    tokenizer, baseModel: 'random init', log: (l) => { if (l.startsWith('step')) log(`  ${stage.name} ${l}`); },
  });
  const snapshot: Snapshot = new Map([...ft.trainable.stateDict()].map(([k, t]) => [k, { data: Float32Array.from(t.data), shape: [...t.shape] }]));
  return { accuracy: r.metrics!.accuracy, snapshot };
}

/** The BPE of the run: trained on every text given (no labels). */
async function sentimentTokenizer(texts: readonly string[], vocab: number): Promise<Tokenizer> {
  const { tokenizer } = await trainBpe([texts.join('<|endoftext|>')], { vocabSize: vocab, specialTokens: ['<|endoftext|>'], threads: 1 });
  return tokenizer;
}

/** What `uciFiveFold` and the recipe measure. */
export interface SentimentEvaluation {
  /** The classifier's accuracy on each UCI fold, and their mean. */
  foldAccuracy: number[];
  accuracy: number;
  /** Naive Bayes (unigrams + bigrams, add-one) on the same folds. */
  naiveBayes: number;
  /** The tokenizer and stage-1 weights, to train the final model from. */
  start: Start;
  seconds: number;
}

/**
 * UCI 5-fold accuracy of the recipe's classifier (stage 1 on SST-2 once when `sst2` is
 * given, stage 2 per fold), beside naive Bayes on the same folds, in one run.
 */
export async function uciFiveFold(o: { uci: readonly LabelledText[]; sst2: readonly LabelledText[] | null; settings: SentimentSettings; log: (l: string) => void }): Promise<SentimentEvaluation> {
  const t0 = performance.now();
  const { uci, sst2, settings: s, log } = o;
  const tokenizer = await sentimentTokenizer([...uci, ...(sst2 ?? [])].map((x) => x.text), s.vocab);
  log(`tokenizer: byte-level BPE, ${tokenizer.vocabSize} ids, trained on ${uci.length + (sst2?.length ?? 0)} texts (no labels)`);
  const work = mkdtempSync(join(tmpdir(), 'llmts-recipe-sentiment-'));
  try {
    let snapshot: Snapshot | null = null;
    if (sst2) {
      log(`stage 1: ${describeModel(gpt2Config({ vocabSize: tokenizer.vocabSize, blockSize: s.block, nLayer: s.layers, nHead: s.heads, nEmbd: s.width }))} classifier on ${sst2.length} SST-2 phrases, ${s.sstSteps} steps of ${s.batch}`);
      const r = await trainClassifier({ tokenizer, s, snapshot: null }, sst2, uci, { steps: s.sstSteps, lr: s.sstLr, name: 'sst-2' }, join(work, 'sst2'), log);
      log(`stage 1 done: accuracy on all UCI before seeing any UCI label ${(100 * r.accuracy).toFixed(1)}%`);
      snapshot = r.snapshot;
    }
    const start: Start = { tokenizer, s, snapshot };
    const folds = fiveFolds(uci, FOLD_SEED);
    const foldAccuracy: number[] = [];
    let nb = 0;
    for (const [k, f] of folds.entries()) {
      const r = await trainClassifier(start, f.train, f.test, { steps: s.uciSteps, lr: s.uciLr, name: `fold ${k + 1}` }, join(work, `fold-${k}`), log);
      const nbk = naiveBayesAccuracy(f.train, f.test);
      foldAccuracy.push(r.accuracy);
      nb += nbk / folds.length;
      log(`fold ${k + 1}/5: classifier ${(100 * r.accuracy).toFixed(1)}%, naive Bayes ${(100 * nbk).toFixed(1)}% (${f.test.length} sentences)`);
      rmSync(join(work, `fold-${k}`), { recursive: true, force: true });
    }
    const accuracy = foldAccuracy.reduce((a, b) => a + b, 0) / foldAccuracy.length;
    return { foldAccuracy, accuracy, naiveBayes: nb, start, seconds: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Stage 2 on all of `uci` from `start`, written as a classifier directory to `modelDir`. */
export async function trainFinalSentiment(start: Start, uci: readonly LabelledText[], modelDir: string, log: (l: string) => void): Promise<void> {
  await trainClassifier(start, uci, uci, { steps: start.s.uciSteps, lr: start.s.uciLr, name: 'final' }, modelDir, log);
}

async function run(opts: RecipeRunOptions): Promise<RecipeResult> {
  const uciDir = opts.flags?.uci ?? UCI_DEFAULT;
  const sst2Dir = opts.flags?.sst2;
  const arch = opts.flags?.arch ?? 'nbsvm';
  if (arch !== 'nbsvm' && arch !== 'gpt2') throw new LlmtsError('E_FLAG', `--arch must be nbsvm or gpt2, got '${arch}'`, { where: '--arch', hint: 'leave --arch out for nbsvm (the better on UCI)' });
  const uci = await readUci(uciDir);
  const sst2 = sst2Dir === undefined ? null : readSst2(sst2Dir);
  opts.log(`sentiment recipe (${arch}): UCI ${uci.length} sentences (${uciDir})${sst2 ? `, SST-2 ${sst2.length} phrases (${sst2Dir})` : ', no SST-2 (pass --sst2 DIR to train on it too)'}`);
  mkdirSync(opts.out, { recursive: true });
  const modelDir = join(opts.out, 'model');
  const usage = [`llmts classify --model ${modelDir} --text "The battery died after a day."`, `llmts sentiment --model ${modelDir} --text "Great food, friendly staff." --json`];
  if (arch === 'nbsvm') {
    const ls = linearSentimentSettings(sst2 !== null);
    const ev = linearFiveFold({ uci, sst2, settings: ls, log: opts.log });
    opts.log(`5-fold: NBSVM ${(100 * ev.accuracy).toFixed(1)}%, naive Bayes ${(100 * ev.naiveBayes).toFixed(1)}% (${ev.seconds.toFixed(0)} s)`);
    opts.log(`final model: NBSVM on all ${uci.length} UCI sentences${sst2 ? ' and SST-2' : ''} -> ${modelDir}`);
    trainFinalLinear(uci, sst2, ls, modelDir);
    return {
      modelDir,
      evaluation: [{ metric: `UCI 5-fold accuracy, NBSVM${sst2 ? ' (+ SST-2)' : ''}`, value: ev.accuracy, baseline: 'naive Bayes (uni+bigrams)', baselineValue: ev.naiveBayes }],
      usage,
    };
  }
  const s = sentimentSettings(opts.minutes ?? recipe.defaultMinutes, opts.seed ?? 1, sst2 !== null);
  const ev = await uciFiveFold({ uci, sst2, settings: s, log: opts.log });
  opts.log(`final model: stage 2 on all ${uci.length} UCI sentences -> ${modelDir}`);
  await trainFinalSentiment(ev.start, uci, modelDir, opts.log);
  return {
    modelDir,
    evaluation: [{ metric: `UCI 5-fold accuracy${sst2 ? ' (SST-2 stage 1)' : ''}`, value: ev.accuracy, baseline: 'naive Bayes (uni+bigrams)', baselineValue: ev.naiveBayes }],
    usage,
  };
}

/** The recipe (see the module comment). */
export const recipe: Recipe = {
  name: 'sentiment',
  summary: 'sentence sentiment classifier (NBSVM, or --arch gpt2; UCI, with --sst2 DIR SST-2 too), 5-fold accuracy beside naive Bayes',
  defaultMinutes: 10,
  options: {
    uci: `the UCI "Sentiment Labelled Sentences" folder (default ${UCI_DEFAULT})`,
    sst2: 'the GLUE SST-2 folder (train.tsv): its 67k phrases are trained on too (gpt2: as stage 1; never copied)',
    arch: 'nbsvm (default: naive-Bayes-weighted logistic regression on word uni+bigrams) or gpt2 (a small Transformer classifier; --minutes applies to it)',
  },
  run,
};
