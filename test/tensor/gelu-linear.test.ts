// geluLinear (linear(gelu(h)) with gelu(h) recomputed in backward) against the unfused
// ops, on the reference and the native backend: same output and gradients, and one
// (rows, in) activation less kept alive between forward and backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import type { Backend } from '../../src/backend/backend.ts';
import { Tensor, gelu, geluLinear, linear, mul, noGrad, poolStats, sum } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, randn32 } from './helpers.ts';

const native = nativeBackend();
const backends: [string, Backend | null, string | undefined][] = [
  ['reference', referenceBackend(), undefined],
  ['native', native.backend, native.backend ? undefined : `native backend unavailable: ${native.reason}`],
];

// sizes past the SIMD widths and odd tails; rows * hidden above the native threading threshold
const rows = 37, C = 24, H = 96;

/** One step of x -> c_fc -> (fused or unfused) gelu + c_proj, and every gradient. */
function runMlp(fused: boolean, seed: number) {
  const rng = new Rng(seed);
  const x = Tensor.fromArray(randn32(rng, rows * C), [rows, C], { requiresGrad: true });
  const w1 = Tensor.fromArray(randn32(rng, H * C, 0.3), [H, C], { requiresGrad: true });
  const b1 = Tensor.fromArray(randn32(rng, H, 0.1), [H], { requiresGrad: true });
  const w2 = Tensor.fromArray(randn32(rng, C * H, 0.1), [C, H], { requiresGrad: true });
  const b2 = Tensor.fromArray(randn32(rng, C, 0.1), [C], { requiresGrad: true });
  const R = Tensor.fromArray(randn32(rng, rows * C), [rows, C]);
  const live0 = poolStats().liveBytes;
  const h = linear(x, w1, b1); // (rows, H)
  const y = (fused ? geluLinear(h, w2, b2) : linear(gelu(h), w2, b2)).retain(); // (rows, C)
  const keptBytes = poolStats().liveBytes - live0;
  sum(mul(y, R)).backward();
  return {
    y: Float32Array.from(y.data), keptBytes,
    grads: [x, w1, b1, w2, b2].map((t) => Float32Array.from(t.grad!)),
  };
}

for (const [name, be, skip] of backends) {
  test(`geluLinear = linear(gelu(h)): output and every gradient of a GELU MLP (${name})`, { skip: skip ?? false }, () => {
    setBackend(be!);
    const fused = runMlp(true, 7), plain = runMlp(false, 7);
    assertClose(fused.y, plain.y, 1e-6, 1e-6, `${name}: output`);
    ['x', 'c_fc.weight', 'c_fc.bias', 'c_proj.weight', 'c_proj.bias'].forEach((what, i) => {
      assertClose(fused.grads[i]!, plain.grads[i]!, 1e-6, 1e-5, `${name}: d ${what}`);
    });
    // the fused forward keeps no gelu(h): exactly one (rows, H) float32 buffer less is alive
    assert.equal(plain.keptBytes - fused.keptBytes, rows * H * 4, `${name}: bytes kept for backward`);
  });
}

test('geluLinear under noGrad gives its scratch back and records nothing', () => {
  setBackend(referenceBackend());
  const h = Tensor.fromArray(randn32(new Rng(3), 4 * 80), [4, 80], { requiresGrad: true });
  const w = Tensor.fromArray(randn32(new Rng(4), 5 * 80), [5, 80], { requiresGrad: true });
  const live0 = poolStats().liveBytes;
  const y = noGrad(() => geluLinear(h, w));
  assert.equal(y.node, null);
  assert.equal(poolStats().liveBytes - live0, 0, 'the output (20 floats, unpooled) is all that stays');
});

test('geluLinear rejects a weight that does not fit, naming both shapes', () => {
  const h = Tensor.zeros([2, 6]);
  assert.throws(() => geluLinear(h, Tensor.zeros([3, 5])), (e: unknown) =>
    e instanceof LlmtsError && e.code === 'E_SHAPE' && /\(2, 6\)/.test(e.message) && /\(3, 5\)/.test(e.message));
  assert.throws(() => geluLinear(h, Tensor.zeros([3, 6]), Tensor.zeros([4])), (e: unknown) =>
    e instanceof LlmtsError && e.code === 'E_SHAPE' && /bias/.test(e.message));
});
