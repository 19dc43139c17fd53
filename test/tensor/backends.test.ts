// The Tensor ops on both backends: every case of op-cases.ts (single ops and composite
// Transformer blocks) runs forward and backward in float32 on the native and the
// reference backend; outputs and gradients must agree. Skipped (with the reason) when
// the native addon cannot load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import type { Backend } from '../../src/backend/backend.ts';
import { Tensor, mul, sum } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, randn32 } from './helpers.ts';
import { caseGroups, type CaseOptions } from './op-cases.ts';

const native = nativeBackend();

/** Output and input gradients of one case on one backend, from the same random inputs. */
function runOn(be: Backend, seed: number, shapes: number[][], f: (xs: Tensor[]) => Tensor, opts: CaseOptions) {
  setBackend(be);
  const rng = new Rng(seed);
  const xs = shapes.map((s, i) => {
    const size = s.reduce((p, d) => p * d, 1);
    return Tensor.fromArray(randn32(rng, size, opts.std ?? 1), s, { requiresGrad: !(opts.constants ?? []).includes(i) });
  });
  const y = f(xs).retain();
  const R = Tensor.fromArray(randn32(rng, y.size), y.shape);
  sum(mul(y, R)).backward();
  return { out: Float32Array.from(y.data), grads: xs.map((x) => (x.grad ? Float32Array.from(x.grad) : null)) };
}

for (const group of caseGroups) {
  test(`native = reference: ${group.title}`, { skip: native.backend ? false : `native backend unavailable: ${native.reason}` }, () => {
    let k = 0;
    try {
      group.run((name, shapes, f, opts = {}) => {
        const seed = group.seed * 1000 + k++;
        const r = runOn(referenceBackend(), seed, shapes, f, opts);
        const n = runOn(native.backend!, seed, shapes, f, opts);
        assertClose(n.out, r.out, 1e-4, 1e-3, `${name}: output`);
        r.grads.forEach((g, i) => {
          if (g === null) return assert.equal(n.grads[i], null, `${name}: input ${i} should get no gradient`);
          assertClose(n.grads[i]!, g, 1e-4, 1e-3, `${name}: grad of input ${i}`);
        });
      });
    } finally {
      setBackend(referenceBackend());
    }
  });
}
