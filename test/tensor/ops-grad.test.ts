// Tensor-level gradient checks: every op's autograd backward (and composite graphs of
// them, see op-cases.ts) against central finite differences, run entirely in float64
// (`withFloat64` on the reference backend). L = <op(inputs), R> for a fixed random R.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, setBackend } from '../../src/backend/index.ts';
import { Tensor, mul, noGrad, sum, withFloat64 } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad, randn64, sampleIndices } from './helpers.ts';
import { caseGroups, type CaseOptions } from './op-cases.ts';

setBackend(referenceBackend());

/** Checks d<f(inputs), R>/d(input) for every input that requires grad. */
function gradcheck(name: string, rng: Rng, shapes: number[][], f: (xs: Tensor[]) => Tensor, opts: CaseOptions = {}): void {
  withFloat64(() => {
    const xs = shapes.map((s, i) => {
      const size = s.reduce((p, d) => p * d, 1);
      return Tensor.fromArray(randn64(rng, size, opts.std ?? 1), s, { requiresGrad: !(opts.constants ?? []).includes(i) });
    });
    const probe = noGrad(() => f(xs));
    const R = Tensor.fromArray(randn64(rng, probe.size), probe.shape);
    const loss = (): number => noGrad(() => {
      const y = f(xs).data, r = R.data;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
      return s;
    });
    const L = sum(mul(f(xs), R));
    L.backward();
    assert.ok(L.data instanceof Float64Array, 'the check runs in float64');
    xs.forEach((x, k) => {
      if (!x.requiresGrad) return;
      assert.ok(x.grad, `${name}: input ${k} got no gradient`);
      const idx = sampleIndices(rng, x.size, opts.probes ?? 60);
      const num = numericGrad(loss, x.data, 1e-5, idx);
      const ana = new Float64Array(x.size).fill(NaN);
      for (const i of idx) ana[i] = x.grad[i]!;
      assertClose(ana, num, 1e-7, 1e-6, `${name}: d/d input ${k}`);
    });
  });
}

for (const group of caseGroups) {
  test(group.title, () => {
    const rng = new Rng(group.seed);
    group.run((name, shapes, f, opts) => gradcheck(name, rng, shapes, f, opts));
  });
}
