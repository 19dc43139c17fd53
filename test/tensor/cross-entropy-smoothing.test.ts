/**
 * crossEntropy's labelSmoothing option: the loss is PyTorch's
 * (1 - eps) nll + eps mean_v(-log p_v) over the counted rows, and its gradient (added to the
 * fused kernel's) equals float64 finite differences; the loss on the native and reference backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import { crossEntropy, noGrad, Tensor, withFloat64 } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad, randn32 } from './helpers.ts';

const N = 6, V = 7;
const targets = Int32Array.from([3, -100, 0, 6, -100, 2]);

/** PyTorch's label-smoothed mean loss of rows (N, V), in float64. */
function expected(z: ArrayLike<number>, eps: number): number {
  let total = 0, n = 0;
  for (let r = 0; r < N; r++) {
    const t = targets[r]!;
    if (t === -100) continue;
    const row = Array.from({ length: V }, (_, c) => z[r * V + c]!);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    total += (1 - eps) * (lse - row[t]!) + eps * row.reduce((s, v) => s + lse - v, 0) / V;
    n++;
  }
  return total / n;
}

for (const [name, be] of [['current', backend()], ['reference', referenceBackend()]] as const) {
  test(`crossEntropy labelSmoothing (${name} backend): the loss is (1 - eps) nll + eps mean(-log p), ignored rows skipped`, () => {
    const prev = backend();
    setBackend(be);
    try {
      const z = randn32(new Rng(3), N * V, 2);
      for (const eps of [0, 0.1, 0.5]) {
        const got = noGrad(() => crossEntropy(new Tensor(z, [N, V]), targets, { labelSmoothing: eps }).item());
        assert.ok(Math.abs(got - expected(z, eps)) < 1e-5, `eps ${eps}: ${got} vs ${expected(z, eps)}`);
      }
    } finally {
      setBackend(prev);
    }
  });
}

test('crossEntropy labelSmoothing: the gradient equals float64 finite differences (reference backend)', () => {
  const prev = backend();
  setBackend(referenceBackend());
  try {
    withFloat64(() => {
      const logits = Tensor.randn([N, V], new Rng(4), 2, { requiresGrad: true });
      crossEntropy(logits, targets, { labelSmoothing: 0.2 }).backward();
      const f = (): number => noGrad(() => crossEntropy(logits, targets, { labelSmoothing: 0.2 }).item());
      assertClose(logits.grad!, numericGrad(f, logits.data, 1e-6), 1e-8, 1e-6, 'd loss / d logits');
    });
  } finally {
    setBackend(prev);
  }
});

test('crossEntropy labelSmoothing outside [0, 1) is an E_RANGE error', () => {
  const logits = new Tensor(new Float32Array(N * V), [N, V]);
  for (const eps of [1, -0.1, Number.NaN]) {
    assert.throws(() => crossEntropy(logits, targets, { labelSmoothing: eps }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_RANGE' && /labelSmoothing/.test(e.message));
  }
});
