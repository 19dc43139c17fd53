/**
 * The tensor engine: `Tensor` (Float32Array storage + shape, contiguous row-major),
 * reverse-mode autograd, and the differentiable ops models are built from. Ops call the
 * current backend (src/backend); model code never calls kernels directly.
 *
 * API (every op returns a new Tensor and records its backward unless inside `noGrad`):
 *
 * Tensor
 * - `new Tensor(data: Float32Array, shape, { requiresGrad? })`  wrap an array (no copy)
 * - `Tensor.zeros(shape, opts?)`, `Tensor.ones`, `Tensor.full(shape, v)`, `Tensor.scalar(v)`
 * - `Tensor.randn(shape, rng, std = 1, { requiresGrad: true })`  a parameter init
 * - `Tensor.uniform(shape, rng, lo, hi, opts?)`, `Tensor.fromArray([1, 2, 3, 4], [2, 2])`
 * - `t.data` (Float32Array), `t.shape`, `t.size`, `t.ndim`, `t.grad` (Float32Array | null), `t.requiresGrad`
 * - `t.item()` one value; `t.toArray()` number[]; `t.clone()`; `t.detach()` (shares storage, no grad)
 * - `loss.backward()`  leaf grads ACCUMULATE across calls (micro-batches) until `p.zeroGrad()`
 * - `t.retain()` keep an intermediate (value + grad) through backward; `t.dispose()` free now
 * - `noGrad(() => ...)` record nothing (inference); `tidy(() => ...)` dispose temporaries
 * - `poolStats()` / `resetPoolStats()` / `clearPool()`  the buffer pool (see pool.ts): new allocations,
 *     reuses, live and peak bytes; `LLMTS_POOL_POISON=1` fills handed-out buffers with NaN (debugging)
 * - `withFloat64(() => ...)`  tests only: run ops in float64 on the reference backend (gradchecks)
 *
 * Ops (shapes as in the comments)
 * - `matmul(a, b, { transA?, transB? })`  (..., M, K) @ (..., K, N); either side may be 2-D
 * - `linear(x, w, b?)`                     (..., in) with w (out, in), b (out) -> (..., out)
 * - `add(a, b)`, `sub(a, b)`, `mul(a, b)`  same shape, or b = a's trailing dims (broadcast over rows)
 * - `scale(x, s)`                          s * x
 * - `sum(x, axis?, { keepDim? })`, `mean(x, axis?)`  over one axis or all (-> shape [])
 * - `reshape(x, [B, T, nh, -1])`           view, no copy
 * - `transpose12(x)`                        (B, T, nh, hs) <-> (B, nh, T, hs)
 * - `split(x, [C, C, C], axis = -1)` / `concat([a, b], axis = -1)`  copies along one axis
 * - `narrow(x, axis, start, length)`      a slice of one axis, e.g. the last time step
 * - `tanh(x)`                              (BERT pooler)
 * - `sigmoid(x)`                           (LSTM gates)
 * - `gatherRows([a, b], src, row)` / `scatterAddRows(x, index, n)`  rows by index and their
 *     sums per index (a Tree-LSTM level: children's states in, sums per parent out)
 * - `gruSequence(gx, wHh, bHh, lengths, reverse)`  one GRU direction over padded rows, gx (N, T, 3H) -> (N, T, H)
 * - `softmax(x)`                            over the last axis
 * - `layerNorm(x, w, b, eps = 1e-5)`, `rmsNorm(x, w, eps = 1e-5)`  over the last axis
 * - `gelu(x)` (tanh form), `geluErf(x)` (exact, erf: BERT), `silu(x)`, `swiglu(gate, up)`
 * - `geluLinear(h, w, b?)`                 = linear(gelu(h), w, b) without keeping gelu(h) for backward
 *     (recomputed there: the GPT-2 MLP's activation recomputation)
 * - `attention(q, k, v, { causal = true, scale?, keyMask?, posOffset?, kvLen? })`
 *     q (B, nh, Tq, hs), k/v (B, nkv, Tk, hs) -> (B, nh, Tq, hs); GQA when nkv < nh;
 *     kvLen < k.shape[2] reads a KV cache (noGrad only)
 * - `attentionQkv(qkv, nHead, { causal = true, scale?, keyMask? })`  self-attention from a fused
 *     projection: qkv (B, T, 3C) -> (B, T, C), no head transposes (GPT-2's c_attn)
 * - `selfAttention(q, k, v, { nHead, nKvHead?, causal = true, scale?, keyMask?, rope? })`  training
 *     self-attention from separate projections: q (B, T, nh*hs), k/v (B, T, nkv*hs) -> (B, T, nh*hs),
 *     RoPE inside (`ropeTable`), no transposes, no saved probabilities (recomputed in backward)
 * - `rope(x, { posOffset = 0, theta = 10000, interleaved = false })`  x (B, H, T, hs)
 * - `loraLinear(x, w, b, a, bW, scaling)`  x w^T + b + scaling (x a^T) bW^T as one product with the
 *     merged weight (LoRA without adapter dropout)
 * - `embedding(table, ids: Int32Array, [B, T])`  table (V, C) -> (B, T, C)
 * - `crossEntropy(logits, targets: Int32Array, { ignoreIndex = -100 })`  mean over counted rows -> ()
 * - `dropout(x, p, seed, training = true)`  seeded inverted dropout; returns x when !training
 *
 * @example
 * import { Tensor, linear, gelu, crossEntropy } from '../tensor/index.ts';
 * const w = Tensor.randn([10, 16], new Rng(1), 0.02, { requiresGrad: true });
 * const loss = crossEntropy(linear(gelu(x), w), targets); // x (B, 16), targets Int32Array(B)
 * loss.backward();                                        // w.grad accumulates
 * console.log(loss.item());                               // the loss keeps its value
 */
export {
  Tensor, noGrad, isGradEnabled, tidy, withFloat64, shapeSize, fmtShape,
  type TensorOptions, type Node,
} from './tensor.ts';
export { BufferPool, poolStats, resetPoolStats, clearPool, type PoolStats } from './pool.ts';
export { matmul, linear, type MatmulOptions } from './matmul.ts';
export { add, sub, mul, scale } from './elementwise.ts';
export { sum, mean, type ReduceOptions } from './reduce.ts';
export { reshape, transpose12, narrow, split, concat } from './shape.ts';
export { softmax } from './softmax.ts';
export { layerNorm, rmsNorm } from './norm.ts';
export { gelu, silu, swiglu, tanh } from './activation.ts';
export { geluLinear } from './gelu-linear.ts';
export { geluErf } from './gelu-erf.ts';
export { packedAttention, biasGeluErf, addLayerNorm, type PackedSequences } from './encoder-inference.ts';
export {
  attention, attentionQkv, rope, type AttentionOptions, type AttentionQkvOptions, type RopeOptions,
} from './attention.ts';
export { selfAttention, ropeTable, type SelfAttentionOptions, type SelfAttentionRope } from './self-attention.ts';
export { loraLinear } from './lora-linear.ts';
export { embedding } from './embedding.ts';
export { crossEntropy, type CrossEntropyOptions } from './loss.ts';
export { dropout } from './dropout.ts';
export { sigmoid } from './sigmoid.ts';
export { gatherRows, scatterAddRows } from './rows.ts';
export { gruSequence } from './gru.ts';
