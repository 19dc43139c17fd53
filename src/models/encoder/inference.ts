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
import { add, addLayerNorm, embedding, reshape, scatterAddRows, tidy, type PackedSequences, type Tensor } from '../../tensor/index.ts';
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
  const rowOf = (src: Int32Array): Int32Array => (p.order ? p.order.map((i) => src[i]!) : src);
  const positions = p.order ? p.order.map((i) => i % T) : Int32Array.from({ length: B * T }, (_, i) => i % T);
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
  const C = c.nEmbd;
  if (!p.order) return reshape(x, [B, T, C]); // (B, T, C)
  const out = p.N === B * T ? embedding(x, inversePermutation(p.order), [B, T]) : reshape(scatterAddRows(x, p.order, B * T), [B, T, C]); // (B, T, C)
  x.dispose();
  return out;
}

function inversePermutation(order: Int32Array): Int32Array {
  const inv = new Int32Array(order.length);
  order.forEach((pos, row) => { inv[pos] = row; });
  return inv;
}
