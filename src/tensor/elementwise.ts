/**
 * Elementwise arithmetic: add, sub, mul (same shape, or b broadcast over the rows of a when
 * b's shape equals a's trailing dims, e.g. a bias), and scale by a constant.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Tensor, fmtShape, gradFor, gradOf, record } from './tensor.ts';

/** g (+)= s * dout: written when the gradient buffer is fresh, added otherwise. */
function addInto(slot: { g: Float32Array; fresh: boolean } | null, dout: Float32Array, s: number): void {
  if (!slot) return;
  if (slot.fresh) backend().scale(slot.g.length, s, dout, slot.g);
  else backend().axpy(slot.g.length, s, dout, slot.g);
}

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
    addInto(gradFor(a), dout, 1);
    if (same) addInto(gradFor(b), dout, 1); // a fresh gradient is written, not zeroed then added (the residual adds)
    else {
      const db = gradOf(b);
      if (db) be.addBiasBackward(rows, cols, dout, db);
    }
  }, { readsOutput: false, readsInputs: false });
}

/** a - b (same broadcasting as `add`). */
export function sub(a: Tensor, b: Tensor): Tensor {
  const { same, rows, cols } = broadcastOf(a, b, 'sub');
  const be = backend();
  const out = Tensor.empty(a.shape);
  out.data.set(a.data);
  for (let r = 0; r < rows; r++) be.axpy(cols, -1, b.data, out.data.subarray(r * cols));
  return record(out, 'sub', [a, b], [], (dout) => {
    addInto(gradFor(a), dout, 1);
    if (same) addInto(gradFor(b), dout, -1);
    else {
      const db = gradOf(b);
      if (db) for (let r = 0; r < rows; r++) be.axpy(cols, -1, dout.subarray(r * cols), db);
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
    const sa = gradFor(a);
    if (sa) {
      // da = dout * b, row by row: written into a fresh buffer, added to an existing one
      const op = sa.fresh ? be.mul.bind(be) : be.mulAcc.bind(be);
      for (let r = 0; r < rows; r++) op(cols, dout.subarray(r * cols), b.data, sa.g.subarray(r * cols));
    }
    const db = gradOf(b);
    if (db) for (let r = 0; r < rows; r++) be.mulAcc(cols, dout.subarray(r * cols), a.data.subarray(r * cols), db);
  });
}

/** s * x for a constant s. `scale(x, 0.5)` */
export function scale(x: Tensor, s: number): Tensor {
  const be = backend();
  const out = Tensor.empty(x.shape);
  be.scale(x.size, s, x.data, out.data);
  return record(out, 'scale', [x], [], (dout) => addInto(gradFor(x), dout, s));
}
