/**
 * A LoRA-adapted linear layer as one op: y = x W^T + b + s (x A^T) B^T, computed as one
 * product with the merged weight W + s B A (made each call: out * in * r multiply-adds,
 * small beside the product itself), so the forward has no (rows, out) adapter output to
 * scale and add, and the backward's input gradient is one product too. What LoraLinear
 * runs without adapter dropout.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { linearShape } from './matmul.ts';
import { pool } from './pool.ts';
import { Tensor, fmtShape, gradFor, gradOf, record } from './tensor.ts';

/**
 * x (..., in), weight (out, in), bias (out) or null, a (r, in), b (out, r) ->
 * (..., out) = x weight^T + bias + scaling (x a^T) b^T. Gradients flow to every input that
 * requires them (usually x, a and b; the frozen weight too if it requires grad).
 *
 * @example
 * const y = loraLinear(x, base.weight, base.bias, loraA.weight, loraB.weight, alpha / r); // (B, T, out)
 */
export function loraLinear(x: Tensor, weight: Tensor, bias: Tensor | null, a: Tensor, b: Tensor, scaling: number): Tensor {
  const { inF, outF, rows } = linearShape('loraLinear', 'x', x, weight, bias);
  const r = a.shape[0] ?? 0;
  if (a.ndim !== 2 || a.shape[1] !== inF || b.ndim !== 2 || b.shape[0] !== outF || b.shape[1] !== r) {
    throw new LlmtsError('E_SHAPE', `loraLinear: A ${fmtShape(a.shape)} and B ${fmtShape(b.shape)} do not fit weight ${fmtShape(weight.shape)}`, {
      where: 'loraLinear', hint: 'A is (r, in_features), B (out_features, r)' });
  }
  const be = backend();
  const merged = pool.acquire(outF * inF); // (out, in) = W + s B A, saved for backward
  merged.set(weight.data);
  be.gemm(false, false, outF, inF, r, scaling, b.data, r, 0, a.data, inF, 0, 1, merged, inF, 0, 1);
  const y = Tensor.empty([...x.shape.slice(0, -1), outF]); // (..., out)
  be.gemm(false, true, rows, outF, inF, 1, x.data, inF, 0, merged, inF, 0, 0, y.data, outF, 0, 1);
  if (bias) be.addBias(rows, outF, y.data, bias.data, y.data);
  const inputs = bias ? [x, weight, bias, a, b] : [x, weight, a, b];
  return record(y, 'loraLinear', inputs, [merged], (dy) => {
    if (rows === 0) {
      for (const t of [x, weight, a, b]) {
        const s = gradFor(t);
        if (s?.fresh) s.g.fill(0);
      }
      return;
    }
    const sx = gradFor(x), sw = gradFor(weight), db = bias ? gradOf(bias) : null, sa = gradFor(a), sb = gradFor(b);
    if (sx) be.gemm(false, false, rows, inF, outF, 1, dy, outF, 0, merged, inF, 0, sx.fresh ? 0 : 1, sx.g, inF, 0, 1); // (rows, in)
    if (sw) be.gemm(true, false, outF, inF, rows, 1, dy, outF, 0, x.data, inF, 0, sw.fresh ? 0 : 1, sw.g, inF, 0, 1); // (out, in)
    if (db) be.addBiasBackward(rows, outF, dy, db);
    if (sb) {
      // dB = s dy^T (x A^T)
      const h = pool.acquire(rows * r); // (rows, r)
      be.gemm(false, true, rows, r, inF, 1, x.data, inF, 0, a.data, inF, 0, 0, h, r, 0, 1);
      be.gemm(true, false, outF, r, rows, scaling, dy, outF, 0, h, r, 0, sb.fresh ? 0 : 1, sb.g, r, 0, 1); // (out, r)
      pool.release(h);
    }
    if (sa) {
      // dA = s (dy B)^T x
      const dh = pool.acquire(rows * r); // (rows, r)
      be.gemm(false, false, rows, r, outF, 1, dy, outF, 0, b.data, r, 0, 0, dh, r, 0, 1);
      be.gemm(true, false, r, inF, rows, scaling, dh, r, 0, x.data, inF, 0, sa.fresh ? 0 : 1, sa.g, inF, 0, 1); // (r, in)
      pool.release(dh);
    }
  }, { readsOutput: false });
}
