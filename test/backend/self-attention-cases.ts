/**
 * Kernel cases of `selfAttention` and its backward (training attention from the
 * projections, RoPE inside, probabilities recomputed) for test/backend/native.test.ts,
 * which runs them against the reference backend on every instruction set and at 1, 2 and
 * 3 threads. Head sizes 8 and 16 (the specialised paths) and others (the general one),
 * T around the vector widths, GQA, both RoPE layouts, key masks with a row that sees no
 * key, bidirectional rows, and sizes large enough to split over threads.
 */
import type { KernelCase } from './cases.ts';
import { ropeTable } from '../../src/tensor/self-attention.ts';
import { Rng } from '../../src/util/rng.ts';

function randn(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

const shapes: { B: number; T: number; nh: number; nkv: number; hs: number; causal: boolean; mask: boolean; rope: 'pairs' | 'halves' | null }[] = [
  { B: 1, T: 1, nh: 1, nkv: 1, hs: 1, causal: true, mask: false, rope: null },
  { B: 2, T: 17, nh: 4, nkv: 2, hs: 8, causal: true, mask: false, rope: 'pairs' },
  { B: 2, T: 33, nh: 2, nkv: 2, hs: 16, causal: true, mask: true, rope: 'halves' },
  { B: 1, T: 9, nh: 3, nkv: 1, hs: 5, causal: false, mask: true, rope: null },
  { B: 2, T: 40, nh: 2, nkv: 1, hs: 34, causal: true, mask: false, rope: 'pairs' },
  { B: 2, T: 64, nh: 8, nkv: 4, hs: 8, causal: true, mask: false, rope: 'pairs' },
  { B: 1, T: 70, nh: 4, nkv: 4, hs: 16, causal: false, mask: false, rope: 'halves' },
];

const cases: KernelCase[] = [];
let seed = 8000;
for (const s of shapes) {
  const caseSeed = seed++;
  cases.push({
    name: `selfAttention B${s.B} T${s.T} nh${s.nh} nkv${s.nkv} hs${s.hs} ${s.causal ? 'causal' : 'bidir'} mask:${s.mask} rope:${s.rope}`,
    tol: 5e-5,
    run(b) {
      const { B, T, nh, nkv, hs } = s;
      const rng = new Rng(caseSeed);
      const q = randn(rng, B * T * nh * hs), k = randn(rng, B * T * nkv * hs), v = randn(rng, B * T * nkv * hs);
      let keyMask: Float32Array | null = null;
      if (s.mask) {
        keyMask = new Float32Array(B * T).fill(1);
        for (let j = 0; j < B * T; j += 3) keyMask[j] = 0; // key 0 of batch 0 hidden: causal row 0 sees nothing
      }
      const interleaved = s.rope === 'pairs';
      const cs = s.rope ? ropeTable(T, hs, { theta: 1000, interleaved }) : null;
      const scale = 1 / Math.sqrt(hs);
      const out = new Float32Array(B * T * nh * hs), lse = new Float32Array(B * nh * T);
      b.selfAttention(B, T, nh, nkv, hs, scale, s.causal, keyMask, cs, interleaved, q, k, v, out, lse);
      const dout = randn(rng, out.length);
      const dq = randn(rng, q.length), dk = randn(rng, k.length), dv = randn(rng, v.length); // the gradients accumulate
      b.selfAttentionBackward(B, T, nh, nkv, hs, scale, s.causal, keyMask, cs, interleaved, q, k, v, out, lse, dout, dq, dk, dv);
      // rows that see no key have lse -inf: compared as a 0/1 flag (the comparison takes differences)
      const dead = lse.map((x) => (x === -Infinity ? 1 : 0)), finite = lse.map((x) => (x === -Infinity ? 0 : x));
      return { out, lse: finite, dead, dq, dk, dv };
    },
  });
}

export const selfAttentionKernelCases: readonly KernelCase[] = cases;
