/**
 * Normalisation over the last axis: LayerNorm (GPT-2, BERT) and RMSNorm (Llama).
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { pool } from './pool.ts';
import { Tensor, fmtShape, gradOf, record } from './tensor.ts';

function checkParam(x: Tensor, p: Tensor, what: string, where: string): void {
  const C = x.shape[x.ndim - 1];
  if (p.ndim !== 1 || p.shape[0] !== C) {
    throw new LlmtsError('E_SHAPE', `${where}: ${what} ${fmtShape(p.shape)} does not match the last dim of x ${fmtShape(x.shape)}`, {
      where, hint: `${what} must be 1-D with the size of x's last dim` });
  }
}

/**
 * LayerNorm over the last dim: (x - mean) / sqrt(var + eps) * weight + bias.
 *
 * @example
 * layerNorm(x, ln.weight, ln.bias); // (B, T, C) -> (B, T, C)
 */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  checkParam(x, weight, 'weight', 'layerNorm');
  checkParam(x, bias, 'bias', 'layerNorm');
  const C = x.shape[x.ndim - 1]!;
  const rows = C === 0 ? 0 : x.size / C;
  const be = backend();
  const out = Tensor.empty(x.shape);
  const mean = pool.acquire(rows), rstd = pool.acquire(rows); // (rows), saved for backward
  be.layerNorm(rows, C, eps, x.data, weight.data, bias.data, out.data, mean, rstd);
  return record(out, 'layerNorm', [x, weight, bias], [mean, rstd], (dout) => {
    const dx = gradOf(x), dw = gradOf(weight), db = gradOf(bias);
    const sx = dx ?? pool.acquireZeroed(x.size), sw = dw ?? pool.acquireZeroed(C), sb = db ?? pool.acquireZeroed(C);
    be.layerNormBackward(rows, C, dout, x.data, weight.data, mean, rstd, sx, sw, sb);
    if (!dx) pool.release(sx);
    if (!dw) pool.release(sw);
    if (!db) pool.release(sb);
  }, { readsOutput: false });
}

/**
 * RMSNorm over the last dim: x / sqrt(mean(x^2) + eps) * weight.
 *
 * @example
 * rmsNorm(x, norm.weight, 1e-5); // (B, T, C) -> (B, T, C)
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-5): Tensor {
  checkParam(x, weight, 'weight', 'rmsNorm');
  const C = x.shape[x.ndim - 1]!;
  const rows = C === 0 ? 0 : x.size / C;
  const be = backend();
  const out = Tensor.empty(x.shape);
  const rstd = pool.acquire(rows); // (rows), saved for backward
  be.rmsNorm(rows, C, eps, x.data, weight.data, out.data, rstd);
  return record(out, 'rmsNorm', [x, weight], [rstd], (dout) => {
    const dx = gradOf(x), dw = gradOf(weight);
    const sx = dx ?? pool.acquireZeroed(x.size), sw = dw ?? pool.acquireZeroed(C);
    be.rmsNormBackward(rows, C, dout, x.data, weight.data, rstd, sx, sw);
    if (!dx) pool.release(sx);
    if (!dw) pool.release(sw);
  });
}
