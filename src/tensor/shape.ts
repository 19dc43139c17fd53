/**
 * Layout ops: `reshape` (a view, no copy), `transpose12` (swap axes 1 and 2 of a 4-D
 * tensor: heads <-> time), and copies along one axis: `narrow`, `split`, `concat`.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { pool } from './pool.ts';
import { Tensor, fmtShape, gradFor, makeView, record, shapeSize } from './tensor.ts';

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
    const sx = gradFor(x);
    if (!sx) return;
    if (sx.fresh) {
      be.transpose12(d0, d2, d1, d3, dout, sx.g); // (d0, d1, d2, d3), written directly
      return;
    }
    const dx = sx.g;
    // transpose the gradient back into a scratch buffer, then accumulate
    const tmp = pool.acquire(x.size);
    be.transpose12(d0, d2, d1, d3, dout, tmp); // (d0, d1, d2, d3)
    be.axpy(x.size, 1, tmp, dx);
    pool.release(tmp);
  });
}

/**
 * Up to this many blocks, a strided gradient is added block by block (one kernel call
 * each); beyond, the blocks are first copied into a contiguous scratch buffer so that one
 * kernel call adds them all (kernel calls cost about a microsecond each).
 */
const FEW_BLOCKS = 16;

/** Resolves a possibly negative axis of x; throws when out of range. */
function axisOf(x: Tensor, axis: number, where: string): number {
  const ax = axis < 0 ? axis + x.ndim : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= x.ndim) {
    throw new LlmtsError('E_SHAPE', `${where}: axis ${axis} is out of range for ${fmtShape(x.shape)}`, { where });
  }
  return ax;
}

/** x viewed as (outer, dim, inner) around axis ax. */
function around(shape: readonly number[], ax: number): { outer: number; dim: number; inner: number } {
  const prod = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);
  return { outer: prod(shape.slice(0, ax)), dim: shape[ax]!, inner: prod(shape.slice(ax + 1)) };
}

/**
 * The slice [start, start + length) of one axis (a copy).
 *
 * @example
 * narrow(h, 1, 0, 1);          // (B, T, C) -> (B, 1, C): the first token (a [CLS] pooler)
 * narrow(logits, 1, T - 1, 1); // the last position, for sampling
 */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const ax = axisOf(x, axis, 'narrow');
  const { outer, dim, inner } = around(x.shape, ax);
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > dim) {
    throw new LlmtsError('E_SHAPE', `narrow: [${start}, ${start + length}) is outside axis ${axis} of size ${dim}`, {
      where: 'narrow', hint: 'start and length must be integers with 0 <= start <= start + length <= size' });
  }
  const be = backend();
  const block = length * inner;
  const out = Tensor.empty(x.shape.map((d, i) => (i === ax ? length : d))); // x with axis ax cut to length
  const xd = x.data, od = out.data;
  for (let o = 0; o < outer; o++) od.set(xd.subarray((o * dim + start) * inner, (o * dim + start) * inner + block), o * block);
  return record(out, 'narrow', [x], [], (dout) => {
    const sx = gradFor(x);
    if (!sx) return;
    const dx = sx.g;
    if (sx.fresh) {
      // a fresh gradient: zeros outside the slice, a copy of dout inside
      dx.fill(0);
      for (let o = 0; o < outer; o++) dx.set(dout.subarray(o * block, (o + 1) * block), (o * dim + start) * inner);
      return;
    }
    if (outer <= FEW_BLOCKS) {
      for (let o = 0; o < outer; o++) be.axpy(block, 1, dout.subarray(o * block), dx.subarray((o * dim + start) * inner));
      return;
    }
    // many small blocks: scatter them (memcpy) into a zeroed scratch shaped like x, then one vector add
    const scratch = pool.acquireZeroed(x.size); // (outer, dim, inner)
    for (let o = 0; o < outer; o++) scratch.set(dout.subarray(o * block, (o + 1) * block), (o * dim + start) * inner);
    be.axpy(x.size, 1, scratch, dx);
    pool.release(scratch);
  });
}

/**
 * Splits one axis (default: the last) into pieces of the given sizes (copies).
 *
 * @example
 * const [q, k, v] = split(qkv, [C, C, C]); // (B, T, 3C) -> 3 x (B, T, C)
 */
export function split(x: Tensor, sizes: readonly number[], axis = -1): Tensor[] {
  const ax = axisOf(x, axis, 'split');
  const total = sizes.reduce((p, d) => p + d, 0);
  if (total !== x.shape[ax] || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new LlmtsError('E_SHAPE', `split: sizes [${sizes.join(', ')}] do not add up to axis ${axis} of ${fmtShape(x.shape)}`, {
      where: 'split', hint: 'give sizes (integers >= 0) whose sum is the size of the axis' });
  }
  const outs: Tensor[] = [];
  let start = 0;
  for (const w of sizes) {
    outs.push(narrow(x, ax, start, w));
    start += w;
  }
  return outs;
}

/**
 * Concatenates along one axis (default: the last); all other dims must be equal.
 *
 * @example
 * concat([a, b]);    // (B, T, 4) and (B, T, 2) -> (B, T, 6)
 * concat([a, b], 0); // (2, C) and (3, C) -> (5, C)
 */
export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  if (xs.length === 0) throw new LlmtsError('E_SHAPE', 'concat of no tensors', { where: 'concat' });
  const first = xs[0]!;
  const ax = axisOf(first, axis, 'concat');
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new LlmtsError('E_SHAPE', `concat: ${fmtShape(t.shape)} does not match ${fmtShape(first.shape)} outside axis ${axis}`, {
        where: 'concat', hint: 'all dims but the concatenation axis must be equal' });
    }
  }
  const { outer, inner } = around(first.shape, ax);
  const widths = xs.map((t) => t.shape[ax]!);
  const D = widths.reduce((p, d) => p + d, 0);
  const be = backend();
  const out = Tensor.empty(first.shape.map((d, i) => (i === ax ? D : d))); // axis ax of size sum(widths)
  const offsets: number[] = [];
  let off = 0;
  for (let i = 0; i < xs.length; i++) {
    const block = widths[i]! * inner, xd = xs[i]!.data, od = out.data;
    offsets.push(off);
    for (let o = 0; o < outer; o++) od.set(xd.subarray(o * block, (o + 1) * block), (o * D + off) * inner);
    off += widths[i]!;
  }
  return record(out, 'concat', xs, [], (dout) => {
    for (let i = 0; i < xs.length; i++) {
      const sx = gradFor(xs[i]!);
      if (!sx) continue;
      const dx = sx.g, block = widths[i]! * inner, off = offsets[i]!;
      if (sx.fresh) {
        // a fresh gradient: gather the blocks straight into it
        for (let o = 0; o < outer; o++) dx.set(dout.subarray((o * D + off) * inner, (o * D + off) * inner + block), o * block);
        continue;
      }
      if (outer <= FEW_BLOCKS) {
        for (let o = 0; o < outer; o++) be.axpy(block, 1, dout.subarray((o * D + off) * inner), dx.subarray(o * block));
        continue;
      }
      // many small blocks: gather them (memcpy) into a scratch shaped like x_i, then one vector add
      const scratch = pool.acquire(xs[i]!.size); // (outer, width_i, inner)
      for (let o = 0; o < outer; o++) scratch.set(dout.subarray((o * D + off) * inner, (o * D + off) * inner + block), o * block);
      be.axpy(xs[i]!.size, 1, scratch, dx);
      pool.release(scratch);
    }
  });
}
