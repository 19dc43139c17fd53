/**
 * Layout ops: `reshape` (a view, no copy), `transpose12` (swap axes 1 and 2 of a 4-D
 * tensor: heads <-> time), `split` and `concat` along the last axis.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { pool } from './pool.ts';
import { Tensor, fmtShape, gradOf, makeView, record, shapeSize } from './tensor.ts';

/**
 * The same values with another shape (one dim may be -1: inferred). Shares storage and
 * gradient with x.
 *
 * @example
 * reshape(x, [B, T, nh, -1]); // (B, T, C) -> (B, T, nh, hs)
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const nInfer = shape.filter((d) => d === -1).length;
  const known = shapeSize(shape.filter((d) => d !== -1), 'reshape');
  const inferred = nInfer === 1 && known > 0 && x.size % known === 0 ? x.size / known : -1;
  const full = shape.map((d) => (d === -1 ? inferred : d));
  if (nInfer > 1 || full.includes(-1) || shapeSize(full, 'reshape') !== x.size) {
    throw new LlmtsError('E_SHAPE', `reshape: cannot view ${fmtShape(x.shape)} (${x.size} elements) as ${fmtShape(shape)}`, {
      where: 'reshape', hint: 'the new shape must have the same number of elements (at most one -1)' });
  }
  const out = makeView(x, full, true); // x's values with shape `full`
  // the gradient buffer is shared with x, so there is nothing to do in backward
  return record(out, 'reshape', [x], [], () => {});
}

/**
 * Swaps axes 1 and 2 of a 4-D tensor (a copy).
 *
 * @example
 * transpose12(q); // (B, T, nh, hs) -> (B, nh, T, hs)
 */
export function transpose12(x: Tensor): Tensor {
  if (x.ndim !== 4) {
    throw new LlmtsError('E_SHAPE', `transpose12 needs a 4-D tensor, got ${fmtShape(x.shape)}`, { where: 'transpose12' });
  }
  const [d0, d1, d2, d3] = x.shape as [number, number, number, number];
  const be = backend();
  const out = Tensor.empty([d0, d2, d1, d3]); // (d0, d2, d1, d3)
  be.transpose12(d0, d1, d2, d3, x.data, out.data);
  return record(out, 'transpose12', [x], [], (dout) => {
    const dx = gradOf(x);
    if (!dx) return;
    // transpose the gradient back into a scratch buffer, then accumulate
    const tmp = pool.acquire(x.size);
    be.transpose12(d0, d2, d1, d3, dout, tmp); // (d0, d1, d2, d3)
    be.axpy(x.size, 1, tmp, dx);
    pool.release(tmp);
  });
}

/**
 * Splits the last axis into pieces of the given sizes (copies).
 *
 * @example
 * const [q, k, v] = split(qkv, [C, C, C]); // (B, T, 3C) -> 3 x (B, T, C)
 */
export function split(x: Tensor, sizes: readonly number[]): Tensor[] {
  const C = x.shape[x.ndim - 1] ?? 1;
  const total = sizes.reduce((p, d) => p + d, 0);
  if (x.ndim === 0 || total !== C || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new LlmtsError('E_SHAPE', `split: sizes [${sizes.join(', ')}] do not add up to the last dim of ${fmtShape(x.shape)}`, {
      where: 'split', hint: 'give sizes (integers >= 0) whose sum is the last dim' });
  }
  const rows = C === 0 ? 0 : x.size / C;
  const be = backend();
  const outs: Tensor[] = [];
  let start = 0;
  for (const w of sizes) {
    const s0 = start;
    const out = Tensor.empty([...x.shape.slice(0, -1), w]); // (..., w)
    const xd = x.data, od = out.data;
    for (let r = 0; r < rows; r++) od.set(xd.subarray(r * C + s0, r * C + s0 + w), r * w);
    outs.push(record(out, 'split', [x], [], (dout) => {
      const dx = gradOf(x);
      if (!dx) return;
      for (let r = 0; r < rows; r++) be.axpy(w, 1, dout.subarray(r * w), dx.subarray(r * C + s0));
    }));
    start += w;
  }
  return outs;
}

/**
 * Concatenates along the last axis (all other dims equal).
 *
 * @example
 * concat([a, b]); // (B, T, 4) and (B, T, 2) -> (B, T, 6)
 */
export function concat(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new LlmtsError('E_SHAPE', 'concat of no tensors', { where: 'concat' });
  const lead = xs[0]!.shape.slice(0, -1);
  for (const t of xs) {
    if (t.ndim !== lead.length + 1 || t.shape.slice(0, -1).join(',') !== lead.join(',')) {
      throw new LlmtsError('E_SHAPE', `concat: ${fmtShape(t.shape)} does not match ${fmtShape(xs[0]!.shape)} outside the last dim`, {
        where: 'concat', hint: 'all dims but the last must be equal' });
    }
  }
  const widths = xs.map((t) => t.shape[t.ndim - 1]!);
  const C = widths.reduce((p, d) => p + d, 0);
  const rows = lead.reduce((p, d) => p * d, 1);
  const be = backend();
  const out = Tensor.empty([...lead, C]); // (..., sum of widths)
  let start = 0;
  const starts: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const w = widths[i]!, xd = xs[i]!.data, od = out.data;
    starts.push(start);
    for (let r = 0; r < rows; r++) od.set(xd.subarray(r * w, (r + 1) * w), r * C + start);
    start += w;
  }
  return record(out, 'concat', xs, [], (dout) => {
    for (let i = 0; i < xs.length; i++) {
      const dx = gradOf(xs[i]!);
      if (!dx) continue;
      const w = widths[i]!, s0 = starts[i]!;
      for (let r = 0; r < rows; r++) be.axpy(w, 1, dout.subarray(r * C + s0), dx.subarray(r * w));
    }
  });
}
