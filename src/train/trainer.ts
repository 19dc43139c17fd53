/**
 * The training loop: next-token prediction with AdamW (decay / no-decay groups), linear
 * warmup + cosine (or linear / constant) decay, global-norm clipping, gradient
 * accumulation, dropout, periodic evaluation, checkpoints (every N steps, at the end and
 * on interrupt; keep the last K), metrics.jsonl, loss.html and a progress bar.
 *
 * Exact resume: batches come from `TokenLoader.batch(step, micro)` and dropout masks
 * from seeds derived from (seed, step, micro), so the only state is the weights, the
 * AdamW moments and the step, all in the checkpoint. A run stopped at any point (kill -9
 * included) and resumed from its last checkpoint logs the same losses, bit for bit.
 *
 * A non-finite loss or gradient norm stops the run before the optimizer step: the step
 * is reported and the last good checkpoint is left as it was.
 *
 * @example
 * const plan = planRun({ overrides: { preset: 'tiny', maxSteps: 50 } });
 * const result = await train(plan);
 * result.valLoss; // validation loss over the whole validation split
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend } from '../backend/index.ts';
import { loadTokenData, type TokenData } from '../data/tokenize.ts';
import { TokenLoader } from '../data/loader.ts';
import { createModel, type AnyModel } from '../models/registry.ts';
import { modelStats } from '../models/presets.ts';
import { Dropout } from '../nn/dropout.ts';
import { AdamW, clipGradNorm, decayGroups, lrAt, type LrSchedule } from '../optim/index.ts';
import { noGrad, scale, tidy } from '../tensor/index.ts';
import { listCheckpoints, loadCheckpoint, loadOptimizerState, saveCheckpoint, type TrainerState } from '../io/checkpoint.ts';
import { LlmtsError } from '../util/errors.ts';
import { ProgressBar } from '../util/progress.ts';
import { hash32, Rng } from '../util/rng.ts';
import { prepareBundledData } from './bundled.ts';
import { formatConfig, parseValue, resolveTrainConfig, type ResolvedConfig, type Source } from './config.ts';
import { MetricsLog, writeLossPlot } from './metrics.ts';

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
    return { ...first, resumeFrom: null };
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

/** 18.7k style. */
function rate(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0);
}

/** 1m05s style. */
export function duration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

/**
 * Gives every Dropout module a generator seeded from (seed, step, micro, module index),
 * so masks do not depend on how many steps ran in this process. (Dropout keeps its Rng
 * in a private field; replacing it is the one place the trainer reaches inside.)
 */
function reseedDropout(drops: Dropout[], seed: number, step: number, micro: number): void {
  drops.forEach((d, i) => {
    (d as unknown as { rng: Rng }).rng = new Rng(hash32(hash32(hash32(seed ^ 0x0d0d0d0d, step), micro), i));
  });
}

/**
 * Mean loss over batches, model in eval mode, no graph. Each batch runs in `tidy`, so
 * every intermediate (not only logits and loss) goes back to the buffer pool: the next
 * training step finds its buffers there instead of allocating (a 4-layer, 128-wide model
 * at B=12, T=64 otherwise dropped ~28 MiB of pool buffers to the GC per eval batch).
 */
function evaluate(model: AnyModel, batches: Iterable<{ ids: Int32Array; targets: Int32Array; rows: number }>, T: number): number {
  let total = 0, rows = 0;
  model.eval();
  try {
    noGrad(() => {
      for (const b of batches) {
        tidy(() => {
          const { loss } = model.forward(b.ids, b.rows, T, b.targets);
          total += loss!.item() * b.rows;
        });
        rows += b.rows;
      }
    });
  } finally {
    model.train();
  }
  return total / rows;
}

/** Runs (or resumes) the training described by `plan`; see the module comment. */
export async function train(plan: RunPlan, hooks: TrainHooks = {}): Promise<TrainResult> {
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
  let state: TrainerState = { step: 0, seed: c.seed, tokens: 0, elapsedSec: 0, valLoss: null, config: { ...c } };
  if (plan.resumeFrom) {
    const ck = loadCheckpoint(plan.resumeFrom);
    if (ck.config.vocabSize !== data.meta.vocabSize) {
      throw new LlmtsError('E_CONFIG', `checkpoint vocabulary ${ck.config.vocabSize} differs from the data's ${data.meta.vocabSize}`, { where: c.data, hint: 'resume with the data the run was trained on' });
    }
    model = ck.model;
    model.train();
    state = { ...ck.trainerState!, config: { ...c } };
  } else {
    model = createModel({ ...plan.model, vocabSize: data.meta.vocabSize }, { seed: c.seed });
  }
  const opt = new AdamW(decayGroups(model.namedParameters(), { weightDecay: c.weightDecay }), { lr: c.lr, betas: [c.beta1, c.beta2], weightDecay: c.weightDecay });
  if (plan.resumeFrom) loadOptimizerState(plan.resumeFrom, opt, model);
  const drops = model.namedModules().map(([, m]) => m).filter((m): m is Dropout => m instanceof Dropout && m.p > 0);
  const trainLoader = new TokenLoader(data.train, { seed: c.seed, batchSize: B, blockSize: T, where: `${c.data} (train split)` });
  const valLoader = new TokenLoader(data.val, { seed: c.seed ^ 0x7a1d, batchSize: B, blockSize: T, where: `${c.data} (val split)` });
  const schedule: LrSchedule = { maxLr: c.lr, minLr: c.minLr, warmupSteps: c.warmupSteps, totalSteps: c.maxSteps, decay: c.decay };

  // ---- header: resolved config (printed and saved), model size, throughput reference
  const stats = modelStats(model.config, { batchSize: B, blockSize: T });
  const peak = (c.peakGflops > 0 ? c.peakGflops : 190 * backend().getThreads()) * 1e9;
  writeFileSync(join(runDir, 'train_config.json'), JSON.stringify(c, null, 2) + '\n');
  log(`config (saved to ${join(runDir, 'train_config.json')}):\n${formatConfig(c)}`);
  log(`model: ${model.config.arch}, ${model.config.nLayer} layers, ${model.config.nHead} heads, ${model.config.nEmbd} wide, block ${T}, vocab ${model.config.vocabSize}: ${(model.numParameters() / 1e6).toFixed(2)}M parameters`);
  log(`data: ${data.meta.train.reduce((a, e) => a + e.tokens, 0).toLocaleString('en-US')} train / ${data.meta.val.reduce((a, e) => a + e.tokens, 0).toLocaleString('en-US')} val tokens (${c.data}); backend ${backend().name}, ${backend().getThreads()} threads; mfu vs ${(peak / 1e9).toFixed(0)} GFLOP/s`);
  if (plan.resumeFrom) log(`resuming from ${plan.resumeFrom} (step ${state.step})`);

  const metrics = new MetricsLog(runDir, { resumeStep: state.step });
  const bar = new ProgressBar('train', c.maxSteps, { unit: 'items', enabled: c.progress });
  let lastCheckpoint: string | null = plan.resumeFrom;
  const save = (): void => {
    const dir = join(runDir, 'checkpoints', `step-${state.step}`);
    saveCheckpoint(dir, { model, tokenizer: data.tokenizer, optimizer: opt, trainerState: { ...state, elapsedSec: Math.round(state.elapsedSec * 1000) / 1000 } });
    lastCheckpoint = dir;
    const all = listCheckpoints(runDir);
    for (const old of all.slice(0, Math.max(0, all.length - c.keepLast))) rmSync(old.dir, { recursive: true, force: true });
  };

  const tokensPerStep = B * T * c.gradAccum;
  const losses: number[] = [];
  const startStep = state.step;
  const t0 = performance.now();
  let windowStart = t0, windowSteps = 0;
  let stopped: TrainResult['stopped'] = 'done';
  while (state.step < c.maxSteps) {
    if (hooks.signal) await new Promise((resolve) => setImmediate(resolve)); // let a SIGINT handler run
    if (hooks.signal?.aborted) {
      stopped = 'interrupted';
      break;
    }
    const step = state.step; // 0-based index of the step being taken
    const stepStart = performance.now();
    const lr = lrAt(schedule, step);
    opt.setLr(lr);
    model.zeroGrad();
    let loss = 0;
    for (let micro = 0; micro < c.gradAccum; micro++) {
      const { ids, targets } = trainLoader.batch(step, micro);
      if (drops.length) reseedDropout(drops, c.seed, step, micro);
      const out = model.forward(ids, B, T, targets);
      const l = out.loss!;
      loss += l.item() / c.gradAccum;
      (c.gradAccum === 1 ? l : scale(l, 1 / c.gradAccum)).backward();
    }
    const gradNorm = clipGradNorm(model.parameters(), c.gradClip > 0 ? c.gradClip : Infinity);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      const what = !Number.isFinite(loss) ? `loss is ${loss}` : `gradient norm is ${gradNorm}`;
      metrics.write({ step: step + 1, kind: 'train', loss: Number.isFinite(loss) ? loss : String(loss), gradNorm: Number.isFinite(gradNorm) ? gradNorm : String(gradNorm), lr, error: what });
      log(`step ${step + 1}: ${what}; stopping before the update (no checkpoint written). Last good checkpoint: ${lastCheckpoint ?? 'none'}`);
      log('fix: lower lr, raise warmupSteps, or set gradClip (e.g. --gradClip=1)');
      stopped = 'non-finite';
      break;
    }
    opt.step();
    state.step = step + 1;
    state.tokens += tokensPerStep;
    losses.push(loss);
    windowSteps++;
    const now = performance.now();
    state.elapsedSec += (now - stepStart) / 1000;
    if (state.step % c.logInterval === 0 || state.step === c.maxSteps) {
      const ms = (now - windowStart) / windowSteps;
      const tokPerSec = (tokensPerStep * 1000) / ms;
      const mfu = (tokPerSec * stats.trainFlopsPerToken) / peak;
      log(`step ${state.step}/${c.maxSteps} | loss ${loss.toFixed(4)} | lr ${lr.toExponential(2)} | norm ${gradNorm.toFixed(2)} | ${ms.toFixed(0)} ms | ${rate(tokPerSec)} tok/s | mfu ${(100 * mfu).toFixed(0)}%`);
      metrics.write({ step: state.step, kind: 'train', loss, lr, gradNorm, ms, tokPerSec, mfu });
      windowStart = now;
      windowSteps = 0;
    }
    const sec = (now - t0) / 1000;
    bar.update(state.step, `loss ${loss.toFixed(3)} | eta ${duration((sec / (state.step - startStep)) * (c.maxSteps - state.step))}`);
    if (c.evalInterval > 0 && state.step % c.evalInterval === 0) {
      const valLoss = evaluate(model, Array.from({ length: c.evalIters }, (_, i) => ({ ...valLoader.batch(i), rows: B })), T);
      state.valLoss = valLoss;
      log(`eval step ${state.step} | val loss ${valLoss.toFixed(4)} | ppl ${Math.exp(valLoss).toFixed(2)} (${c.evalIters} batches)`);
      metrics.write({ step: state.step, kind: 'eval', valLoss, perplexity: Math.exp(valLoss), batches: c.evalIters });
      writeLossPlot(runDir, `${c.preset} (${runDir})`);
      windowStart = performance.now(); // evaluation time is not training time
      windowSteps = 0;
    }
    if (c.ckptInterval > 0 && state.step % c.ckptInterval === 0 && state.step < c.maxSteps) save();
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  bar.done(`${duration(trainSeconds)}`, state.step);

  let valLoss: number | null = null;
  if (stopped === 'done') {
    valLoss = evaluate(model, valLoader.windows(), T);
    state.valLoss = valLoss;
    const valTokens = data.val.reduce((a, s) => a + s.length, 0);
    log(`final eval | val loss ${valLoss.toFixed(4)} | ppl ${Math.exp(valLoss).toFixed(2)} (whole val split: ${valTokens.toLocaleString('en-US')} tokens)`);
    metrics.write({ step: state.step, kind: 'eval', valLoss, perplexity: Math.exp(valLoss), batches: -1 });
  }
  if (stopped !== 'non-finite' && (state.step > startStep || !lastCheckpoint)) save();
  writeLossPlot(runDir, `${c.preset} (${runDir})`);
  log(`${stopped === 'done' ? 'trained' : stopped === 'interrupted' ? 'interrupted' : 'stopped'} at step ${state.step} in ${duration(trainSeconds)}${lastCheckpoint ? ` | checkpoint ${lastCheckpoint}` : ''}`);
  return { runDir, step: state.step, valLoss, losses, stopped, trainSeconds, checkpoint: lastCheckpoint, model, data };
}
