/**
 * Kernel cases for the backend comparison tests: each case builds its inputs from a fixed
 * seed, runs one or more kernels of a `Backend`, and returns the buffers to compare.
 * Shapes mix odd sizes (1, 3, 17, 33, 65, ...) with ones large enough that the native
 * kernels split the work over threads.
 */
import type { Backend } from '../../src/backend/backend.ts';
import { Rng } from '../../src/util/rng.ts';
import { encoderKernelCases } from './encoder-cases.ts';
import { selfAttentionKernelCases } from './self-attention-cases.ts';

/** One kernel scenario; `run` returns named outputs (fresh buffers on every call). */
export interface KernelCase {
  name: string;
  /** Tolerance: |native - ref| <= tol * (1 + |ref|). */
  tol: number;
  run(b: Backend): Record<string, Float32Array | number>;
}

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

function randIds(rng: Rng, n: number, limit: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(limit);
  return out;
}

let seedCounter = 1000;
function nextSeed(): number {
  return seedCounter++;
}

const cases: KernelCase[] = [];

// ------------------------------------------------------------------ GEMM
interface GemmShape { M: number; N: number; K: number; batch?: number; alpha?: number; beta?: number; pad?: number; shareB?: boolean }
const gemmShapes: GemmShape[] = [
  { M: 1, N: 1, K: 1 },
  { M: 3, N: 5, K: 7 },
  { M: 17, N: 33, K: 65 },
  { M: 65, N: 17, K: 33, alpha: 0.5, beta: 0.75 },
  { M: 13, N: 100, K: 257, beta: 1 },
  { M: 250, N: 40, K: 20 },
  { M: 3, N: 2100, K: 5, alpha: -1.5 },
  { M: 33, N: 65, K: 17, pad: 3, beta: 0.5 },
  { M: 17, N: 9, K: 33, batch: 3, beta: 0.25 },
  { M: 16, N: 16, K: 8, batch: 24, shareB: true },
  { M: 130, N: 97, K: 520, alpha: 0.25, beta: 0.5 },
  { M: 64, N: 64, K: 64, batch: 6 },
  { M: 64, N: 64, K: 64, batch: 12, beta: 0.5 },
  { M: 5, N: 6, K: 0, beta: 0.5 },
  { M: 1, N: 100, K: 300, beta: 0.5 },
  { M: 1, N: 2100, K: 65, pad: 2, alpha: 0.5 },
  { M: 1, N: 1000, K: 301, batch: 2 },
  // matrix-vector products (decoding): odd N and K around the row-group and vector widths
  { M: 1, N: 3, K: 1 },
  { M: 1, N: 7, K: 15 },
  { M: 1, N: 5, K: 17, beta: 0.5 },
  { M: 1, N: 67, K: 33, pad: 1 },
  { M: 1, N: 130, K: 97, alpha: 2 },
  { M: 1, N: 9, K: 288 },
  // split over threads in guided row chunks (many chunks, a ragged last row group)
  { M: 1, N: 4099, K: 96, beta: 0.5 },
  // a few rows (batched decoding): B transposed takes the matrix-vector path for M <= 8
  { M: 2, N: 37, K: 40, beta: 0.5 },
  { M: 3, N: 1500, K: 97, pad: 1 },
  { M: 4, N: 19, K: 33, alpha: 0.5 },
  { M: 5, N: 300, K: 450 },
  { M: 8, N: 41, K: 7, batch: 2, beta: 0.25 },
  { M: 9, N: 20, K: 64 },
];
for (const s of gemmShapes) {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const seed = nextSeed();
      const { M, N, K } = s;
      const batch = s.batch ?? 1, alpha = s.alpha ?? 1, beta = s.beta ?? 0, pad = s.pad ?? 0;
      const lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad;
      const sizeA = (transA ? K : M) * lda, sizeB = (transB ? N : K) * ldb, sizeC = M * ldc;
      cases.push({
        name: `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} M${M} N${N} K${K} batch${batch} alpha${alpha} beta${beta} pad${pad}${s.shareB ? ' sharedB' : ''}`,
        tol: 2e-5 * Math.sqrt(Math.max(K, 1)),
        run(b) {
          const rng = new Rng(seed);
          const a = randn(rng, sizeA * batch);
          const bb = randn(rng, sizeB * (s.shareB ? 1 : batch));
          const c = randn(rng, sizeC * batch);
          if (beta === 0) c.fill(NaN); // beta = 0 must not read C
          b.gemm(transA, transB, M, N, K, alpha, a, lda, sizeA, bb, ldb, s.shareB ? 0 : sizeB, beta, c, ldc, sizeC, batch);
          if (pad > 0) {
            // padding columns of C are not part of the result
            for (let i = 0; i < M * batch; i++) c.fill(0, i * ldc + N, (i + 1) * ldc);
          }
          return { c };
        },
      });
    }
  }
}

// ------------------------------------------------------------------ elementwise and activations
for (const n of [1, 3, 17, 65, 1000, 70001]) {
  const seed = nextSeed();
  cases.push({
    name: `elementwise n${n}`,
    tol: 1e-6,
    run(b) {
      const rng = new Rng(seed);
      const x = randn(rng, n), y = randn(rng, n);
      const add = new Float32Array(n), mul = new Float32Array(n), scaled = new Float32Array(n);
      const acc = randn(rng, n), ax = randn(rng, n);
      b.add(n, x, y, add);
      b.mul(n, x, y, mul);
      b.mulAcc(n, x, y, acc);
      b.scale(n, 0.37, x, scaled);
      b.axpy(n, -1.25, x, ax);
      const inplace = x.slice();
      b.scale(n, 2, inplace, inplace);
      return { add, mul, acc, scaled, ax, inplace };
    },
  });
  cases.push({
    name: `activations n${n}`,
    tol: 2e-5,
    run(b) {
      const rng = new Rng(seed + 1);
      const x = randn(rng, n, 3), up = randn(rng, n), dout = randn(rng, n);
      x[0] = n > 5 ? 30 : x[0]; // saturating inputs
      if (n > 5) x[1] = -30;
      const gelu = new Float32Array(n), silu = new Float32Array(n), swiglu = new Float32Array(n);
      const dgelu = randn(rng, n), dsilu = randn(rng, n), dgate = randn(rng, n), dup = randn(rng, n);
      b.gelu(n, x, gelu);
      b.geluBackward(n, x, dout, dgelu);
      b.silu(n, x, silu);
      b.siluBackward(n, x, dout, dsilu);
      b.swiglu(n, x, up, swiglu);
      b.swigluBackward(n, x, up, dout, dgate, dup);
      return { gelu, dgelu, silu, dsilu, swiglu, dgate, dup };
    },
  });
  cases.push({
    name: `dropout n${n}`,
    tol: 0,
    run(b) {
      const rng = new Rng(seed + 2);
      const x = randn(rng, n);
      const out1 = new Float32Array(n), mask1 = new Float32Array(n);
      const out2 = new Float32Array(n), mask2 = new Float32Array(n);
      const out3 = new Float32Array(n), mask3 = new Float32Array(n);
      b.dropout(n, 0.1, 1234, x, out1, mask1);
      b.dropout(n, 0.5, 0xdeadbeef, x, out2, mask2);
      b.dropout(n, 1, 7, x, out3, mask3);
      return { out1, mask1, out2, mask2, out3, mask3 };
    },
  });
  cases.push({
    name: `optimizers n${n}`,
    tol: 2e-6,
    run(b) {
      const rng = new Rng(seed + 3);
      const p = randn(rng, n), m = randn(rng, n, 0.1), v = randn(rng, n, 0.1).map(Math.abs);
      for (let t = 1; t <= 3; t++) {
        const g = randn(rng, n);
        b.adamw(n, p, g, m, v, 1e-2, 0.9, 0.95, 1e-8, 0.1, t);
      }
      const q = randn(rng, n), buf = randn(rng, n, 0.1), q2 = randn(rng, n), buf2 = randn(rng, n, 0.1);
      for (let t = 0; t < 3; t++) {
        const g = randn(rng, n);
        b.sgd(n, q, g, buf, 0.05, 0.9, 0.01, false);
        b.sgd(n, q2, g, buf2, 0.05, 0.9, 0, true);
      }
      return { p, m, v, q, buf, q2, buf2 };
    },
  });
  cases.push({
    name: `argmax n${n}`,
    tol: 0,
    run(b) {
      const rng = new Rng(seed + 5);
      const x = randn(rng, n);
      const out: Record<string, number> = { plain: b.argmax(n, x) };
      // ties (the first wins), signed zeros, -Infinity, and NaNs (never win; NaN at 0 gives 0)
      const t = x.map((v) => Math.round(v));
      out.ties = b.argmax(n, t);
      out.zeros = b.argmax(n, x.map((v, i) => (i % 3 === 0 ? -0 : v < 0 ? v : 0)));
      out.ninf = b.argmax(n, new Float32Array(n).fill(-Infinity));
      out.nanMid = b.argmax(n, x.map((v, i) => (i % 5 === 2 ? NaN : v)));
      out.nanFirst = b.argmax(n, x.map((v, i) => (i === 0 ? NaN : v)));
      out.prefix = b.argmax(Math.floor(n / 2), x); // n smaller than the buffer
      return out;
    },
  });
  cases.push({
    name: `sumSquares n${n}`,
    tol: 1e-9,
    run(b) {
      const rng = new Rng(seed + 4);
      const x = randn(rng, n);
      return { s: b.sumSquares(n, x) };
    },
  });
}

// ------------------------------------------------------------------ bias, reductions, layout
for (const [rows, cols] of [[1, 1], [3, 17], [33, 65], [512, 300], [7, 1000]] as const) {
  const seed = nextSeed();
  cases.push({
    name: `bias rows${rows} cols${cols}`,
    tol: 1e-5 * Math.sqrt(rows),
    run(b) {
      const rng = new Rng(seed);
      const x = randn(rng, rows * cols), bias = randn(rng, cols), dbias = randn(rng, cols);
      const out = new Float32Array(rows * cols);
      b.addBias(rows, cols, x, bias, out);
      b.addBiasBackward(rows, cols, x, dbias);
      const inplace = x.slice();
      b.addBias(rows, cols, inplace, bias, inplace);
      return { out, dbias, inplace };
    },
  });
}
for (const [outer, axis, inner] of [[1, 1, 1], [3, 5, 7], [4, 9, 1], [1, 300, 33], [4, 300, 100], [70, 1000, 1], [2, 3, 600]] as const) {
  const seed = nextSeed();
  cases.push({
    name: `sumAxis ${outer}x${axis}x${inner}`,
    tol: 1e-5 * Math.sqrt(axis),
    run(b) {
      const rng = new Rng(seed);
      const x = randn(rng, outer * axis * inner), out = new Float32Array(outer * inner);
      const dout = randn(rng, outer * inner), dx = randn(rng, outer * axis * inner);
      b.sumAxis(outer, axis, inner, x, out);
      b.sumAxisBackward(outer, axis, inner, 1 / axis, dout, dx);
      return { out, dx };
    },
  });
}
for (const [d0, d1, d2, d3] of [[1, 1, 1, 1], [2, 3, 5, 7], [4, 64, 12, 17], [2, 17, 3, 1]] as const) {
  const seed = nextSeed();
  cases.push({
    name: `transpose12 ${d0}x${d1}x${d2}x${d3}`,
    tol: 0,
    run(b) {
      const rng = new Rng(seed);
      const n = d0 * d1 * d2 * d3;
      const x = randn(rng, n), out = new Float32Array(n), back = new Float32Array(n);
      b.transpose12(d0, d1, d2, d3, x, out);
      b.transpose12(d0, d2, d1, d3, out, back);
      return { out, back };
    },
  });
}

// ------------------------------------------------------------------ softmax and norms
for (const [rows, C] of [[1, 1], [5, 3], [4, 17], [3, 64], [9, 65], [300, 257], [2, 5000]] as const) {
  const seed = nextSeed();
  cases.push({
    name: `softmax rows${rows} cols${C}`,
    tol: 2e-6,
    run(b) {
      const rng = new Rng(seed);
      const x = randn(rng, rows * C, 4), y = new Float32Array(rows * C);
      const dy = randn(rng, rows * C), dx = randn(rng, rows * C);
      b.softmax(rows, C, x, y);
      b.softmaxBackward(rows, C, y, dy, dx);
      const inplace = x.slice();
      b.softmax(rows, C, inplace, inplace);
      return { y, dx, inplace };
    },
  });
  cases.push({
    name: `layerNorm rows${rows} C${C}`,
    tol: 5e-5 * Math.sqrt(rows),
    run(b) {
      const rng = new Rng(seed + 1);
      const n = rows * C;
      const x = randn(rng, n, 2), w = randn(rng, C), bias = randn(rng, C);
      for (let i = 0; i < n; i++) x[i] += 3; // a mean away from zero
      const out = new Float32Array(n), mean = new Float32Array(rows), rstd = new Float32Array(rows);
      const dout = randn(rng, n), dx = randn(rng, n), dw = randn(rng, C), db = randn(rng, C);
      b.layerNorm(rows, C, 1e-5, x, w, bias, out, mean, rstd);
      b.layerNormBackward(rows, C, dout, x, w, mean, rstd, dx, dw, db);
      return { out, mean, rstd, dx, dw, db };
    },
  });
  cases.push({
    name: `rmsNorm rows${rows} C${C}`,
    tol: 5e-5 * Math.sqrt(rows),
    run(b) {
      const rng = new Rng(seed + 2);
      const n = rows * C;
      const x = randn(rng, n, 2), w = randn(rng, C);
      const out = new Float32Array(n), rstd = new Float32Array(rows);
      const dout = randn(rng, n), dx = randn(rng, n), dw = randn(rng, C);
      b.rmsNorm(rows, C, 1e-6, x, w, out, rstd);
      b.rmsNormBackward(rows, C, dout, x, w, rstd, dx, dw);
      return { out, rstd, dx, dw };
    },
  });
}

// ------------------------------------------------------------------ cross-entropy and embedding
for (const [N, V] of [[1, 1], [7, 33], [5, 3], [64, 2000], [3, 50257]] as const) {
  const seed = nextSeed();
  cases.push({
    name: `crossEntropy N${N} V${V}`,
    tol: 2e-5,
    run(b) {
      const rng = new Rng(seed);
      const logits = randn(rng, N * V, 3), targets = randIds(rng, N, V);
      if (N > 2) targets[1] = -100;
      const losses = new Float32Array(N), lse = new Float32Array(N), dlogits = randn(rng, N * V, 0.01);
      const counted = b.crossEntropy(N, V, logits, targets, -100, losses, lse);
      b.crossEntropyBackward(N, V, logits, targets, -100, lse, 1 / Math.max(counted, 1), dlogits);
      return { counted, losses, lse, dlogits };
    },
  });
}
for (const [n, C, V] of [[1, 1, 1], [13, 17, 9], [512, 300, 50], [100, 768, 1000]] as const) {
  const seed = nextSeed();
  cases.push({
    name: `embedding n${n} C${C} V${V}`,
    tol: 1e-5,
    run(b) {
      const rng = new Rng(seed);
      const table = randn(rng, V * C), idArr = randIds(rng, n, V);
      const out = new Float32Array(n * C), dout = randn(rng, n * C), dtable = randn(rng, V * C);
      b.embedding(n, C, idArr, table, out);
      b.embeddingBackward(n, C, idArr, dout, dtable);
      return { out, dtable };
    },
  });
}

// ------------------------------------------------------------------ attention and RoPE
interface AttShape {
  B: number; nh: number; nkv: number; Tq: number; Tk: number; kvCap?: number; hs: number;
  causal: boolean; posOffset?: number; mask?: 'none' | 'some' | 'all-of-batch-1';
}
const attShapes: AttShape[] = [
  { B: 1, nh: 1, nkv: 1, Tq: 1, Tk: 1, hs: 1, causal: true },
  { B: 2, nh: 4, nkv: 2, Tq: 17, Tk: 17, hs: 8, causal: true },
  { B: 2, nh: 4, nkv: 4, Tq: 17, Tk: 17, hs: 33, causal: false, mask: 'some' },
  { B: 2, nh: 6, nkv: 2, Tq: 5, Tk: 12, hs: 16, causal: true, posOffset: 7 },
  { B: 2, nh: 4, nkv: 1, Tq: 1, Tk: 9, kvCap: 16, hs: 16, causal: true, posOffset: 8 },
  { B: 2, nh: 2, nkv: 2, Tq: 6, Tk: 6, hs: 4, causal: false, mask: 'all-of-batch-1' },
  { B: 2, nh: 4, nkv: 2, Tq: 64, Tk: 64, hs: 32, causal: true, mask: 'some' },
  { B: 1, nh: 3, nkv: 3, Tq: 65, Tk: 65, hs: 64, causal: true },
  // decode steps (one query against a cache) for every head size 1..17: head sizes below,
  // at and just above a vector width take the partial-vector (masked) paths
  ...Array.from({ length: 17 }, (_, i): AttShape => ({ B: 1, nh: 2, nkv: 2, Tq: 1, Tk: 19 + i, kvCap: 40, hs: i + 1, causal: true, posOffset: 18 + i })),
];
for (const s of attShapes) {
  const seed = nextSeed();
  const kvCap = s.kvCap ?? s.Tk, posOffset = s.posOffset ?? 0, mask = s.mask ?? 'none';
  cases.push({
    name: `attention B${s.B} nh${s.nh} nkv${s.nkv} Tq${s.Tq} Tk${s.Tk} cap${kvCap} hs${s.hs} ${s.causal ? 'causal' : 'bidir'} pos${posOffset} mask:${mask}`,
    tol: 5e-5,
    run(b) {
      const { B, nh, nkv, Tq, Tk, hs } = s;
      const rng = new Rng(seed);
      const q = randn(rng, B * nh * Tq * hs), k = randn(rng, B * nkv * kvCap * hs), v = randn(rng, B * nkv * kvCap * hs);
      let keyMask: Float32Array | null = null;
      if (mask !== 'none') {
        keyMask = new Float32Array(B * Tk).fill(1);
        if (mask === 'some') for (let j = 0; j < B * Tk; j += 3) keyMask[j] = 0;
        else keyMask.fill(0, Tk, 2 * Tk);
      }
      const scale = 1 / Math.sqrt(hs);
      const out = new Float32Array(B * nh * Tq * hs), att = new Float32Array(B * nh * Tq * Tk);
      b.attention(B, nh, nkv, Tq, Tk, kvCap, hs, scale, s.causal, posOffset, keyMask, q, k, v, out, att);
      const result: Record<string, Float32Array> = { out, att };
      if (kvCap === Tk) {
        const dout = randn(rng, out.length);
        const dq = randn(rng, q.length), dk = randn(rng, k.length), dv = randn(rng, v.length);
        b.attentionBackward(B, nh, nkv, Tq, Tk, hs, scale, q, k, v, att, dout, dq, dk, dv);
        Object.assign(result, { dq, dk, dv });
      }
      return result;
    },
  });
}
const qkvShapes: { B: number; T: number; nh: number; hs: number; causal: boolean; mask: boolean }[] = [
  { B: 1, T: 1, nh: 1, hs: 1, causal: true, mask: false },
  { B: 2, T: 17, nh: 3, hs: 5, causal: true, mask: false },
  { B: 2, T: 9, nh: 2, hs: 33, causal: false, mask: true },
  { B: 3, T: 64, nh: 4, hs: 32, causal: true, mask: false },
  { B: 1, T: 70, nh: 2, hs: 16, causal: true, mask: true },
];
for (const s of qkvShapes) {
  const seed = nextSeed();
  cases.push({
    name: `attentionQkv B${s.B} T${s.T} nh${s.nh} hs${s.hs} ${s.causal ? 'causal' : 'bidir'} mask:${s.mask}`,
    tol: 5e-5,
    run(b) {
      const { B, T, nh, hs } = s;
      const rng = new Rng(seed);
      const C = nh * hs;
      const qkv = randn(rng, B * T * 3 * C);
      let keyMask: Float32Array | null = null;
      if (s.mask) {
        keyMask = new Float32Array(B * T).fill(1);
        for (let j = 0; j < B * T; j += 3) keyMask[j] = 0;
      }
      const scale = 1 / Math.sqrt(hs);
      const out = new Float32Array(B * T * C), att = new Float32Array(B * nh * T * T);
      b.attentionQkv(B, T, nh, hs, scale, s.causal, keyMask, qkv, out, att);
      const dout = randn(rng, out.length), dqkv = randn(rng, qkv.length);
      b.attentionQkvBackward(B, T, nh, hs, scale, qkv, att, dout, dqkv);
      return { out, att, dqkv };
    },
  });
}
for (const [B, H, T, hs, pos] of [[1, 1, 1, 2, 0], [2, 3, 17, 8, 0], [1, 2, 3, 7, 5], [2, 2, 5, 64, 100], [4, 12, 64, 64, 3]] as const) {
  const seed = nextSeed();
  cases.push({
    name: `rope B${B} H${H} T${T} hs${hs} pos${pos}`,
    tol: 2e-5,
    run(b) {
      const rng = new Rng(seed);
      const n = B * H * T * hs;
      const x = randn(rng, n);
      const inter = x.slice(), half = x.slice(), back = x.slice();
      b.rope(B, H, T, hs, pos, 10000, true, false, inter);
      b.rope(B, H, T, hs, pos, 500000, false, false, half);
      b.rope(B, H, T, hs, pos, 10000, false, false, back);
      b.rope(B, H, T, hs, pos, 10000, false, true, back); // inverse undoes it
      return { inter, half, back };
    },
  });
}

/** All cases. */
export const kernelCases: readonly KernelCase[] = [...cases, ...encoderKernelCases, ...selfAttentionKernelCases];
