/**
 * Kernel cases of the encoder-inference kernels (packed attention, bias + exact GELU,
 * bias + residual + LayerNorm) for test/backend/native.test.ts, which runs them against
 * the reference backend on every instruction set and at 1, 2 and 3 threads. Layouts mix
 * sequences with padded rows after their keys, a sequence of padding only (no key), odd
 * head sizes, query blocks past 32 rows, and sizes large enough to split over threads.
 */
import type { KernelCase } from './cases.ts';
import { Rng } from '../../src/util/rng.ts';

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

const cases: KernelCase[] = [];
let seed = 7000;

/** [rows, keys] per sequence. */
const layouts: { nh: number; hs: number; seqs: [number, number][] }[] = [
  { nh: 1, hs: 4, seqs: [[1, 1]] },
  { nh: 3, hs: 7, seqs: [[9, 5], [4, 0], [17, 17]] },
  { nh: 2, hs: 16, seqs: [[0, 0], [40, 33], [3, 1]] },
  { nh: 4, hs: 64, seqs: [[63, 63], [63, 16], [40, 40], [70, 41], [64, 64], [16, 16], [33, 20], [1, 1]] },
  { nh: 2, hs: 32, seqs: [[130, 100], [66, 65], [5, 5], [2, 0]] }, // more than 64 keys and query rows: several key chunks and query blocks
];
for (const { nh, hs, seqs } of layouts) {
  const s0 = seed++;
  cases.push({
    name: `packedAttention nh${nh} hs${hs} seqs ${seqs.map(([r, k]) => `${k}/${r}`).join(',')}`,
    tol: 2e-5,
    run(b) {
      const rng = new Rng(s0);
      const S = seqs.length, C = nh * hs;
      const rowStart = new Int32Array(S + 1), nKeys = new Int32Array(S);
      seqs.forEach(([rows, keys], s) => { rowStart[s + 1] = rowStart[s]! + rows; nKeys[s] = keys; });
      const N = rowStart[S]!;
      const qkv = randn(rng, N * 3 * C), out = randn(rng, N * C); // out starts as garbage: every row is written
      b.packedAttention(S, nh, hs, 1 / Math.sqrt(hs), rowStart, nKeys, qkv, out);
      return { out };
    },
  });
}

for (const [rows, cols] of [[1, 1], [3, 17], [65, 1024], [2, 3000]] as const) {
  const s0 = seed++;
  cases.push({
    name: `biasGeluErf ${rows}x${cols} (and in place)`,
    tol: 1e-6,
    run(b) {
      const rng = new Rng(s0);
      const x = randn(rng, rows * cols, 3), bias = randn(rng, cols), out = new Float32Array(rows * cols);
      b.biasGeluErf(rows, cols, x, bias, out);
      const inPlace = x.slice();
      b.biasGeluErf(rows, cols, inPlace, bias, inPlace);
      return { out, inPlace };
    },
  });
}

for (const [rows, C] of [[1, 1], [3, 33], [300, 256], [5, 1000]] as const) {
  const s0 = seed++;
  cases.push({
    name: `addLayerNorm ${rows}x${C} (bias, no bias, in place)`,
    tol: 2e-5,
    run(b) {
      const rng = new Rng(s0);
      const x = randn(rng, rows * C), res = randn(rng, rows * C, 2), bias = randn(rng, C);
      const w = randn(rng, C), lb = randn(rng, C), eps = 1e-12;
      const withBias = new Float32Array(rows * C), noBias = new Float32Array(rows * C);
      b.addLayerNorm(rows, C, eps, x, bias, res, w, lb, withBias);
      b.addLayerNorm(rows, C, 1e-5, x, null, res, w, lb, noBias);
      const inPlace = res.slice();
      b.addLayerNorm(rows, C, eps, x, bias, inPlace, w, lb, inPlace);
      return { withBias, noBias, inPlace };
    },
  });
}

/** The encoder-inference kernel cases. */
export const encoderKernelCases: readonly KernelCase[] = cases;
