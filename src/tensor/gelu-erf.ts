/**
 * The exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (BERT's `hidden_act: "gelu"`,
 * torch's `nn.GELU()`), on the backend's `geluErf` kernel (native: a vectorised erf with
 * absolute error below 2e-7; reference: src/util/erf.ts, float64-accurate).
 *
 * @example
 * geluErf(h); // (B, T, 4C), the BERT MLP's activation
 */
import { backend } from '../backend/index.ts';
import { Tensor, gradOf, record } from './tensor.ts';

/**
 * Exact (erf) GELU, elementwise: 0.5 x (1 + erf(x / sqrt 2)); its gradient is
 * Phi(x) + x phi(x).
 *
 * @example
 * geluErf(linear(x, w1, b1)); // (B, T, 4C)
 */
export function geluErf(x: Tensor): Tensor {
  const be = backend();
  const out = Tensor.empty(x.shape);
  be.geluErf(x.size, x.data, out.data);
  return record(out, 'geluErf', [x], [], (dout) => {
    const dx = gradOf(x);
    if (dx) be.geluErfBackward(x.size, x.data, dout, dx);
  }, { readsOutput: false });
}
