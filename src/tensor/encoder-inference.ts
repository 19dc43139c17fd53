/**
 * Forward-only fused ops of the BERT encoder's inference path (src/models/encoder/inference.ts):
 * - `packedAttention`: bidirectional attention over the packed rows of variable-length
 *   sequences, straight from the fused QKV projection: no (B, H, T, T) probabilities, no key
 *   mask (each sequence's keys are its first rows), padding rows computed only if packed;
 * - `biasGeluErf`: geluErf(x + bias) in one pass (the MLP's activation after a bias-free GEMM);
 * - `addLayerNorm`: LayerNorm(residual + (x + bias)) in one pass (post-LayerNorm blocks).
 * They record no graph: with gradients enabled and an input that needs them they throw
 * E_UNSUPPORTED (training uses `attentionQkv`, `geluErf`, `add` and `layerNorm`, which
 * compute the same values). Tested against those ops and float64 references in
 * test/tensor/encoder-inference.test.ts.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Tensor, fmtShape, isGradEnabled } from './tensor.ts';

/** The packed layout of `packedAttention`: per sequence, its rows and how many of them are keys. */
export interface PackedSequences {
  /** (S + 1): sequence s owns rows rowStart[s] .. rowStart[s+1]; rowStart[0] = 0, rowStart[S] = N. */
  rowStart: Int32Array;
  /** (S): the first nKeys[s] rows of sequence s are its keys (its real tokens); 0 <= nKeys[s] <= its rows. */
  nKeys: Int32Array;
}

function forwardOnly(op: string, inputs: readonly Tensor[]): void {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    throw new LlmtsError('E_UNSUPPORTED', `${op} is an inference op: it has no backward`, {
      where: op, hint: 'run it inside noGrad(), or use the unfused ops (attentionQkv, geluErf, add, layerNorm) for training' });
  }
}

/**
 * Bidirectional attention of packed sequences: qkv (N, 3C) with rows [q | k | v] (C =
 * nHead * hs, heads side by side) -> (N, C). Each row of sequence s attends to the first
 * `nKeys[s]` rows of s; a sequence with no key gives zero rows. Equal to `attentionQkv`
 * (causal false) on a padded batch with its key mask, at the rows that are packed.
 *
 * @example
 * noGrad(() => packedAttention(qkv, 4, { rowStart: Int32Array.of(0, 3, 8), nKeys: Int32Array.of(3, 5) })); // (8, 3C) -> (8, C)
 */
export function packedAttention(qkv: Tensor, nHead: number, seq: PackedSequences, opts: { scale?: number } = {}): Tensor {
  const where = 'packedAttention';
  forwardOnly(where, [qkv]);
  if (qkv.ndim !== 2 || !Number.isInteger(nHead) || nHead < 1 || qkv.shape[1]! % (3 * nHead) !== 0) {
    throw new LlmtsError('E_SHAPE', `packedAttention needs qkv (N, 3 * nHead * hs) for nHead ${nHead}, got ${fmtShape(qkv.shape)}`, {
      where, hint: 'the last dim holds q, k and v side by side, each nHead * hs wide' });
  }
  const [N, C3] = qkv.shape as [number, number];
  const S = seq.nKeys.length, C = C3 / 3, hs = C / nHead;
  if (seq.rowStart.length !== S + 1 || seq.rowStart[S] !== N) {
    throw new LlmtsError('E_SHAPE', `packedAttention: rowStart has ${seq.rowStart.length} entries ending at ${seq.rowStart[seq.rowStart.length - 1]}, expected ${S + 1} ending at N = ${N}`, {
      where, hint: 'rowStart is (S + 1) with rowStart[S] = the number of packed rows' });
  }
  const out = Tensor.empty([N, C]); // (N, C)
  backend().packedAttention(S, nHead, hs, opts.scale ?? 1 / Math.sqrt(hs), seq.rowStart, seq.nKeys, qkv.data, out.data);
  return out;
}

/**
 * geluErf(x + bias) over the last dim: x (..., F), bias (F) -> (..., F).
 *
 * @example
 * noGrad(() => biasGeluErf(linear(h, w1), b1)); // (N, 4C)
 */
export function biasGeluErf(x: Tensor, bias: Tensor): Tensor {
  forwardOnly('biasGeluErf', [x, bias]);
  const F = x.shape[x.ndim - 1]!;
  if (bias.ndim !== 1 || bias.shape[0] !== F) {
    throw new LlmtsError('E_SHAPE', `biasGeluErf: bias ${fmtShape(bias.shape)} does not match the last dim of x ${fmtShape(x.shape)}`, { where: 'biasGeluErf' });
  }
  const out = Tensor.empty(x.shape); // (..., F)
  backend().biasGeluErf(F === 0 ? 0 : x.size / F, F, x.data, bias.data, out.data);
  return out;
}

/**
 * LayerNorm(residual + (x + bias)) over the last dim C: x and residual (..., C), bias
 * (C) or null, weight and bias of the LayerNorm (C) -> (..., C).
 *
 * @example
 * noGrad(() => addLayerNorm(linear(y, wo), bo, x, ln.weight, ln.bias, 1e-12)); // BERT's attention output block
 */
export function addLayerNorm(x: Tensor, xBias: Tensor | null, residual: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor {
  const where = 'addLayerNorm';
  forwardOnly(where, xBias ? [x, xBias, residual, weight, bias] : [x, residual, weight, bias]);
  const C = x.shape[x.ndim - 1]!;
  if (residual.shape.join(',') !== x.shape.join(',')) {
    throw new LlmtsError('E_SHAPE', `addLayerNorm: residual ${fmtShape(residual.shape)} differs from x ${fmtShape(x.shape)}`, { where });
  }
  for (const [name, p] of [['x bias', xBias], ['weight', weight], ['bias', bias]] as const) {
    if (p && (p.ndim !== 1 || p.shape[0] !== C)) {
      throw new LlmtsError('E_SHAPE', `addLayerNorm: ${name} ${fmtShape(p.shape)} does not match the last dim of x ${fmtShape(x.shape)}`, { where });
    }
  }
  const out = Tensor.empty(x.shape); // (..., C)
  backend().addLayerNorm(C === 0 ? 0 : x.size / C, C, eps, x.data, xBias?.data ?? null, residual.data, weight.data, bias.data, out.data);
  return out;
}
