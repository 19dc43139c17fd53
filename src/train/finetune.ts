/**
 * A fine-tuning run (`llmts finetune`): a loaded model, prepared data of one task, and the
 * one training loop (loop.ts) with that task's objective:
 * - `lm`: next-token windows of text (causal LM, every target counts);
 * - `sft`: rendered conversations whose prompt tokens are IGNORE targets (causal LM with
 *   sftBatch), optionally packed;
 * - `classify`: labelled texts through a classification head (classify objective), with
 *   accuracy, macro F1 and the confusion matrix on the validation set at the end.
 * Full fine-tuning or LoRA (finetune-model.ts). Around the loop, what pretraining has:
 * progress bar, log lines, `<out>/metrics.jsonl`, `<out>/loss.html`, checkpoints every
 * `ckptInterval` steps and on interrupt (`<out>/checkpoints/step-N`, only the trainable
 * weights and their AdamW moments: finetune-checkpoint.ts), exact resume (batches and
 * dropout masks are functions of (seed, step, micro)), the non-finite guard, and early
 * stopping: after `patience` evaluations without a lower validation loss the run stops
 * and the best evaluated weights are put back before the output is written.
 *
 * @example
 * const r = await finetune(ft, data, { ...settings, out: 'runs/sft' }, { tokenizer, baseModel: 'runs/base' });
 * r.valLoss; r.metrics?.accuracy;
 */
import { join } from 'node:path';
import { listCheckpoints, pruneCheckpoints, removeStaleCheckpointTemps } from '../io/checkpoint.ts';
import { classificationMetrics, formatClassificationMetrics, predictLabels, type ClassificationMetrics } from '../eval/classification.ts';
import { meanLoss } from '../eval/loss.ts';
import { TokenLoader } from '../data/loader.ts';
import { makeOutputDir } from '../data/out-dir.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { ProgressBar } from '../util/progress.ts';
import { orderedBatches, sampledBatches } from './finetune-batches.ts';
import { loadFinetuneCheckpoint, saveFinetuneCheckpoint, type FinetuneState } from './finetune-checkpoint.ts';
import { writeFinetuneOutput, type FinetuneModel } from './finetune-model.ts';
import { CheckpointTrack, duration, trainLoop, type LoopSettings } from './loop.ts';
import { MetricsLog, writeLossPlot } from './metrics.ts';
import { causalLm, sftBatch, type CausalLmBatch, type SftExample } from './objectives/causal-lm.ts';
import { classify, classifyBatch, type ClassifyBatch } from './objectives/classify.ts';
import type { BatchShape, BatchSource, Objective } from './objectives/objective.ts';

/** A labelled sequence for classification. */
export interface LabelledIds {
  ids: readonly number[];
  label: number;
}

/** The data of a run, tokenized and split (finetune-data.ts). */
export type FinetuneData =
  | { task: 'lm'; train: Uint32Array[]; val: Uint32Array[] }
  | { task: 'sft'; train: SftExample[]; val: SftExample[] }
  | { task: 'classify'; train: LabelledIds[]; val: LabelledIds[] };

/** The run's settings (the loop's, plus the run's own). */
export interface FinetuneSettings extends LoopSettings {
  out: string;
  batchSize: number;
  /** T: positions per row. */
  blockSize: number;
  minLr: number;
  /** lm: validation windows per periodic evaluation (sft/classify score the whole validation set). */
  evalIters: number;
  keepLast: number;
  /** Evaluations without a lower validation loss before stopping (0 = never). */
  patience: number;
  padId: number;
  progress: boolean;
  /** The options that made the run (saved in checkpoints for --resume). */
  options: Record<string, unknown>;
  /** classify, sft: pad each batch to its longest row instead of blockSize (short texts cost less; the logits do not change). */
  padToLongest?: boolean;
}

/** What `finetune` returns. */
export interface FinetuneResult {
  step: number;
  stopped: 'done' | 'interrupted' | 'non-finite' | 'early-stopped';
  /** Validation loss at the end (null when interrupted or stopped by a non-finite value). */
  valLoss: number | null;
  losses: number[];
  metrics: ClassificationMetrics | null;
  /** What was written to `out`, in words (null when no output was written). */
  output: string | null;
  trainSeconds: number;
  /** Process CPU time of the training loop (all threads). */
  trainCpuSeconds: number;
}

/** Hooks of a run. */
export interface FinetuneHooks {
  tokenizer: Tokenizer;
  /** base_model_name_or_path of an adapter (the --model given). */
  baseModel: string;
  log?: (line: string) => void;
  /** Aborting saves a checkpoint at the current step and returns without an output. */
  signal?: AbortSignal;
  /** A checkpoint to resume from (its weights and moments are loaded into the prepared model). */
  resumeFrom?: string | null;
}

interface TaskParts<B extends BatchShape> {
  objective: Objective<B, never>;
  train: BatchSource<B>;
  /** Batches of the periodic evaluation and of the final one. */
  evalBatches: () => Iterable<B>;
  finalBatches: () => Iterable<B>;
}

function taskParts(data: FinetuneData, s: FinetuneSettings): TaskParts<BatchShape> {
  const { batchSize: B, blockSize: T, seed, padId } = s;
  if (data.task === 'lm') {
    const train = new TokenLoader(data.train, { seed, batchSize: B, blockSize: T, where: 'finetune data (train split)' });
    const val = new TokenLoader(data.val, { seed: seed ^ 0x7a1d, batchSize: B, blockSize: T, where: 'finetune data (validation split)' });
    return { objective: causalLm as Objective<BatchShape, never>, train, evalBatches: () => val.sample(s.evalIters), finalBatches: () => val.windows() };
  }
  if (data.task === 'sft') {
    const make = (ex: SftExample[]): CausalLmBatch => sftBatch(ex, { T: s.padToLongest ? Math.min(T, Math.max(2, ...ex.map((e) => e.ids.length)) - 1) : T, padId });
    return {
      objective: causalLm as Objective<BatchShape, never>, train: sampledBatches(data.train, { batchSize: B, seed, gradAccum: s.gradAccum }, make),
      evalBatches: () => orderedBatches(data.val, B, make), finalBatches: () => orderedBatches(data.val, B, make),
    };
  }
  const make = (ex: LabelledIds[]): ClassifyBatch => classifyBatch(ex, { T: s.padToLongest ? Math.min(T, Math.max(1, ...ex.map((e) => e.ids.length))) : T, padId });
  return {
    objective: classify as Objective<BatchShape, never>, train: sampledBatches(data.train, { batchSize: B, seed, gradAccum: s.gradAccum }, make),
    evalBatches: () => orderedBatches(data.val, B, make), finalBatches: () => orderedBatches(data.val, B, make),
  };
}

/** Runs (or resumes) the fine-tuning of `ft` on `data`; see the module comment. */
export async function finetune(ft: FinetuneModel, data: FinetuneData, s: FinetuneSettings, hooks: FinetuneHooks): Promise<FinetuneResult> {
  if (data.task !== ft.task) throw new LlmtsError('E_CONFIG', `the data is for task ${data.task}, the model was prepared for ${ft.task}`, { where: 'finetune', hint: 'prepare both for one task' });
  if (data.val.length === 0) throw new LlmtsError('E_DATA', 'no validation data', { where: '--val-data', hint: 'raise --val-fraction or pass --val-data' });
  const useBar = s.progress && process.stderr.isTTY === true;
  const log = (line: string): void => {
    if (useBar) process.stderr.write('\r\x1b[K');
    (hooks.log ?? console.log)(line);
  };
  makeOutputDir(s.out, '--out');
  const model = ft.trainable;
  const parts = taskParts(data, s);
  const state: FinetuneState = { step: 0, seed: s.seed, tokens: 0, elapsedSec: 0, valLoss: null, loss: null, bestValLoss: null, sinceBest: 0, options: s.options };
  if (hooks.resumeFrom) {
    Object.assign(state, loadFinetuneCheckpoint(hooks.resumeFrom, model, ft.optimizer), { options: s.options });
    for (const dir of removeStaleCheckpointTemps(s.out)) log(`removed ${dir} (left by a save that was killed)`);
    log(`resuming from ${hooks.resumeFrom} (step ${state.step})`);
  }
  const total = model.numParameters(), trainable = model.numTrainableParameters();
  log(`finetune ${ft.task}${ft.lora ? ` with LoRA r=${ft.lora.r} alpha=${ft.lora.alpha}${ft.lora.rsLora ? ' (rsLoRA)' : ''} on ${ft.lora.wrapped.length} modules` : ' (full)'}: ${trainable.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} parameters train (${(100 * trainable / total).toFixed(2)}%)`);
  log(`data: ${data.train.length.toLocaleString('en-US')} train / ${data.val.length.toLocaleString('en-US')} val ${data.task === 'lm' ? 'token streams' : data.task === 'sft' ? 'rows' : 'texts'}; batch ${s.batchSize} x ${s.blockSize}, ${s.maxSteps} steps`);

  // ---- checkpoints and early stopping
  const dirOf = (step: number) => join(s.out, 'checkpoints', `step-${step}`);
  const track = new CheckpointTrack(null, null);
  if (hooks.resumeFrom) track.record({ dir: hooks.resumeFrom, step: state.step, loss: state.loss });
  const save = (): void => {
    saveFinetuneCheckpoint(dirOf(state.step), { model, optimizer: ft.optimizer, state: { ...state, elapsedSec: Math.round(state.elapsedSec * 1000) / 1000 } });
    track.record({ dir: dirOf(state.step), step: state.step, loss: state.loss });
    pruneCheckpoints(s.out, s.keepLast);
  };
  const stop = new AbortController();
  hooks.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  let earlyStopped = false;
  let best: Map<string, Float32Array> | null = null;
  const afterEval = (): void => {
    writeLossPlot(s.out, `finetune ${ft.task} (${s.out})`);
    const v = state.valLoss;
    if (v === null || s.patience <= 0) return;
    if (state.bestValLoss === null || v < state.bestValLoss) {
      state.bestValLoss = v;
      state.sinceBest = 0;
      best = new Map(model.trainableParameters().map(([n, p]) => [n, p.data.slice()]));
    } else if (++state.sinceBest >= s.patience) {
      log(`early stop: val loss ${v.toFixed(4)} has not improved on ${state.bestValLoss.toFixed(4)} for ${state.sinceBest} evaluations (--patience ${s.patience})`);
      earlyStopped = true;
      stop.abort();
    }
  };

  // ---- the loop
  const metrics = new MetricsLog(s.out, { resumeStep: state.step });
  const bar = new ProgressBar('finetune', s.maxSteps, { unit: 'items', enabled: s.progress });
  const r = await trainLoop<BatchShape, never>({
    model: model as never, objective: parts.objective, batches: parts.train, optimizer: ft.optimizer,
    schedule: { maxLr: s.lr, minLr: s.minLr, warmupSteps: s.warmupSteps, totalSteps: s.maxSteps, decay: 'cosine' },
    settings: s, state, evalBatches: parts.evalBatches, log, metrics, bar, afterEval, save, checkpoints: track, signal: stop.signal,
  });
  bar.done(duration(r.trainSeconds), state.step);
  const stopped: FinetuneResult['stopped'] = earlyStopped ? 'early-stopped' : r.stopped;
  if (stopped === 'interrupted' || stopped === 'non-finite') {
    if (stopped === 'interrupted' && state.step > 0 && track.last?.step !== state.step) save();
    log(`${stopped} at step ${state.step}${track.last ? ` | checkpoint ${track.last.dir} (resume with --resume)` : ''}; no model written`);
    return { step: state.step, stopped, valLoss: null, losses: r.losses, metrics: null, output: null, trainSeconds: r.trainSeconds, trainCpuSeconds: r.trainCpuSeconds };
  }
  if (earlyStopped && best) {
    const params = new Map(model.trainableParameters());
    for (const [n, d] of best as Map<string, Float32Array>) params.get(n)!.data.set(d);
    log(`restored the weights of the best evaluation (val loss ${state.bestValLoss!.toFixed(4)})`);
  }

  // ---- final evaluation over the whole validation set, then the output
  const valLoss = meanLoss(model as never, parts.objective, parts.finalBatches());
  state.valLoss = valLoss;
  log(`final eval | val loss ${valLoss.toFixed(4)}${ft.task !== 'classify' ? ` | ppl ${Math.exp(valLoss).toFixed(2)}` : ''} (whole validation set${ft.task === 'sft' ? ', assistant tokens' : ''})`);
  let cm: ClassificationMetrics | null = null;
  if (ft.classifier && ft.head) {
    const { pred, gold } = predictLabels(ft.classifier, parts.finalBatches() as Iterable<ClassifyBatch>);
    cm = classificationMetrics(pred, gold, ft.head.numLabels);
    for (const line of formatClassificationMetrics(cm, ft.head.labels)) log(`final eval | ${line}`);
  }
  metrics.write({ step: state.step, kind: 'eval', valLoss, batches: -1, ...(cm ? { accuracy: cm.accuracy, macroF1: cm.macroF1, confusion: JSON.stringify(cm.confusion) } : {}) });
  writeLossPlot(s.out, `finetune ${ft.task} (${s.out})`);
  if (state.step > 0 && track.last?.step !== state.step) save();
  const output = writeFinetuneOutput(ft, s.out, { tokenizer: hooks.tokenizer, baseModel: hooks.baseModel });
  log(`${stopped === 'early-stopped' ? 'stopped early' : 'trained'} at step ${state.step} in ${duration(r.trainSeconds)} | wrote ${s.out}: ${output}`);
  return { step: state.step, stopped, valLoss, losses: r.losses, metrics: cm, output, trainSeconds: r.trainSeconds, trainCpuSeconds: r.trainCpuSeconds };
}

/** The newest fine-tuning checkpoint of `out`, or null. */
export function latestFinetuneCheckpoint(out: string): string | null {
  const all = listCheckpoints(out);
  return all.length > 0 ? all[all.length - 1]!.dir : null;
}
