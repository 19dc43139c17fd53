// The GELU MLP runs gelu + c_proj as one op that recomputes gelu(h) in backward
// (geluLinear). Its gradients must equal the plain composition of the same modules,
// c_proj(gelu(c_fc(x))), on the reference and the native backend.
import { test } from 'node:test';
import { nativeBackend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import type { Backend } from '../../src/backend/backend.ts';
import { Linear, MLP } from '../../src/nn/index.ts';
import { Tensor, gelu, mul, sum } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, randn32 } from '../tensor/helpers.ts';

const native = nativeBackend();
const backends: [string, Backend | null, string | undefined][] = [
  ['reference', referenceBackend(), undefined],
  ['native', native.backend, native.backend ? undefined : `native backend unavailable: ${native.reason}`],
];

for (const [name, be, skip] of backends) {
  test(`MLP gelu (recomputing gelu in backward) = c_proj(gelu(c_fc(x))): loss and gradients (${name})`, { skip: skip ?? false }, () => {
    setBackend(be!);
    const B = 3, T = 11, C = 32, H = 4 * C;
    const rng = new Rng(12);
    const mlp = new MLP(C, H, { kind: 'gelu', rng: new Rng(13), std: 0.2 });
    const params = mlp.namedParameters();
    const mods = new Map(mlp.namedChildren());
    const fc = mods.get('c_fc') as Linear, proj = mods.get('c_proj') as Linear;
    const xData = randn32(rng, B * T * C), rData = randn32(rng, B * T * C);
    const run = (fused: boolean) => {
      for (const [, p] of params) p.zeroGrad();
      const x = Tensor.fromArray(xData, [B, T, C], { requiresGrad: true });
      const y = fused ? mlp.forward(x) : proj.forward(gelu(fc.forward(x))); // (B, T, C)
      const loss = sum(mul(y, Tensor.fromArray(rData, [B, T, C])));
      loss.backward();
      return { loss: loss.item(), dx: Float32Array.from(x.grad!), grads: params.map(([, p]) => Float32Array.from(p.grad!)) };
    };
    const f = run(true), u = run(false);
    assertClose([f.loss], [u.loss], 1e-5, 1e-6, `${name}: loss`);
    assertClose(f.dx, u.dx, 1e-6, 1e-5, `${name}: d x`);
    params.forEach(([n], i) => assertClose(f.grads[i]!, u.grads[i]!, 1e-6, 1e-5, `${name}: d ${n}`));
  });
}
