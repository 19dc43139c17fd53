/**
 * `geluLinear(h, w, b)` = `linear(gelu(h), w, b)` with activation recomputation: the GELU
 * output, a (rows, in) buffer, is not kept for backward. Forward computes it into a pooled
 * scratch buffer, runs the GEMM and gives the buffer back at once; backward recomputes it
 * from h (which the graph keeps anyway: it is c_fc's output) for the weight gradient.
 *
 * Cost and saving, per GPT-2 MLP: one (B*T, 4C) activation less alive between forward and
 * backward, for one extra GELU pass (elementwise, ~1% of the block's GEMM time).
 */
import { backend } from '../backend/index.ts';
import { linearShape } from './matmul.ts';
import { pool } from './pool.ts';
import { Tensor, gradFor, gradOf, record } from './tensor.ts';

/**
 * GELU (tanh form) then an affine map: h (..., in), weight (out, in), bias (out) -> (..., out).
 * Same values and gradients as `linear(gelu(h), weight, bias)`, with less memory kept for
 * backward (the GELU output is recomputed there).
 *
 * @example
 * const y = geluLinear(fc.forward(x), proj.weight, proj.bias); // (B, T, 4C) -> (B, T, C)
 */
export function geluLinear(h: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const { inF, outF, rows } = linearShape('geluLinear', 'h', h, weight, bias);
  const be = backend();
  const y = Tensor.empty([...h.shape.slice(0, -1), outF]); // (..., out)
  const g = pool.acquire(h.size); // gelu(h), (rows, in): scratch, not kept
  be.gelu(h.size, h.data, g);
  be.gemm(false, true, rows, outF, inF, 1, g, inF, 0, weight.data, inF, 0, 0, y.data, outF, 0, 1); // (rows, out)
  pool.release(g);
  if (bias) be.addBias(rows, outF, y.data, bias.data, y.data);

  const inputs = bias ? [h, weight, bias] : [h, weight];
  return record(y, 'geluLinear', inputs, [], (dy) => {
    const sw = gradFor(weight), db = bias ? gradOf(bias) : null;
    if (rows === 0 || outF === 0) {
      // nothing flows (empty input or output), but fresh buffers must still read as zeros
      if (sw?.fresh) sw.g.fill(0);
      if (h.requiresGrad) gradOf(h);
      return;
    }
    // one scratch buffer of h's size, used twice: first gelu(h) for the weight gradient,
    // then d(gelu(h)) for h's gradient
    const s = pool.acquire(h.size); // (rows, in)
    if (sw) {
      be.gelu(h.size, h.data, s); // recompute gelu(h)
      be.gemm(true, false, outF, inF, rows, 1, dy, outF, 0, s, inF, 0, sw.fresh ? 0 : 1, sw.g, inF, 0, 1); // dW (out, in)
    }
    if (db) be.addBiasBackward(rows, outF, dy, db); // db (out)
    const dh = gradOf(h);
    if (dh) {
      be.gemm(false, false, rows, inF, outF, 1, dy, outF, 0, weight.data, inF, 0, 0, s, inF, 0, 1); // d gelu(h) (rows, in)
      be.geluBackward(h.size, h.data, s, dh); // dh += gelu'(h) * d gelu(h)
    }
    pool.release(s);
  }, { readsOutput: false });
}
