/**
 * A pretraining run (`llmts train`): the config, token shards, a decoder from the
 * registry, AdamW (decay / no-decay groups), linear warmup + cosine (or linear /
 * constant) decay, and the one training loop (loop.ts) with the causal-LM objective;
 * around it, what a run directory needs: checkpoints (every N steps, at the end and on
 * interrupt; keep the last K and the last good one), metrics.jsonl, loss.html, a
 * progress bar and the final validation loss over the whole validation split.
 *
 * Exact resume: batches come from `TokenLoader.batch(step, micro)` and dropout masks
 * from seeds derived from (seed, step, micro), so the only state is the weights, the
 * AdamW moments and the step, all in the checkpoint. A run stopped at any point (kill -9
 * included) and resumed from its last checkpoint logs the same losses, bit for bit; the
 * temporary folder of a save that kill -9 cut short is removed on resume. Resuming a
 * finished run evaluates nothing again.
 *
 * A non-finite loss or gradient norm stops the run before the optimizer step: the step
 * is reported with the last checkpoint saved at a finite, not exploding training loss
 * (at most twice the loss of guessing uniformly, 2 ln V), which pruning keeps.
 *
 * @example
 * const plan = planRun({ overrides: { preset: 'tiny', maxSteps: 50 } });
 * const result = await train(plan);
 * result.valLoss; // validation loss over the whole validation split
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend } from '../backend/index.ts';
import { loadTokenData, type TokenData } from '../data/tokenize.ts';
import { TokenLoader } from '../data/loader.ts';
import { createModel, modelStats, type AnyModel } from '../models/registry.ts';
import { AdamW, decayGroups, type LrSchedule } from '../optim/index.ts';
import { listCheckpoints, loadCheckpoint, loadOptimizerState, pruneCheckpoints, removeStaleCheckpointTemps, saveCheckpoint, type TrainerState } from '../io/checkpoint.ts';
import { meanLoss } from '../eval/loss.ts';
import { LlmtsError } from '../util/errors.ts';
import { ProgressBar } from '../util/progress.ts';
import { prepareBundledData } from './bundled.ts';
import { formatConfig, parseValue, resolveTrainConfig, type ResolvedConfig, type Source } from './config.ts';
import { CheckpointTrack, duration, trainLoop, type LoopState } from './loop.ts';
import { MetricsLog, readMetrics, writeLossPlot } from './metrics.ts';
import { initLocalAttention } from './masked-lm-init.ts';
import { maskedLmRun } from './masked-lm-run.ts';
import { causalLm, type CausalLmBatch } from './objectives/causal-lm.ts';
import { withTrainingPrecision } from './precision.ts';
import { adoptCheckpointShape, loadContinualModel, replayPlan, replayRecord } from './continual.ts';

/** A resolved run: its config and, when resuming, the checkpoint to start from. */
export interface RunPlan extends ResolvedConfig {
  resumeFrom: string | null;
}

/**
 * Resolves the config (preset <- file <- overrides) and decides between a new run and a
 * resume: with `resume`, the newest checkpoint of `out` supplies the saved config (the
 * overrides still apply, except to the model's shape); without it, an `out` that already
 * holds checkpoints is an error rather than being overwritten.
 */
export function planRun(o: { file?: Record<string, unknown>; fileName?: string; overrides?: Record<string, unknown> }): RunPlan {
  const pick = (k: string): [Source, unknown] | null =>
    o.overrides?.[k] !== undefined ? ['command line', o.overrides[k]] : o.file?.[k] !== undefined ? ['config file', o.file[k]] : null;
  const resume = pick('resume');
  if (!resume || parseValue('resume', resume[1], resume[0]) !== true) {
    const first = resolveTrainConfig(o);
    const existing = listCheckpoints(first.train.out);
    if (existing.length > 0) {
      throw new LlmtsError('E_RUN_EXISTS', `${first.train.out} already holds ${existing.length} checkpoint(s) (newest step ${existing[existing.length - 1]!.step})`, {
        where: 'out', hint: 'add --resume to continue that run, or pick another --out' });
    }
    const explicit = new Set([...Object.keys(o.file ?? {}), ...Object.keys(o.overrides ?? {})]);
    return { ...adoptCheckpointShape(first, explicit), resumeFrom: null }; // continual (--resumeFrom): the shape of that checkpoint
  }
  // resuming: only the run directory is needed to find the saved config
  const outPick = pick('out'), presetPick = pick('preset');
  const out = outPick ? String(parseValue('out', outPick[1], outPick[0])) : `runs/${presetPick ? String(parseValue('preset', presetPick[1], presetPick[0])) : 'shakespeare-char'}`;
  const existing = listCheckpoints(out);
  if (existing.length === 0) {
    throw new LlmtsError('E_NO_CHECKPOINT', `--resume: ${out} has no checkpoints/step-N folder`, { where: 'out', hint: 'start the run without --resume first (or check --out)' });
  }
  const dir = existing[existing.length - 1]!.dir;
  const statePath = join(dir, 'trainer_state.json');
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerState;
  } catch (err) {
    throw new LlmtsError('E_CHECKPOINT', `cannot read ${statePath}`, { where: statePath, hint: 'the checkpoint is incomplete; delete it to resume from the one before', cause: err });
  }
  const overrides = { ...o.file, ...o.overrides, resume: true, out };
  return { ...resolveTrainConfig({ base: state.config, overrides }), resumeFrom: dir };
}

/** What `train` returns. */
export interface TrainResult {
  runDir: string;
  /** Steps completed (the run's step counter). */
  step: number;
  /** Validation loss over the whole validation split at the end (null when stopped early). */
  valLoss: number | null;
  /** Training losses of the steps run in this call, in order. */
  losses: number[];
  /** Why the loop ended. */
  stopped: 'done' | 'interrupted' | 'non-finite';
  trainSeconds: number;
  /** The newest checkpoint directory, if any. */
  checkpoint: string | null;
  model: AnyModel;
  data: TokenData;
}

export interface TrainHooks {
  /** Receives each output line (default console.log). */
  log?: (line: string) => void;
  /** Aborting saves a checkpoint at the current step and returns. */
  signal?: AbortSignal;
}

/**
 * Runs (or resumes) the training described by `plan`; see the module comment. With
 * `precision: 'bf16'` its matrix products run in bf16 (src/train/precision.ts).
 */
export async function train(plan: RunPlan, hooks: TrainHooks = {}): Promise<TrainResult> {
  return withTrainingPrecision(plan.train.precision, hooks.log ?? console.log, () => trainRun(plan, hooks));
}

async function trainRun(plan: RunPlan, hooks: TrainHooks): Promise<TrainResult> {
  const c = plan.train;
  const runDir = c.out;
  const useBar = c.progress && process.stderr.isTTY === true;
  const log = (line: string): void => {
    if (useBar) process.stderr.write('\r\x1b[K');
    (hooks.log ?? console.log)(line);
  };
  mkdirSync(runDir, { recursive: true });

  // ---- data (the preset's bundled corpus is prepared and tokenized into <run>/data once)
  if (!c.data) c.data = await prepareBundledData({ corpus: c.corpus, tokenizer: c.tokenizer, dir: join(runDir, 'data'), log });
  const data = loadTokenData(c.data);
  const T = c.blockSize, B = c.batchSize;

  // ---- model and optimizer (fresh, or from the checkpoint)
  let model: AnyModel;
  let state: TrainerState & LoopState = { step: 0, seed: c.seed, tokens: 0, elapsedSec: 0, valLoss: null, loss: null, lastGood: null, config: { ...c } };
  if (plan.resumeFrom) {
    const ck = loadCheckpoint(plan.resumeFrom);
    if (ck.config.vocabSize !== data.meta.vocabSize) {
      throw new LlmtsError('E_CONFIG', `checkpoint vocabulary ${ck.config.vocabSize} differs from the data's ${data.meta.vocabSize}`, { where: c.data, hint: 'resume with the data the run was trained on' });
    }
    model = ck.model;
    model.train();
    state = { loss: null, lastGood: null, ...ck.trainerState!, config: { ...c } };
    for (const dir of removeStaleCheckpointTemps(runDir)) log(`removed ${dir} (left by a save that was killed)`);
  } else if (c.resumeFrom) {
    model = loadContinualModel(c.resumeFrom, data); // continual pretraining: its weights, a fresh optimizer and schedule (continual.ts)
  } else {
    model = createModel({ ...plan.model, vocabSize: data.meta.vocabSize }, { seed: c.seed });
    if (c.attentionInit === 'local') initLocalAttention(model, { seed: c.seed }); // encoders: heads start on neighbours (masked-lm-init.ts)
  }
  const opt = new AdamW(decayGroups(model.namedParameters(), { weightDecay: c.weightDecay }), { lr: c.lr, betas: [c.beta1, c.beta2], weightDecay: c.weightDecay });
  if (plan.resumeFrom) loadOptimizerState(plan.resumeFrom, opt, model);
  const trainLoader = new TokenLoader(data.train, { seed: c.seed, batchSize: B, blockSize: T, where: `${c.data} (train split)` });
  const replay = c.replay ? replayPlan(c.replay, trainLoader, data, { seed: c.seed, gradAccum: c.gradAccum }) : null; // old data in every batch
  const batchSource = replay ? replay.mix : trainLoader;
  const valLoader = new TokenLoader(data.val, { seed: c.seed ^ 0x7a1d, batchSize: B, blockSize: T, where: `${c.data} (val split)` });
  const mlm = c.objective === 'mlm' ? maskedLmRun(data.tokenizer, c) : null; // encoders: masked batches and metrics
  const objective = mlm ? mlm.objective : causalLm;
  const warmupSteps = c.resumeFrom && c.rewarmSteps >= 0 ? c.rewarmSteps : c.warmupSteps; // continual: re-warm, then re-decay
  const schedule: LrSchedule = { maxLr: c.lr, minLr: c.minLr, warmupSteps, totalSteps: c.maxSteps, decay: c.decay };

  // ---- header: resolved config (printed and saved), model size, throughput reference
  const stats = modelStats(model.config, { batchSize: B, blockSize: T });
  const peak = (c.peakGflops > 0 ? c.peakGflops : 190 * backend().getThreads()) * 1e9;
  writeFileSync(join(runDir, 'train_config.json'), JSON.stringify(c, null, 2) + '\n');
  log(`config (saved to ${join(runDir, 'train_config.json')}):\n${formatConfig(c)}`);
  log(`model: ${model.config.arch}, ${model.config.nLayer} layers, ${model.config.nHead} heads, ${model.config.nEmbd} wide, block ${T}, vocab ${model.config.vocabSize}: ${(model.numParameters() / 1e6).toFixed(2)}M parameters`);
  log(`data: ${data.meta.train.reduce((a, e) => a + e.tokens, 0).toLocaleString('en-US')} train / ${data.meta.val.reduce((a, e) => a + e.tokens, 0).toLocaleString('en-US')} val tokens (${c.data}); backend ${backend().name}, ${backend().getThreads()} threads; mfu vs ${(peak / 1e9).toFixed(0)} GFLOP/s`);
  if (plan.resumeFrom) log(`resuming from ${plan.resumeFrom} (step ${state.step})`);
  else if (c.resumeFrom) log(`continual pretraining from ${c.resumeFrom}: its weights, a fresh optimizer; lr re-warmed over ${warmupSteps} steps to ${c.lr}, ${c.decay} decay to ${c.minLr} at step ${c.maxSteps}`);
  if (replay) log(`replay: ${replay.specs.map((s) => `${(100 * s.fraction).toFixed(1)}% of rows from ${s.dir}`).join(', ')} (per batch of ${B})`);

  // ---- checkpoints: the newest, and the newest saved at a finite, not exploding loss
  const dirOf = (step: number) => join(runDir, 'checkpoints', `step-${step}`);
  const track = new CheckpointTrack(null, null, 2 * Math.log(model.config.vocabSize)); // exploding: twice the loss of guessing uniformly
  if (plan.resumeFrom) {
    if (state.lastGood) track.good = { dir: dirOf(state.lastGood.step), step: state.lastGood.step, loss: state.lastGood.loss };
    track.record({ dir: plan.resumeFrom, step: state.step, loss: state.loss });
  }
  const save = (): void => {
    const good = track.good && track.good.step !== state.step ? { step: track.good.step, loss: track.good.loss } : null;
    const saved = { dir: dirOf(state.step), step: state.step, loss: state.loss };
    const replayed = replay ? { replayed: replayRecord(replay, state.step) } : {}; // what the batches so far replayed
    saveCheckpoint(saved.dir, { model, tokenizer: data.tokenizer, optimizer: opt, trainerState: { ...state, elapsedSec: Math.round(state.elapsedSec * 1000) / 1000, lastGood: good, ...replayed } });
    track.record(saved);
    pruneCheckpoints(runDir, c.keepLast, track.good?.step);
  };

  // ---- the loop
  const metrics = new MetricsLog(runDir, { resumeStep: state.step });
  const bar = new ProgressBar('train', c.maxSteps, { unit: 'items', enabled: c.progress });
  const startStep = state.step;
  const r = await trainLoop<CausalLmBatch, AnyModel>({
    model, objective, batches: mlm ? mlm.batches(batchSource, data.train) : batchSource, optimizer: opt, schedule, settings: c, state,
    evalBatches: () => (mlm ? mlm.masked(valLoader.sample(c.evalIters)) : valLoader.sample(c.evalIters)), flopsPerToken: stats.trainFlopsPerToken, peakFlops: peak,
    log, metrics, bar, afterEval: () => writeLossPlot(runDir, `${c.preset} (${runDir})`), save, checkpoints: track, signal: hooks.signal,
  });
  bar.done(`${duration(r.trainSeconds)}`, state.step);

  // ---- final evaluation over the whole validation split (once: a finished run that is resumed reuses its record)
  let valLoss: number | null = null;
  if (r.stopped === 'done') {
    const recorded = readMetrics(runDir).find((m) => m.kind === 'eval' && m.batches === -1 && m.step === state.step && typeof m.valLoss === 'number');
    if (state.step === startStep && recorded) {
      valLoss = recorded.valLoss as number;
      log(`already trained to step ${state.step} (maxSteps ${c.maxSteps}) | final val loss ${valLoss.toFixed(4)} (metrics.jsonl); raise --maxSteps to train further`);
    } else {
      valLoss = meanLoss(model, objective, mlm ? mlm.masked(valLoader.windows()) : valLoader.windows());
      const valTokens = data.val.reduce((a, s) => a + s.length, 0);
      log(`final eval | val loss ${valLoss.toFixed(4)} | ppl ${Math.exp(valLoss).toFixed(2)} (whole val split: ${valTokens.toLocaleString('en-US')} tokens${mlm ? ', masked positions' : ''})`);
      const extra = mlm ? mlm.report(model, valLoader, log) : {};
      metrics.write({ step: state.step, kind: 'eval', valLoss, perplexity: Math.exp(valLoss), batches: -1, ...extra });
    }
    state.valLoss = valLoss;
  }
  if (r.stopped !== 'non-finite' && (state.step > startStep || !track.last)) save();
  writeLossPlot(runDir, `${c.preset} (${runDir})`);
  log(`${r.stopped === 'done' ? 'trained' : r.stopped === 'interrupted' ? 'interrupted' : 'stopped'} at step ${state.step} in ${duration(r.trainSeconds)}${track.last ? ` | checkpoint ${track.last.dir}` : ''}`);
  return { runDir, step: state.step, valLoss, losses: r.losses, stopped: r.stopped, trainSeconds: r.trainSeconds, checkpoint: track.last?.dir ?? null, model, data };
}
