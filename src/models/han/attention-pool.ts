/**
 * Attention pooling with a learned context vector (Yang et al. 2016, eqs. 5-7 and 8-10):
 *   u_t = tanh(W h_t + b),  a_t = softmax_t(u_t . c),  s = sum_t a_t h_t
 * over the real positions of each row only: padded positions get a score bias of -1e9,
 * so their weight is exactly 0 (a row with no real position would average its zeros).
 * Parameters: `proj` (W, b: (A, C), (A)) and `context` (c as a (1, A) matrix).
 * Composed of tensor ops (linear, tanh, add, softmax, a batched matmul), so its gradient
 * is theirs; checked through the whole model in the tests.
 *
 * @example
 * const pool = new AttentionPool(100, 100, rng);
 * const { pooled, weights } = pool.forward(h, maskBias(lengths, T)); // (N, C), (N, T)
 */
import { Linear } from '../../nn/linear.ts';
import { Module } from '../../nn/module.ts';
import { Parameter } from '../../nn/parameter.ts';
import { add, linear, matmul, reshape, softmax, tanh, Tensor } from '../../tensor/index.ts';
import type { Rng } from '../../util/rng.ts';

/** Score bias of a padded position: exp(-1e9 - max) is 0 in float32 and float64. */
const MASKED = -1e9;

/** (N, T) score biases: 0 where t < lengths[i], -1e9 after (a constant, no gradient). */
export function maskBias(lengths: Int32Array, T: number): Tensor {
  const m = new Float32Array(lengths.length * T);
  lengths.forEach((len, i) => m.fill(MASKED, i * T + len, (i + 1) * T));
  return new Tensor(m, [lengths.length, T]);
}

/** What `AttentionPool.forward` returns. */
export interface Pooled {
  /** (N, C) the weighted sums. */
  pooled: Tensor;
  /** (N, T) the attention weights (0 at padding). */
  weights: Tensor;
}

export class AttentionPool extends Module {
  readonly proj: Linear;
  readonly context: Tensor;

  constructor(readonly inputSize: number, readonly attnDim: number, rng: Rng) {
    super();
    this.proj = this.addModule('proj', new Linear(inputSize, attnDim, { std: 1 / Math.sqrt(inputSize), rng }));
    this.context = this.addParameter('context', Parameter.normal([1, attnDim], 1 / Math.sqrt(attnDim), rng));
  }

  /** h (N, T, C), bias (N, T) from `maskBias` -> the pooled rows and their weights. */
  forward(h: Tensor, bias: Tensor): Pooled {
    const [N, T, C] = h.shape as [number, number, number];
    const u = tanh(this.proj.forward(h)); // (N, T, A)
    const scores = reshape(linear(u, this.context), [N, T]); // (N, T, 1) -> (N, T)
    const weights = softmax(add(scores, bias)); // (N, T)
    const pooled = reshape(matmul(reshape(weights, [N, 1, T]), h), [N, C]); // (N, 1, T) @ (N, T, C) -> (N, C)
    return { pooled, weights };
  }
}
