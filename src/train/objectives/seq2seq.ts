/**
 * Sequence to sequence (BART / T5 / Marian): an encoder reads the source, a decoder
 * predicts the target one token at a time from the source and the target so far
 * (teacher forcing). A target row [y1 .. yn] becomes decoder input [start, y1 .. yn] and
 * labels [y1 .. yn, end]: position t reads labels[..t-1] and predicts labels[t]. Padding
 * is ignored in the loss (-100), so the mean is over real target tokens.
 *
 * @example
 * const batch = seq2seqBatch([{ source: [4, 5, 6], target: [7, 8] }], { S: 4, T: 4, padId: 0, startId: 1, endId: 2 });
 * batch.decoderIds; // [1, 7, 8, 0]
 * batch.labels;     // [7, 8, 2, -100]
 * seq2seq.loss(model, batch).loss.backward();
 */
import type { Tensor } from '../../tensor/index.ts';
import { LlmtsError } from '../../util/errors.ts';
import { IGNORE } from './causal-lm.ts';
import { countTargets, type BatchShape, type Objective } from './objective.ts';

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

/** Teacher-forced target prediction (see the module comment). */
export const seq2seq: Objective<Seq2SeqBatch, Seq2SeqModel> = {
  name: 'seq2seq',
  loss(model, b) {
    const { loss } = model.forwardSeq2Seq(b); // () mean over the real target tokens
    if (!loss) throw new LlmtsError('E_MODEL', 'forwardSeq2Seq returned no loss for a batch with labels', { where: 'seq2seq objective', hint: 'the model must score batch.labels' });
    return { loss, count: countTargets(b.labels, IGNORE) };
  },
};

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
