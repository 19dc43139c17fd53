/**
 * Reductions: `sum` and `mean`, over one axis or over everything.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Tensor, fmtShape, gradOf, record } from './tensor.ts';

/** Options of `sum` / `mean`. */
export interface ReduceOptions {
  /** Keep the reduced axis with size 1. Default false. */
  keepDim?: boolean;
}

function reduce(x: Tensor, axis: number | undefined, isMean: boolean, opts: ReduceOptions): Tensor {
  const where = isMean ? 'mean' : 'sum';
  let outer: number, len: number, inner: number, shape: number[];
  if (axis === undefined) {
    outer = 1;
    len = x.size;
    inner = 1;
    shape = opts.keepDim ? x.shape.map(() => 1) : [];
  } else {
    const ax = axis < 0 ? axis + x.ndim : axis;
    if (!Number.isInteger(ax) || ax < 0 || ax >= x.ndim) {
      throw new LlmtsError('E_SHAPE', `${where}: axis ${axis} is out of range for ${fmtShape(x.shape)}`, { where });
    }
    outer = x.shape.slice(0, ax).reduce((p, d) => p * d, 1);
    len = x.shape[ax]!;
    inner = x.shape.slice(ax + 1).reduce((p, d) => p * d, 1);
    shape = opts.keepDim ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  }
  const be = backend();
  const s = isMean ? (len === 0 ? 0 : 1 / len) : 1;
  const out = Tensor.empty(shape); // x without the reduced axis
  be.sumAxis(outer, len, inner, x.data, out.data);
  if (isMean) be.scale(out.size, s, out.data, out.data);
  return record(out, where, [x], [], (dout) => {
    const dx = gradOf(x);
    if (dx) be.sumAxisBackward(outer, len, inner, s, dout, dx);
  });
}

/**
 * Sum over `axis` (negative counts from the end), or of every element when axis is omitted.
 *
 * @example
 * sum(x);        // (2, 3) -> ()
 * sum(x, -1);    // (2, 3) -> (2)
 */
export function sum(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  return reduce(x, axis, false, opts);
}

/** Mean over `axis`, or of every element when axis is omitted. `mean(x, 1)` */
export function mean(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  return reduce(x, axis, true, opts);
}
