/**
 * The training loop, one for every model family and objective: for each step, the
 * learning rate of the schedule, `gradAccum` micro-batches from the batch source (loss
 * from the objective, scaled by 1/gradAccum, backward: each micro-batch's mean counts
 * equally, whatever its number of scored targets), global-norm clipping, a guard
 * against non-finite values, the optimizer step; a log line and a metrics record every
 * `logInterval` steps, a validation loss every `evalInterval` steps, a checkpoint every
 * `ckptInterval` steps (through the caller's `save`), and a clean stop on abort.
 *
 * Batches come from `batches.batch(step, micro)` and dropout masks from seeds derived
 * from (seed, step, micro), so a run resumed at step N repeats the steps an uninterrupted
 * run would have taken, bit for bit.
 *
 * A non-finite loss or gradient norm stops the run before the update. The message names
 * the last checkpoint whose training loss was finite and not exploding (`CheckpointTrack`),
 * and a fix that fits the run's settings (`nonFiniteHint`).
 *
 * @example
 * const r = await trainLoop({ model, objective: causalLm, batches: loader, optimizer, settings, state, log: console.log });
 * r.stopped; // 'done' | 'interrupted' | 'non-finite'
 */
import type { Module } from '../nn/module.ts';
import { Dropout } from '../nn/dropout.ts';
import { clipGradNorm, lrAt, type LrSchedule, type Optimizer } from '../optim/index.ts';
import { scale } from '../tensor/index.ts';
import type { ProgressBar } from '../util/progress.ts';
import { hash32, Rng } from '../util/rng.ts';
import { sumLoss } from '../eval/loss.ts';
import type { MetricsLog } from './metrics.ts';
import type { BatchShape, BatchSource, Objective } from './objectives/objective.ts';

/** The settings the loop reads (a subset of TrainConfig; `llmts demo` fills them itself). */
export interface LoopSettings {
  maxSteps: number;
  gradAccum: number;
  /** Global gradient-norm limit; 0 = no clipping. */
  gradClip: number;
  seed: number;
  lr: number;
  warmupSteps: number;
  logInterval: number;
  /** Validation every N steps (0 = never inside the loop). */
  evalInterval: number;
  /** Checkpoint every N steps (0 = never inside the loop). */
  ckptInterval: number;
}

/** The loop's progress: what a checkpoint stores and a resume restores. */
export interface LoopState {
  /** Optimizer steps completed. */
  step: number;
  /** Tokens trained on so far. */
  tokens: number;
  /** Wall seconds spent training so far. */
  elapsedSec: number;
  /** Last validation loss, or null. */
  valLoss: number | null;
  /** Training loss of the last step taken, or null. */
  loss: number | null;
}

/** A checkpoint the loop knows of, with the training loss it was saved at. */
export interface SavedCheckpoint {
  dir: string;
  step: number;
  loss: number | null;
}

/** Everything `trainLoop` needs. */
export interface LoopOptions<B extends BatchShape, M> {
  /** The model the objective scores (any Module: its parameters are trained). */
  model: M & Module;
  objective: Objective<B, M>;
  batches: BatchSource<B>;
  optimizer: Optimizer;
  schedule: LrSchedule;
  settings: LoopSettings;
  /** Updated in place as steps complete. */
  state: LoopState;
  /** Validation batches for the periodic evaluation (called afresh each time). */
  evalBatches?: () => Iterable<B>;
  /** Training FLOPs per token and the peak FLOP/s, for the MFU figure (omit both for none). */
  flopsPerToken?: number;
  peakFlops?: number;
  log: (line: string) => void;
  metrics?: MetricsLog | null;
  bar?: ProgressBar | null;
  /** Called after each periodic evaluation (e.g. to redraw loss.html). */
  afterEval?: () => void;
  /** Saves a checkpoint of the current state (every ckptInterval steps) and records it in `checkpoints`. */
  save?: () => void;
  /** The run's checkpoints, for the message after a non-finite step. */
  checkpoints?: CheckpointTrack;
  /** Aborting ends the loop before the next step ('interrupted'). */
  signal?: AbortSignal;
}

/** What `trainLoop` returns. */
export interface LoopResult {
  /** Training losses of the steps run in this call, in order. */
  losses: number[];
  stopped: 'done' | 'interrupted' | 'non-finite';
  trainSeconds: number;
  /** Process CPU time (all threads) over the same span as trainSeconds. */
  trainCpuSeconds: number;
}

/** 18.7k style. */
export function rate(x: number): string {
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
 * The newest checkpoint of a run and the newest good one: saved at a finite training loss
 * not above `explodingLoss` (a checkpoint of unknown loss, from an older version, counts as good).
 */
export class CheckpointTrack {
  constructor(public last: SavedCheckpoint | null, public good: SavedCheckpoint | null, readonly explodingLoss = Infinity) {}

  /** Whether `c` was saved at a finite, not exploding loss. */
  isGood(c: SavedCheckpoint): boolean {
    return c.loss === null || (Number.isFinite(c.loss) && c.loss <= this.explodingLoss);
  }

  /** Notes a checkpoint just saved. */
  record(c: SavedCheckpoint): void {
    this.last = c;
    if (this.isGood(c)) this.good = c;
  }

  /** "Last good checkpoint: ..." for the non-finite message. */
  describe(): string {
    const { last, good } = this;
    const goodText = good ? `${good.dir}${good.loss !== null ? ` (training loss ${good.loss.toFixed(4)})` : ''}` : 'none';
    const newer = last && last.dir !== good?.dir ? `; the newer ${last.dir} was saved at training loss ${last.loss}, already diverging` : '';
    return `Last good checkpoint: ${goodText}${newer}`;
  }
}

/**
 * What to change after a non-finite loss or gradient norm, given the run's settings:
 * never suggests a setting the run already has.
 */
export function nonFiniteHint(s: Pick<LoopSettings, 'lr' | 'warmupSteps' | 'gradClip' | 'maxSteps'>): string {
  const fixes = [`lower lr (--lr=${Number((s.lr / 10).toPrecision(3))}; it is ${s.lr})`];
  const warmup = Math.min(s.maxSteps, Math.max(100, 2 * s.warmupSteps));
  if (warmup > s.warmupSteps) fixes.push(`raise warmupSteps (--warmupSteps=${warmup}; it is ${s.warmupSteps})`);
  if (s.gradClip === 0) fixes.push('clip gradients (--gradClip=1; it is 0, no clipping)');
  else if (s.gradClip > 1) fixes.push(`clip harder (--gradClip=1; it is ${s.gradClip})`);
  return `fix: ${fixes.join(', or ')}${s.gradClip > 0 && s.gradClip <= 1 ? ` (gradients are already clipped to norm ${s.gradClip})` : ''}`;
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

/** Runs steps until `settings.maxSteps`, an abort or a non-finite value; see the module comment. */
export async function trainLoop<B extends BatchShape, M>(o: LoopOptions<B, M>): Promise<LoopResult> {
  const { model, objective, optimizer: opt, settings: c, state } = o;
  const drops = model.namedModules().map(([, m]) => m).filter((m): m is Dropout => m instanceof Dropout && m.p > 0);
  const losses: number[] = [];
  const startStep = state.step;
  const t0 = performance.now(), cpu0 = process.cpuUsage();
  let windowStart = t0, windowSteps = 0, windowTokens = 0;
  let stopped: LoopResult['stopped'] = 'done';
  while (state.step < c.maxSteps) {
    if (o.signal) await new Promise((resolve) => setImmediate(resolve)); // let a SIGINT handler run
    if (o.signal?.aborted) {
      stopped = 'interrupted';
      break;
    }
    const step = state.step; // 0-based index of the step being taken
    const stepStart = performance.now();
    const lr = lrAt(o.schedule, step);
    opt.setLr(lr);
    model.zeroGrad();
    let loss = 0, stepTokens = 0;
    for (let micro = 0; micro < c.gradAccum; micro++) {
      const batch = o.batches.batch(step, micro);
      if (drops.length) reseedDropout(drops, c.seed, step, micro);
      const l = objective.loss(model, batch).loss; // ()
      loss += l.item() / c.gradAccum;
      (c.gradAccum === 1 ? l : scale(l, 1 / c.gradAccum)).backward();
      stepTokens += batch.tokens;
    }
    const gradNorm = clipGradNorm(model.parameters(), c.gradClip > 0 ? c.gradClip : Infinity);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      const what = !Number.isFinite(loss) ? `loss is ${loss}` : `gradient norm is ${gradNorm}`;
      o.metrics?.write({ step: step + 1, kind: 'train', loss: Number.isFinite(loss) ? loss : String(loss), gradNorm: Number.isFinite(gradNorm) ? gradNorm : String(gradNorm), lr, error: what });
      o.log(`step ${step + 1}: ${what}; stopping before the update (no checkpoint written). ${o.checkpoints?.describe() ?? 'Last good checkpoint: none'}`);
      o.log(nonFiniteHint(c));
      stopped = 'non-finite';
      break;
    }
    opt.step();
    state.step = step + 1;
    state.tokens += stepTokens;
    state.loss = loss;
    losses.push(loss);
    windowSteps++;
    windowTokens += stepTokens;
    const now = performance.now();
    state.elapsedSec += (now - stepStart) / 1000;
    if (state.step % c.logInterval === 0 || state.step === c.maxSteps) {
      const ms = (now - windowStart) / windowSteps;
      const tokPerSec = (windowTokens / windowSteps * 1000) / ms;
      const mfu = o.flopsPerToken && o.peakFlops ? (tokPerSec * o.flopsPerToken) / o.peakFlops : null;
      o.log(`step ${state.step}/${c.maxSteps} | loss ${loss.toFixed(4)} | lr ${lr.toExponential(2)} | norm ${gradNorm.toFixed(2)} | ${ms.toFixed(0)} ms | ${rate(tokPerSec)} tok/s${mfu !== null ? ` | mfu ${(100 * mfu).toFixed(0)}%` : ''}`);
      o.metrics?.write({ step: state.step, kind: 'train', loss, lr, gradNorm, ms, tokPerSec, ...(mfu !== null ? { mfu } : {}) });
      windowStart = now;
      windowSteps = 0;
      windowTokens = 0;
    }
    const sec = (now - t0) / 1000;
    o.bar?.update(state.step, `loss ${loss.toFixed(3)} | eta ${duration((sec / (state.step - startStep)) * (c.maxSteps - state.step))}`);
    if (o.evalBatches && c.evalInterval > 0 && state.step % c.evalInterval === 0) {
      let batches = 0;
      const { totalLoss, count } = sumLoss(model, objective, o.evalBatches(), () => batches++);
      const valLoss = totalLoss / count;
      state.valLoss = valLoss;
      o.log(`eval step ${state.step} | val loss ${valLoss.toFixed(4)} | ppl ${Math.exp(valLoss).toFixed(2)} (${batches} batches)`);
      o.metrics?.write({ step: state.step, kind: 'eval', valLoss, perplexity: Math.exp(valLoss), batches });
      o.afterEval?.();
      windowStart = performance.now(); // evaluation time is not training time
      windowSteps = 0;
      windowTokens = 0;
    }
    if (o.save && c.ckptInterval > 0 && state.step % c.ckptInterval === 0 && state.step < c.maxSteps) o.save();
  }
  const cpu = process.cpuUsage(cpu0);
  return { losses, stopped, trainSeconds: (performance.now() - t0) / 1000, trainCpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
