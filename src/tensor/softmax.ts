/**
 * Softmax over the last axis.
 */
import { backend } from '../backend/index.ts';
import { Tensor, gradOf, record } from './tensor.ts';

/**
 * Softmax over the last axis (rows sum to 1).
 *
 * @example
 * softmax(Tensor.fromArray([1, 2, 3])).toArray(); // [0.090, 0.245, 0.665]
 */
export function softmax(x: Tensor): Tensor {
  const cols = x.shape[x.ndim - 1] ?? 1;
  const rows = cols === 0 ? 0 : x.size / cols;
  const be = backend();
  const y = Tensor.empty(x.shape);
  be.softmax(rows, cols, x.data, y.data);
  return record(y, 'softmax', [x], [], (dy) => {
    const dx = gradOf(x);
    if (dx) be.softmaxBackward(rows, cols, y.data, dy, dx);
  });
}
