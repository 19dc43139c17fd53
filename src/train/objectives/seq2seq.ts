/**
 * Sequence to sequence (BART / T5 / Marian): an encoder reads the source, a decoder
 * predicts the target one token at a time from the source and the target so far
 * (teacher forcing). A target row [y1 .. yn] becomes decoder input [start, y1 .. yn] and
 * labels [y1 .. yn, end]: position t reads labels[..t-1] and predicts labels[t]. Padding
 * is ignored in the loss (-100), so the mean is over real target tokens. Options: label
 * smoothing (`seq2seqObjective({ labelSmoothing: 0.1 })`); `seq2seqBatches` draws
 * length-bucketed batches (pairs of similar lengths together, each batch padded only to
 * its own longest source and target).
 *
 * @example
 * const batch = seq2seqBatch([{ source: [4, 5, 6], target: [7, 8] }], { S: 4, T: 4, padId: 0, startId: 1, endId: 2 });
 * batch.decoderIds; // [1, 7, 8, 0]
 * batch.labels;     // [7, 8, 2, -100]
 * seq2seq.loss(model, batch).loss.backward();
 */
import { crossEntropy, type Tensor } from '../../tensor/index.ts';
import { hash32, Rng } from '../../util/rng.ts';
import { LlmtsError } from '../../util/errors.ts';
import { IGNORE } from './causal-lm.ts';
import { countTargets, type BatchShape, type BatchSource, type Objective } from './objective.ts';

/** A padded batch of (source, target) pairs (see the module comment). */
export interface Seq2SeqBatch extends BatchShape {
  /** (rows, S) source ids, padded with padId. */
  source: Int32Array;
  /** (rows, S) 1 for a real source token, 0 for padding (what the encoder may attend to). */
  sourceMask: Uint8Array;
  S: number;
  /** (rows, T) decoder input: start id, then the target shifted right. */
  decoderIds: Int32Array;
  /** (rows, T) the id each decoder position must predict, or IGNORE. */
  labels: Int32Array;
  T: number;
}

/** What the seq2seq objective needs of a model: decoder logits and their loss from a source and a shifted target. */
export interface Seq2SeqModel {
  /** -> logits (rows, T, V) and the mean cross-entropy over labels that are not IGNORE. */
  forwardSeq2Seq(batch: Seq2SeqBatch): { logits: Tensor; loss: Tensor | null };
}

/** Options of `seq2seqObjective`. */
export interface Seq2SeqObjectiveOptions {
  /** Label smoothing eps in [0, 1) (PyTorch's `label_smoothing`): (1 - eps) on the target, eps spread over all V ids. Default 0. */
  labelSmoothing?: number;
}

/** Teacher-forced target prediction (see the module comment), with optional label smoothing. */
export function seq2seqObjective(o: Seq2SeqObjectiveOptions = {}): Objective<Seq2SeqBatch, Seq2SeqModel> {
  const eps = o.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) {
    throw new LlmtsError('E_CONFIG', `labelSmoothing must be in [0, 1), got ${eps}`, { where: 'labelSmoothing', hint: 'use 0 (off) or a small value such as 0.1' });
  }
  return {
    name: 'seq2seq',
    loss(model, b) {
      const { logits, loss } = model.forwardSeq2Seq(b); // (rows, T, V), () mean over the real target tokens
      if (!loss) throw new LlmtsError('E_MODEL', 'forwardSeq2Seq returned no loss for a batch with labels', { where: 'seq2seq objective', hint: 'the model must score batch.labels' });
      const count = countTargets(b.labels, IGNORE);
      // smoothing: the fused cross-entropy of the same logits with eps (the model's own loss is then not used)
      return { loss: eps > 0 ? crossEntropy(logits, b.labels, { ignoreIndex: IGNORE, labelSmoothing: eps }) : loss, count };
    },
  };
}

/** Teacher-forced target prediction without label smoothing. */
export const seq2seq: Objective<Seq2SeqBatch, Seq2SeqModel> = seq2seqObjective();

/** One training pair. */
export interface Seq2SeqPair {
  source: readonly number[];
  target: readonly number[];
}

/**
 * Pairs -> a padded batch of S source and T decoder positions. A source longer than S
 * or a target of more than T - 1 ids (room for the end id) is an error naming the pair.
 */
export function seq2seqBatch(pairs: readonly Seq2SeqPair[], o: { S: number; T: number; padId: number; startId: number; endId: number }): Seq2SeqBatch {
  const { S, T } = o;
  const rows = pairs.length;
  const source = new Int32Array(rows * S).fill(o.padId); // (rows, S)
  const sourceMask = new Uint8Array(rows * S); // (rows, S)
  const decoderIds = new Int32Array(rows * T).fill(o.padId); // (rows, T)
  const labels = new Int32Array(rows * T).fill(IGNORE); // (rows, T)
  pairs.forEach((p, r) => {
    if (p.source.length > S) throw new LlmtsError('E_SEQ2SEQ', `pair ${r}: source of ${p.source.length} ids is longer than S = ${S}`, { where: `pairs[${r}].source`, hint: 'cut long sources or raise S' });
    if (p.target.length + 1 > T) throw new LlmtsError('E_SEQ2SEQ', `pair ${r}: target of ${p.target.length} ids needs T >= ${p.target.length + 1} (end id included), T is ${T}`, { where: `pairs[${r}].target`, hint: 'cut long targets or raise T' });
    p.source.forEach((id, s) => {
      source[r * S + s] = id;
      sourceMask[r * S + s] = 1;
    });
    decoderIds[r * T] = o.startId;
    p.target.forEach((id, t) => {
      decoderIds[r * T + t + 1] = id;
      labels[r * T + t] = id;
    });
    labels[r * T + p.target.length] = o.endId;
  });
  return { source, sourceMask, S, decoderIds, labels, T, rows, tokens: rows * (S + T) };
}

/** Options of `seq2seqBatches`. */
export interface Seq2SeqBatchesOptions {
  /** Pairs per batch. */
  rows: number;
  padId: number;
  startId: number;
  endId: number;
  seed: number;
  /** Micro-batches per step (the loop's gradAccum): batch index = step * gradAccum + micro. Default 1. */
  gradAccum?: number;
  /**
   * Pad S and T up to a multiple of this (default 1: each batch to its own longest). Fewer
   * distinct batch shapes let the buffer pool (src/tensor/pool.ts, exact sizes) reuse a
   * step's buffers in later steps instead of allocating new ones.
   */
  padMultiple?: number;
}

/**
 * Length-bucketed batches: pairs sorted by (source + target) length are cut into batches of
 * `rows` neighbours, so a batch pads little; each batch is padded to its own longest source
 * (S) and target + 1 (T), rounded up to `padMultiple`. Every epoch visits the batches in a new order (Rng of seed and
 * epoch), so a batch is a pure function of (seed, step, micro), as the loop needs.
 */
export function seq2seqBatches(pairs: readonly Seq2SeqPair[], o: Seq2SeqBatchesOptions): BatchSource<Seq2SeqBatch> {
  if (pairs.length === 0) throw new LlmtsError('E_SEQ2SEQ', 'no training pairs', { where: 'seq2seqBatches', hint: 'give at least one (source, target) pair' });
  if (!Number.isInteger(o.rows) || o.rows < 1) throw new LlmtsError('E_CONFIG', `rows must be an integer >= 1, got ${o.rows}`, { where: 'seq2seqBatches.rows', hint: 'pairs per batch' });
  const order = pairs.map((p, i) => ({ i, len: p.source.length + p.target.length })).sort((a, b) => a.len - b.len || a.i - b.i).map((x) => x.i);
  const batches: Seq2SeqPair[][] = [];
  for (let s = 0; s < order.length; s += o.rows) batches.push(order.slice(s, s + o.rows).map((i) => pairs[i]!));
  const m = o.padMultiple ?? 1;
  if (!Number.isInteger(m) || m < 1) throw new LlmtsError('E_CONFIG', `padMultiple must be an integer >= 1, got ${m}`, { where: 'seq2seqBatches.padMultiple', hint: '1 pads each batch to its own longest' });
  const up = (n: number): number => Math.ceil(n / m) * m;
  const made = batches.map((ps) => seq2seqBatch(ps, {
    S: up(Math.max(...ps.map((p) => p.source.length))), T: up(Math.max(...ps.map((p) => p.target.length)) + 1), padId: o.padId, startId: o.startId, endId: o.endId,
  }));
  const n = made.length, per = o.gradAccum ?? 1;
  let epochOrder: number[] = [], epochOf = -1;
  return {
    batch(step, micro) {
      const k = step * per + micro;
      const epoch = Math.floor(k / n);
      if (epoch !== epochOf) {
        epochOrder = new Rng(hash32(o.seed ^ 0x73327332, epoch)).shuffle(Array.from({ length: n }, (_, i) => i));
        epochOf = epoch;
      }
      return made[epochOrder[k % n]!]!;
    },
  };
}
