// selfAttention (training attention from the projections, probabilities recomputed in
// backward) against its definition on the same backend: rope + transpose12 + attention +
// transpose back, forward and gradients, at sizes that cross the kernels' vector widths
// (T not a multiple of 16, a row's last key vector partly hidden), with GQA, both RoPE
// layouts, a key mask and bidirectional rows. The gradient checks against float64 finite
// differences are in op-cases.ts (small shapes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import type { Backend } from '../../src/backend/backend.ts';
import {
  Tensor, attention, mul, reshape, rope, ropeTable, selfAttention, sum, transpose12,
} from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, randn32 } from './helpers.ts';

interface Case { B: number; T: number; nh: number; nkv: number; hs: number; rope: 'pairs' | 'halves' | null; causal: boolean; masked: boolean }

const cases: Case[] = [
  { B: 2, T: 37, nh: 8, nkv: 4, hs: 8, rope: 'pairs', causal: true, masked: false }, // stories260K's heads
  { B: 1, T: 40, nh: 2, nkv: 2, hs: 16, rope: 'halves', causal: false, masked: true },
  { B: 2, T: 17, nh: 3, nkv: 1, hs: 6, rope: null, causal: true, masked: true },
];

/** Output and gradients of q, k, v through selfAttention, or through its definition. */
function run(be: Backend, c: Case, fused: boolean, seed: number) {
  setBackend(be);
  const rng = new Rng(seed);
  const { B, T, nh, nkv, hs } = c;
  const q = Tensor.fromArray(randn32(rng, B * T * nh * hs), [B, T, nh * hs], { requiresGrad: true });
  const k = Tensor.fromArray(randn32(rng, B * T * nkv * hs), [B, T, nkv * hs], { requiresGrad: true });
  const v = Tensor.fromArray(randn32(rng, B * T * nkv * hs), [B, T, nkv * hs], { requiresGrad: true });
  const mask = c.masked ? Float32Array.from({ length: B * T }, (_, i) => (i % 5 === 3 ? 0 : 1)) : null;
  const interleaved = c.rope === 'pairs', theta = 500;
  let y: Tensor;
  if (fused) {
    const r = c.rope ? { cs: ropeTable(T, hs, { theta, interleaved }), interleaved } : null;
    y = selfAttention(q, k, v, { nHead: nh, nKvHead: nkv, causal: c.causal, keyMask: mask, rope: r }); // (B, T, nh*hs)
  } else {
    const heads = (t: Tensor, n: number) => transpose12(reshape(t, [B, T, n, hs])); // (B, n, T, hs)
    const rot = (t: Tensor) => (c.rope ? rope(t, { theta, interleaved }) : t);
    const a = attention(rot(heads(q, nh)), rot(heads(k, nkv)), heads(v, nkv), { causal: c.causal, keyMask: mask }); // (B, nh, T, hs)
    y = reshape(transpose12(a), [B, T, nh * hs]);
  }
  y.retain();
  const R = Tensor.fromArray(randn32(rng, y.size), y.shape);
  sum(mul(y, R)).backward();
  return { out: Float32Array.from(y.data), grads: [q, k, v].map((t) => Float32Array.from(t.grad!)) };
}

const native = nativeBackend();
for (const [bi, be] of [referenceBackend(), native.backend].entries()) {
  const name = bi === 0 ? 'reference' : 'native';
  test(`selfAttention = rope + attention on the head transposes (${name})`, { skip: be ? false : `native backend unavailable: ${native.reason}` }, () => {
    try {
      cases.forEach((c, i) => {
        const got = run(be!, c, true, 100 + i), want = run(be!, c, false, 100 + i);
        const what = `${name} case ${i} (${JSON.stringify(c)})`;
        assertClose(got.out, want.out, 2e-6, 1e-4, `${what}: output`);
        got.grads.forEach((g, j) => assertClose(g, want.grads[j]!, 2e-5, 1e-3, `${what}: grad of ${'qkv'[j]}`));
      });
    } finally {
      setBackend(referenceBackend());
    }
  });
}

test('selfAttention: a row that sees no key gives zeros and lse -inf; wrong shapes are E_SHAPE', () => {
  const be = native.backend ?? referenceBackend();
  const B = 1, T = 20, nh = 1, hs = 4;
  const rng = new Rng(9);
  const q = randn32(rng, T * hs), k = randn32(rng, T * hs), v = randn32(rng, T * hs);
  const mask = new Float32Array(T).fill(1);
  mask[0] = 0; // causal row 0 sees key 0 only
  const out = new Float32Array(T * hs).fill(7), lse = new Float32Array(T);
  be.selfAttention(B, T, nh, nh, hs, 0.5, true, mask, null, false, q, k, v, out, lse);
  assert.deepEqual([...out.subarray(0, hs)], [0, 0, 0, 0]);
  assert.equal(lse[0], -Infinity);
  assert.ok(Number.isFinite(lse[1]) && out.subarray(hs).every((x) => x !== 7));
  const t = (shape: number[]) => Tensor.zeros(shape);
  assert.throws(() => selfAttention(t([1, 4, 6]), t([1, 4, 4]), t([1, 4, 4]), { nHead: 2 }), (e: Error & { code?: string }) => e.code === 'E_SHAPE');
  assert.throws(() => selfAttention(t([1, 4, 8]), t([1, 4, 4]), t([1, 4, 4]), { nHead: 3, nKvHead: 2 }), (e: Error & { code?: string }) => e.code === 'E_SHAPE');
});
