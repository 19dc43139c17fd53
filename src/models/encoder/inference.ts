/**
 * The encoder's inference path: what `Encoder.hiddenStates` runs when no graph is recorded
 * (inside `noGrad`) and dropout is off (eval mode, or p = 0). Same values as the training
 * path (within float rounding; test/models/encoder-inference.test.ts), less work:
 * - the batch is packed: rows (N, C) in the order of `packBatch` (per sequence its real
 *   tokens, then its padding), so each sequence's keys are its first rows and attention
 *   needs no mask and no (B, H, T, T) buffer (`packedAttention`);
 * - with `skipPadding`, padded positions are not packed at all: no GEMM, attention,
 *   activation or norm runs on them (~40% of a batch of lengths 16..64 padded to 64), and
 *   their hidden states come back as zeros;
 * - per layer one QKV GEMM over the concatenated weights, bias + GELU and bias + residual +
 *   LayerNorm fused after bias-free GEMMs (layers.ts `forwardPacked`).
 *
 * @example
 * const h = noGrad(() => model.encode({ ids, B, T, attentionMask, skipPadding: true }).hidden); // (B, T, C)
 */
import { Tensor, add, addLayerNorm, concat, embedding, reshape, tidy, type PackedSequences } from '../../tensor/index.ts';
import type { EncoderConfig } from './config.ts';
import type { EncoderTrunk } from './layers.ts';

/** A padded (B, T) batch as packed rows. */
export interface PackedBatch extends PackedSequences {
  /** Packed row -> its position b * T + t in the batch; null when the rows are the batch in order. */
  order: Int32Array | null;
  /** Rows packed. */
  N: number;
}

/**
 * Rows of a (B, T) batch with its padding mask (0 = padding; null = none): sequence b's
 * real positions in order, then (unless `skipPadding`) its padded ones; nKeys[b] = its
 * real tokens. Without padding the rows are the batch in order (`order` null).
 */
export function packBatch(B: number, T: number, mask: Float32Array | null, skipPadding: boolean): PackedBatch {
  const rowStart = new Int32Array(B + 1), nKeys = new Int32Array(B);
  if (!mask || mask.every((m) => m !== 0)) {
    for (let b = 0; b < B; b++) {
      rowStart[b + 1] = (b + 1) * T;
      nKeys[b] = T;
    }
    return { order: null, N: B * T, rowStart, nKeys };
  }
  const order: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) order.push(b * T + t);
    nKeys[b] = order.length - rowStart[b]!;
    if (!skipPadding) for (let t = 0; t < T; t++) if (mask[b * T + t] === 0) order.push(b * T + t);
    rowStart[b + 1] = order.length;
  }
  return { order: Int32Array.from(order), N: order.length, rowStart, nKeys };
}

/** What the inference path reads of an encoder input. */
export interface InferenceInput {
  ids: Int32Array;
  B: number;
  T: number;
  attentionMask: Float32Array | null;
  tokenTypes: Int32Array | null;
  skipPadding: boolean;
}

/** The trunk's last hidden states (B, T, C) without a graph (see the module comment); inputs already checked. */
export function inferenceHiddenStates(trunk: EncoderTrunk, c: EncoderConfig, input: InferenceInput): Tensor {
  const { ids, B, T } = input;
  const p = packBatch(B, T, input.attentionMask, input.skipPadding);
  const rowOf = (src: Int32Array): Int32Array => (p.order ? gather(src, p.order) : src);
  const positions = new Int32Array(p.N);
  for (let r = 0; r < p.N; r++) positions[r] = (p.order ? p.order[r]! : r) % T;
  const types = input.tokenTypes ? rowOf(input.tokenTypes) : new Int32Array(p.N);
  const emb = trunk.embeddings;
  let x = tidy(() => {
    const wt = add(emb.words.forward(rowOf(ids), [p.N]), emb.tokenTypes.forward(types, [p.N])); // (N, C)
    return addLayerNorm(emb.positions.forward(positions, [p.N]), null, wt, emb.norm.weight, emb.norm.bias, emb.norm.eps); // (N, C)
  });
  for (const layer of trunk.layers.items) {
    const prev = x;
    x = tidy(() => layer.forwardPacked(prev, p)); // (N, C)
    prev.dispose();
  }
  if (!p.order) return reshape(x, [B, T, c.nEmbd]); // (B, T, C)
  // back to (B, T, C): position b * T + t reads its packed row; unpacked positions read a zero row after the N packed ones
  const inv = new Int32Array(B * T).fill(p.N);
  for (let r = 0; r < p.N; r++) inv[p.order[r]!] = r;
  const table = p.N === B * T ? x : concat([x, Tensor.zeros([1, c.nEmbd])], 0); // (N or N + 1, C)
  const out = embedding(table, inv, [B, T]); // (B, T, C)
  x.dispose();
  if (table !== x) table.dispose();
  return out;
}

function gather(src: Int32Array, order: Int32Array): Int32Array {
  const out = new Int32Array(order.length);
  for (let r = 0; r < order.length; r++) out[r] = src[order[r]!]!;
  return out;
}
