/**
 * The reference backend's GELU kernels, both forms and both directions: the tanh form
 * (GPT-2's `gelu_new`) and the exact erf form (BERT's `gelu`, src/util/erf.ts for erf).
 * Plain loops over float32 or float64 buffers (float64: the gradient checks).
 *
 * @example
 * refGeluErf(n, x, out); // out[i] = 0.5 x[i] (1 + erf(x[i] / sqrt 2))
 */
import { erf } from '../util/erf.ts';

type Buf = Float32Array | Float64Array;

const GELU_S = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function refGelu(n: number, x: Buf, out: Buf): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    out[i] = 0.5 * v * (1 + Math.tanh(GELU_S * (v + GELU_C * v * v * v)));
  }
}

/** dx += gelu'(x) * dout (tanh form). */
export function refGeluBackward(n: number, x: Buf, dout: Buf, dx: Buf): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const t = Math.tanh(GELU_S * (v + GELU_C * v * v * v));
    const d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_S * (1 + 3 * GELU_C * v * v);
    dx[i]! += d * dout[i]!;
  }
}

/** GELU, exact: 0.5 x (1 + erf(x / sqrt 2)). */
export function refGeluErf(n: number, x: Buf, out: Buf): void {
  for (let i = 0; i < n; i++) out[i] = 0.5 * x[i]! * (1 + erf(x[i]! * Math.SQRT1_2));
}

/** dx += (Phi(x) + x phi(x)) * dout. */
export function refGeluErfBackward(n: number, x: Buf, dout: Buf, dx: Buf): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const cdf = 0.5 * (1 + erf(v * Math.SQRT1_2)); // Phi(x)
    const pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI); // phi(x)
    dx[i]! += (cdf + v * pdf) * dout[i]!;
  }
}
