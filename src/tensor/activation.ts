/**
 * Activations: GELU (tanh form, as GPT-2), SiLU, SwiGLU (silu(gate) * up, as Llama), and tanh.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { pool } from './pool.ts';
import { Tensor, fmtShape, gradOf, record } from './tensor.ts';

/** GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). `gelu(h)` */
export function gelu(x: Tensor): Tensor {
  const be = backend();
  const out = Tensor.empty(x.shape);
  be.gelu(x.size, x.data, out.data);
  return record(out, 'gelu', [x], [], (dout) => {
    const dx = gradOf(x);
    if (dx) be.geluBackward(x.size, x.data, dout, dx);
  }, { readsOutput: false });
}

/** SiLU (swish): x * sigmoid(x). `silu(h)` */
export function silu(x: Tensor): Tensor {
  const be = backend();
  const out = Tensor.empty(x.shape);
  be.silu(x.size, x.data, out.data);
  return record(out, 'silu', [x], [], (dout) => {
    const dx = gradOf(x);
    if (dx) be.siluBackward(x.size, x.data, dout, dx);
  });
}

/**
 * SwiGLU: silu(gate) * up, both of the same shape.
 *
 * @example
 * swiglu(linear(x, wGate), linear(x, wUp)); // (B, T, hidden)
 */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (gate.shape.join(',') !== up.shape.join(',')) {
    throw new LlmtsError('E_SHAPE', `swiglu: gate ${fmtShape(gate.shape)} and up ${fmtShape(up.shape)} differ`, { where: 'swiglu' });
  }
  const be = backend();
  const out = Tensor.empty(gate.shape);
  be.swiglu(gate.size, gate.data, up.data, out.data);
  return record(out, 'swiglu', [gate, up], [], (dout) => {
    const dg = gradOf(gate), du = gradOf(up);
    if (!dg && !du) return;
    // the kernel writes both gradients; a tensor that needs none gets a scratch buffer
    const sg = dg ?? pool.acquireZeroed(gate.size), su = du ?? pool.acquireZeroed(up.size);
    be.swigluBackward(gate.size, gate.data, up.data, dout, sg, su);
    if (!dg) pool.release(sg);
    if (!du) pool.release(su);
  });
}

/**
 * tanh, elementwise. No backend kernel exists for it: a plain loop, meant for small
 * tensors (a BERT pooler's (B, C)), not for hot paths.
 */
export function tanh(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  const xd = x.data, od = out.data;
  for (let i = 0; i < x.size; i++) od[i] = Math.tanh(xd[i]!);
  return record(out, 'tanh', [x], [], (dout) => {
    const dx = gradOf(x);
    if (!dx) return;
    const y = out.data;
    for (let i = 0; i < x.size; i++) dx[i]! += (1 - y[i]! * y[i]!) * dout[i]!;
  });
}
