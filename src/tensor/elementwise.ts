/**
 * Elementwise arithmetic: add, sub, mul (same shape, or b broadcast over the rows of a when
 * b's shape equals a's trailing dims, e.g. a bias), and scale by a constant.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Tensor, fmtShape, gradOf, record } from './tensor.ts';

/** How b combines with a: same shape, or b repeated over `rows` rows of `cols`. */
function broadcastOf(a: Tensor, b: Tensor, where: string): { same: boolean; rows: number; cols: number } {
  const k = b.ndim;
  const trailingMatch = k <= a.ndim && b.shape.every((d, i) => d === a.shape[a.ndim - k + i]);
  if (!trailingMatch) {
    throw new LlmtsError('E_SHAPE', `${where}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not match`, {
      where, hint: 'b must have the shape of a, or of a\'s trailing dims (broadcast over rows, like a bias)' });
  }
  const cols = Math.max(1, b.size);
  return { same: k === a.ndim, rows: b.size === 0 ? 0 : a.size / cols, cols };
}

/**
 * a + b. b has a's shape, or a's trailing dims (added to every row).
 *
 * @example
 * add(x, bias); // (B, T, C) + (C) -> (B, T, C)
 */
export function add(a: Tensor, b: Tensor): Tensor {
  const { same, rows, cols } = broadcastOf(a, b, 'add');
  const be = backend();
  const out = Tensor.empty(a.shape);
  if (same) be.add(a.size, a.data, b.data, out.data);
  else be.addBias(rows, cols, a.data, b.data, out.data);
  return record(out, 'add', [a, b], [], (dout) => {
    const da = gradOf(a), db = gradOf(b);
    if (da) be.axpy(a.size, 1, dout, da);
    if (db) {
      if (same) be.axpy(b.size, 1, dout, db);
      else be.addBiasBackward(rows, cols, dout, db);
    }
  });
}

/** a - b (same broadcasting as `add`). */
export function sub(a: Tensor, b: Tensor): Tensor {
  const { same, rows, cols } = broadcastOf(a, b, 'sub');
  const be = backend();
  const out = Tensor.empty(a.shape);
  out.data.set(a.data);
  for (let r = 0; r < rows; r++) be.axpy(cols, -1, b.data, out.data.subarray(r * cols));
  return record(out, 'sub', [a, b], [], (dout) => {
    const da = gradOf(a), db = gradOf(b);
    if (da) be.axpy(a.size, 1, dout, da);
    if (db) {
      if (same) be.axpy(b.size, -1, dout, db);
      else for (let r = 0; r < rows; r++) be.axpy(cols, -1, dout.subarray(r * cols), db);
    }
  });
}

/**
 * a * b elementwise. b has a's shape, or a's trailing dims (multiplies every row).
 *
 * @example
 * mul(x, gate); // (B, T, C) * (B, T, C)
 */
export function mul(a: Tensor, b: Tensor): Tensor {
  const { rows, cols } = broadcastOf(a, b, 'mul');
  const be = backend();
  const out = Tensor.empty(a.shape);
  for (let r = 0; r < rows; r++) be.mul(cols, a.data.subarray(r * cols), b.data, out.data.subarray(r * cols));
  return record(out, 'mul', [a, b], [], (dout) => {
    const da = gradOf(a), db = gradOf(b);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      if (da) be.mulAcc(cols, dout.subarray(o), b.data, da.subarray(o));
      if (db) be.mulAcc(cols, dout.subarray(o), a.data.subarray(o), db);
    }
  });
}

/** s * x for a constant s. `scale(x, 0.5)` */
export function scale(x: Tensor, s: number): Tensor {
  const be = backend();
  const out = Tensor.empty(x.shape);
  be.scale(x.size, s, x.data, out.data);
  return record(out, 'scale', [x], [], (dout) => {
    const dx = gradOf(x);
    if (dx) be.axpy(x.size, s, dout, dx);
  });
}
