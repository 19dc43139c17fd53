/**
 * A sequence-to-sequence training run (`llmts train --preset translate-en-fr`, the
 * recipes of seq2seq-recipes.ts): a shared byte-level BPE trained on both sides' texts
 * (BART's specials <s> <pad> </s> <unk> as ids 0-3, BART's `<s> text </s>` template on
 * sources), an encoder-decoder (src/models/seq2seq), AdamW with warmup + cosine decay, and
 * the one training loop (loop.ts) with the seq2seq objective (label smoothing) over
 * length-bucketed batches; around it the run directory of `llmts train`: checkpoints
 * (every N steps and at the end; keep the last K), metrics.jsonl, loss.html,
 * train_config.json, and the recipe's final evaluation (`evaluate`) written to eval.json.
 *
 * Resume: batches are a pure function of (seed, step) and dropout masks of (seed, step,
 * micro), so a run continued from its newest checkpoint (`resume: true`: its weights,
 * tokenizer, AdamW moments and step) takes the steps an uninterrupted run would have.
 *
 * @example
 * const r = await trainSeq2Seq({ name: 'translate-en-fr', out: 'runs/t', model, settings, data, evaluate, log: console.log });
 * r.scores; // { bleuBeam4: 31.2, ... } from the recipe's evaluate
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Precision } from '../backend/precision.ts';
import { listCheckpoints, loadCheckpoint, loadOptimizerState, pruneCheckpoints, removeStaleCheckpointTemps, saveCheckpoint, type TrainerState } from '../io/checkpoint.ts';
import { createModel } from '../models/registry.ts';
import { asSeq2Seq, type Seq2SeqConfig, type Seq2SeqLM } from '../models/seq2seq/index.ts';
import { AdamW, decayGroups, type LrSchedule } from '../optim/index.ts';
import { pool } from '../tensor/pool.ts';
import { BpeTokenizer } from '../tokenizer/bpe.ts';
import { trainBpe } from '../tokenizer/bpe-trainer.ts';
import type { PostProcessor } from '../tokenizer/post-process.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { CheckpointTrack, duration, trainLoop, type LoopState } from './loop.ts';
import { MetricsLog, writeLossPlot } from './metrics.ts';
import { seq2seqBatch, seq2seqBatches, seq2seqObjective, type Seq2SeqBatch, type Seq2SeqPair } from './objectives/seq2seq.ts';
import { withTrainingPrecision } from './precision.ts';
import type { TextPair } from './seq2seq-data.ts';

/** The buffer pool's free-bytes allowance while a seq2seq run trains (its batches come in many shapes). */
const SEQ2SEQ_POOL_FREE_BYTES = 1024 * 1024 * 1024;

/** BART's special tokens, in id order: bos 0, pad 1, eos 2, unk 3 (the seq2seq config's defaults). */
export const SEQ2SEQ_SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'] as const;

/** The training settings of a seq2seq run (the `llmts train` keys a seq2seq preset reads). */
export interface Seq2SeqSettings {
  seed: number;
  /** Pairs per batch. */
  batchSize: number;
  maxSteps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  beta2: number;
  gradClip: number;
  /** Label smoothing eps of the objective (0 = off). */
  labelSmoothing: number;
  logInterval: number;
  /** Validation loss every N steps (0 = only at the end). */
  evalInterval: number;
  /** Checkpoint every N steps (0 = only at the end). */
  ckptInterval: number;
  keepLast: number;
  /** Shared BPE size (specials + 256 bytes + merges). */
  vocabSize: number;
  /** Longest source in tokens (<s> and </s> included); longer ones are cut, </s> kept. */
  maxSourceLen: number;
  /** Longest target in tokens (the end id included); longer ones are cut. */
  maxTargetLen: number;
  /** Pad each batch's S and T up to a multiple of this (fewer shapes: the buffer pool reuses more); default 1. */
  padMultiple?: number;
  /** Matrix products of the training steps: fp32, or bf16 with fp32 sums (precision.ts; fast with AMX). The final evaluation runs in fp32. Default fp32. */
  precision?: Precision;
}

/** The texts a run trains on. */
export interface Seq2SeqRunData {
  train: TextPair[];
  /** Pairs of the validation loss. */
  val: TextPair[];
  /** The texts the shared BPE is trained on (a new run only). */
  tokenizerTexts: () => string[];
}

/** Everything `trainSeq2Seq` needs. */
export interface Seq2SeqRunSpec {
  /** Recipe / preset name (logs, loss.html title). */
  name: string;
  /** Run directory. */
  out: string;
  /** Continue from the newest checkpoint of `out`. */
  resume: boolean;
  /** The model's shape; vocabSize and the special ids come from the tokenizer. */
  model: Seq2SeqConfig;
  settings: Seq2SeqSettings;
  data: Seq2SeqRunData;
  /** The recipe's final evaluation (metrics it logs itself); the figures go to eval.json and metrics.jsonl. */
  evaluate: (model: Seq2SeqLM, tokenizer: Tokenizer, log: (line: string) => void) => Record<string, number>;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** What `trainSeq2Seq` returns. */
export interface Seq2SeqRunResult {
  runDir: string;
  step: number;
  stopped: 'done' | 'interrupted' | 'non-finite';
  trainSeconds: number;
  valLoss: number | null;
  /** The recipe's final figures (empty unless the run finished). */
  scores: Record<string, number>;
  checkpoint: string | null;
  model: Seq2SeqLM;
  tokenizer: Tokenizer;
}

/** BART's RobertaProcessing template: `<s> A </s>` (and `<s> A </s> </s> B </s>`). */
function bartTemplate(): PostProcessor {
  const bos = { kind: 'special' as const, token: '<s>', id: 0, typeId: 0 }, eos = { kind: 'special' as const, token: '</s>', id: 2, typeId: 0 };
  return { single: [bos, { kind: 'sequence', sequence: 'A', typeId: 0 }, eos], pair: [bos, { kind: 'sequence', sequence: 'A', typeId: 0 }, eos, eos, { kind: 'sequence', sequence: 'B', typeId: 0 }, eos] };
}

/** A shared byte-level BPE of `vocabSize` ids over `texts`, with BART's specials (ids 0-3) and source template. */
export async function trainSharedBpe(texts: readonly string[], vocabSize: number): Promise<BpeTokenizer> {
  const { tokenizer } = await trainBpe(texts, { vocabSize, specialTokens: SEQ2SEQ_SPECIALS, threads: 1 });
  return new BpeTokenizer({ ...tokenizer.toSpec(), postProcessor: bartTemplate() });
}

/**
 * Text pairs -> id pairs: the source with the tokenizer's template (`<s> text </s>`), cut to
 * maxSourceLen keeping the end id; the target without specials, cut to maxTargetLen - 1
 * (the batch appends the end id).
 */
export function encodePairs(tokenizer: Tokenizer, pairs: readonly TextPair[], o: { maxSourceLen: number; maxTargetLen: number; eosId: number }): Seq2SeqPair[] {
  return pairs.map((p) => {
    let source = tokenizer.encode(p.source, { addSpecialTokens: true });
    if (source.length > o.maxSourceLen) source = [...source.slice(0, o.maxSourceLen - 1), o.eosId];
    return { source, target: tokenizer.encode(p.target).slice(0, o.maxTargetLen - 1) };
  });
}

/** Validation pairs -> batches of `rows` pairs of similar length, each padded to its own longest. */
function evalBatches(pairs: readonly Seq2SeqPair[], rows: number, ids: { padId: number; startId: number; endId: number }): Seq2SeqBatch[] {
  const sorted = [...pairs].sort((a, b) => a.source.length + a.target.length - b.source.length - b.target.length);
  const out: Seq2SeqBatch[] = [];
  for (let i = 0; i < sorted.length; i += rows) {
    const ps = sorted.slice(i, i + rows);
    out.push(seq2seqBatch(ps, { S: Math.max(...ps.map((p) => p.source.length)), T: Math.max(...ps.map((p) => p.target.length)) + 1, ...ids }));
  }
  return out;
}

/** The model and tokenizer of a new run, or of the newest checkpoint when resuming (with its trainer state). */
async function startRun(spec: Seq2SeqRunSpec): Promise<{ model: Seq2SeqLM; tokenizer: Tokenizer; resumed: { dir: string; state: TrainerState } | null }> {
  const existing = listCheckpoints(spec.out);
  if (spec.resume) {
    if (existing.length === 0) throw new LlmtsError('E_NO_CHECKPOINT', `--resume: ${spec.out} has no checkpoints/step-N folder`, { where: 'out', hint: 'start the run without --resume first (or check --out)' });
    const ck = loadCheckpoint(existing[existing.length - 1]!.dir);
    if (!ck.trainerState) throw new LlmtsError('E_CHECKPOINT', `${ck.dir} has no trainer_state.json`, { where: ck.dir, hint: 'resume from a checkpoint written by llmts train' });
    const model = asSeq2Seq(ck.model, `--resume ${ck.dir}`);
    model.train();
    return { model, tokenizer: ck.tokenizer, resumed: { dir: ck.dir, state: ck.trainerState } };
  }
  if (existing.length > 0) {
    throw new LlmtsError('E_RUN_EXISTS', `${spec.out} already holds ${existing.length} checkpoint(s) (newest step ${existing[existing.length - 1]!.step})`, { where: 'out', hint: 'add --resume to continue that run, or pick another --out' });
  }
  const t0 = performance.now();
  const tokenizer = await trainSharedBpe(spec.data.tokenizerTexts(), spec.settings.vocabSize);
  spec.log(`tokenizer: shared byte-level BPE, ${tokenizer.vocabSize} ids (specials ${SEQ2SEQ_SPECIALS.join(' ')}), trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const model = asSeq2Seq(createModel({ ...spec.model, vocabSize: tokenizer.vocabSize, bosId: 0, padId: 1, eosId: 2, decoderStartId: 2 }, { seed: spec.settings.seed }), spec.name);
  model.train();
  return { model, tokenizer, resumed: null };
}

/** Trains and evaluates; see the module comment. */
export async function trainSeq2Seq(spec: Seq2SeqRunSpec): Promise<Seq2SeqRunResult> {
  const s = spec.settings, log = spec.log, runDir = spec.out;
  mkdirSync(runDir, { recursive: true });
  const { model, tokenizer, resumed } = await startRun(spec);
  const c = model.config;
  const ids = { padId: c.padId, startId: c.decoderStartId, endId: c.eosId };
  const lens = { maxSourceLen: Math.min(s.maxSourceLen, c.blockSize), maxTargetLen: Math.min(s.maxTargetLen, c.blockSize), eosId: c.eosId };
  const t0 = performance.now();
  const train = encodePairs(tokenizer, spec.data.train, lens);
  const val = encodePairs(tokenizer, spec.data.val, lens);
  const srcTokens = train.reduce((a, p) => a + p.source.length, 0), tgtTokens = train.reduce((a, p) => a + p.target.length + 1, 0);
  log(`data: ${train.length.toLocaleString('en-US')} training pairs (${srcTokens.toLocaleString('en-US')} source + ${tgtTokens.toLocaleString('en-US')} target tokens), ${val.length} validation pairs; encoded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const batches = seq2seqBatches(train, { rows: s.batchSize, ...ids, seed: s.seed, padMultiple: s.padMultiple ?? 1 });
  const valBatches = evalBatches(val, s.batchSize, ids);
  const objective = seq2seqObjective({ labelSmoothing: s.labelSmoothing });
  const opt = new AdamW(decayGroups(model.namedParameters(), { weightDecay: s.weightDecay }), { lr: s.lr, betas: [0.9, s.beta2], weightDecay: s.weightDecay });
  const state: LoopState = { step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null };
  if (resumed) {
    loadOptimizerState(resumed.dir, opt, model);
    Object.assign(state, { step: resumed.state.step, tokens: resumed.state.tokens, elapsedSec: resumed.state.elapsedSec, valLoss: resumed.state.valLoss, loss: resumed.state.loss ?? null });
    for (const dir of removeStaleCheckpointTemps(runDir)) log(`removed ${dir} (left by a save that was killed)`);
    log(`resuming from ${resumed.dir} (step ${state.step})`);
  }
  const schedule: LrSchedule = { maxLr: s.lr, minLr: s.minLr, warmupSteps: Math.min(s.warmupSteps, s.maxSteps), totalSteps: s.maxSteps, decay: 'cosine' };
  const config = { preset: spec.name, model: c, ...s };
  writeFileSync(join(runDir, 'train_config.json'), JSON.stringify(config, null, 2) + '\n');
  log(`model: ${c.arch}, ${c.nLayer} + ${c.nDecoderLayer} layers, ${c.nHead} heads, ${c.nEmbd} wide, vocab ${c.vocabSize}: ${(model.numParameters() / 1e6).toFixed(2)}M parameters`);
  log(`training: ${s.maxSteps} steps of ${s.batchSize} pairs, lr ${s.lr} (warmup ${s.warmupSteps}, cosine to ${s.minLr}), label smoothing ${s.labelSmoothing}, dropout ${c.dropout}, seed ${s.seed}, ${s.precision ?? 'fp32'} matrix products`);

  const dirOf = (step: number) => join(runDir, 'checkpoints', `step-${step}`);
  const track = new CheckpointTrack(null, null, 2 * Math.log(c.vocabSize));
  if (resumed) track.record({ dir: resumed.dir, step: state.step, loss: state.loss });
  const save = (): void => {
    const saved = { dir: dirOf(state.step), step: state.step, loss: state.loss };
    const trainerState: TrainerState = { ...state, seed: s.seed, elapsedSec: Math.round(state.elapsedSec * 1000) / 1000, config };
    saveCheckpoint(saved.dir, { model, tokenizer, optimizer: opt, trainerState });
    track.record(saved);
    pruneCheckpoints(runDir, s.keepLast, track.good?.step);
  };
  const metrics = new MetricsLog(runDir, { resumeStep: state.step });
  const startStep = state.step;
  // batches of many shapes: let the pool keep up to 1 GiB of free buffers during training, so
  // that a shape seen a few steps ago finds its buffers (instead of ~100 MB of new ones a step)
  const freeCap = pool.minFreeCapBytes;
  pool.minFreeCapBytes = Math.max(freeCap, SEQ2SEQ_POOL_FREE_BYTES);
  const r = await withTrainingPrecision(s.precision ?? 'fp32', log, () => trainLoop<Seq2SeqBatch, Seq2SeqLM>({
    model, objective, batches, optimizer: opt, schedule, settings: { ...s, gradAccum: 1 }, state, evalBatches: () => valBatches,
    log, metrics, afterEval: () => writeLossPlot(runDir, `${spec.name} (${runDir})`), save, checkpoints: track, signal: spec.signal,
  })).finally(() => {
    pool.minFreeCapBytes = freeCap;
  });
  if (r.stopped !== 'non-finite' && (state.step > startStep || !track.last)) save();
  writeLossPlot(runDir, `${spec.name} (${runDir})`);
  log(`${r.stopped === 'done' ? 'trained' : r.stopped === 'interrupted' ? 'interrupted' : 'stopped'} at step ${state.step} in ${duration(r.trainSeconds)}${track.last ? ` | checkpoint ${track.last.dir}` : ''}`);
  let scores: Record<string, number> = {};
  if (r.stopped === 'done') {
    const t1 = performance.now();
    model.eval();
    scores = spec.evaluate(model, tokenizer, log);
    const evalSeconds = (performance.now() - t1) / 1000;
    const record = { step: state.step, valLoss: state.valLoss, trainSeconds: Math.round(state.elapsedSec), evalSeconds: Math.round(evalSeconds), ...scores };
    writeFileSync(join(runDir, 'eval.json'), JSON.stringify(record, null, 2) + '\n');
    metrics.write({ kind: 'eval', batches: -1, ...record });
    log(`final evaluation in ${duration(evalSeconds)} -> ${join(runDir, 'eval.json')}`);
  }
  if (!existsSync(join(runDir, 'checkpoints'))) log('no checkpoint was written');
  return { runDir, step: state.step, stopped: r.stopped, trainSeconds: r.trainSeconds, valLoss: state.valLoss, scores, checkpoint: track.last?.dir ?? null, model, tokenizer };
}
