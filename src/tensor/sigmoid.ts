/**
 * The logistic sigmoid, elementwise: 1 / (1 + e^-x) (LSTM gates). A plain loop, no
 * backend kernel; its backward reads the output (dy/dx = y (1 - y)).
 */
import { Tensor, gradOf, record } from './tensor.ts';

/** sigmoid(x) = 1 / (1 + exp(-x)), any shape. `sigmoid(gates)` */
export function sigmoid(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  const xd = x.data, od = out.data;
  for (let i = 0; i < x.size; i++) {
    const v = xd[i]!;
    // the two forms avoid exp overflow on either side
    if (v >= 0) od[i] = 1 / (1 + Math.exp(-v));
    else { const e = Math.exp(v); od[i] = e / (1 + e); }
  }
  return record(out, 'sigmoid', [x], [], (dout) => {
    const dx = gradOf(x);
    if (!dx) return;
    const y = out.data;
    for (let i = 0; i < x.size; i++) dx[i]! += y[i]! * (1 - y[i]!) * dout[i]!;
  }, { readsInputs: false });
}
