// Forward semantics of the reference backend against independent naive formulas: the
// contracts of src/backend/backend.ts (transposes, leading dims, strides, beta, aliasing,
// KV cache capacity, GQA, masks, ignore index, dropout rule, optimizer updates).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceBackend } from '../../src/backend/reference.ts';
import { Rng, hashUniform } from '../../src/util/rng.ts';
import { assertClose, randInt, randn64 } from './helpers.ts';

const ref = new ReferenceBackend();

test('gemm: all transpose combos, padded leading dims, batch strides, alpha and beta', () => {
  const rng = new Rng(11);
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const M = randInt(rng, 1, 7), N = randInt(rng, 1, 9), K = randInt(rng, 1, 8), batch = 3;
      const lda = (transA ? M : K) + 2, ldb = (transB ? K : N) + 1, ldc = N + 3;
      const sA = (transA ? K : M) * lda + 5, sB = (transB ? N : K) * ldb + 1, sC = M * ldc + 2;
      const a = randn64(rng, batch * sA), b = randn64(rng, batch * sB);
      const A = (bi: number, i: number, p: number) => (transA ? a[bi * sA + p * lda + i]! : a[bi * sA + i * lda + p]!);
      const Bm = (bi: number, p: number, j: number) => (transB ? b[bi * sB + j * ldb + p]! : b[bi * sB + p * ldb + j]!);
      for (const beta of [0, 1.5]) {
        const c = randn64(rng, batch * sC);
        if (beta === 0) c.fill(NaN); // beta = 0 must not read C
        const c0 = Float64Array.from(c);
        ref.gemm(transA, transB, M, N, K, 0.5, a, lda, sA, b, ldb, sB, beta, c, ldc, sC, batch);
        const expected = Float64Array.from(c0);
        for (let bi = 0; bi < batch; bi++) {
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let s = 0;
              for (let p = 0; p < K; p++) s += A(bi, i, p) * Bm(bi, p, j);
              const at = bi * sC + i * ldc + j;
              expected[at] = 0.5 * s + (beta === 0 ? 0 : beta * c0[at]!);
            }
          }
        }
        // padding between rows and batches is untouched (NaN stays NaN; compare those as equal)
        const a1 = Array.from(c, (v) => (Number.isNaN(v) ? 1e300 : v));
        const e1 = Array.from(expected, (v) => (Number.isNaN(v) ? 1e300 : v));
        assertClose(a1, e1, 1e-12, 1e-12, `gemm tA=${transA} tB=${transB} beta=${beta}`);
      }
    }
  }
});

/** Naive attention: explicit scores, mask, softmax, weighted sum. */
function naiveAttention(B: number, nh: number, nkv: number, Tq: number, Tk: number, cap: number, hs: number,
  causal: boolean, pos: number, mask: Float64Array | null, q: Float64Array, k: Float64Array, v: Float64Array): Float64Array {
  const out = new Float64Array(B * nh * Tq * hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const kh = Math.floor((h * nkv) / nh);
      for (let i = 0; i < Tq; i++) {
        const w: number[] = [];
        for (let j = 0; j < Tk; j++) {
          const ok = (!causal || j <= pos + i) && (!mask || mask[b * Tk + j] === 1);
          if (!ok) { w.push(-Infinity); continue; }
          let s = 0;
          for (let d = 0; d < hs; d++) s += q[((b * nh + h) * Tq + i) * hs + d]! * k[((b * nkv + kh) * cap + j) * hs + d]!;
          w.push(s / Math.sqrt(hs));
        }
        const m = Math.max(...w);
        if (m === -Infinity) continue;
        const e = w.map((s) => Math.exp(s - m));
        const z = e.reduce((p, x) => p + x, 0);
        for (let j = 0; j < Tk; j++) {
          for (let d = 0; d < hs; d++) out[((b * nh + h) * Tq + i) * hs + d]! += (e[j]! / z) * v[((b * nkv + kh) * cap + j) * hs + d]!;
        }
      }
    }
  }
  return out;
}

test('attention forward: causal, bidirectional, key mask, GQA, KV-cache capacity and offset', () => {
  const rng = new Rng(12);
  const cases = [
    { B: 2, nh: 4, nkv: 4, Tq: 5, Tk: 5, cap: 5, hs: 3, causal: true, pos: 0, mask: false },
    { B: 2, nh: 4, nkv: 2, Tq: 5, Tk: 5, cap: 5, hs: 3, causal: false, pos: 0, mask: true },
    { B: 1, nh: 6, nkv: 3, Tq: 1, Tk: 4, cap: 9, hs: 4, causal: true, pos: 3, mask: false }, // decode step over a cache
    { B: 2, nh: 2, nkv: 1, Tq: 3, Tk: 7, cap: 8, hs: 2, causal: true, pos: 4, mask: true }, // chunk over a cache
  ];
  for (const c of cases) {
    const { B, nh, nkv, Tq, Tk, cap, hs } = c;
    const q = randn64(rng, B * nh * Tq * hs), k = randn64(rng, B * nkv * cap * hs), v = randn64(rng, B * nkv * cap * hs);
    // cache slots beyond Tk hold garbage that must never be read
    for (let bh = 0; bh < B * nkv; bh++) {
      for (let t = Tk; t < cap; t++) for (let d = 0; d < hs; d++) k[(bh * cap + t) * hs + d] = v[(bh * cap + t) * hs + d] = NaN;
    }
    const mask = c.mask ? new Float64Array(B * Tk).map(() => (rng.uniform() < 0.6 ? 1 : 0)) : null;
    if (mask) mask.fill(0, 0, Tk); // batch 0 sees no key at all: its output must be zeros
    const out = new Float64Array(B * nh * Tq * hs).fill(NaN), att = new Float64Array(B * nh * Tq * Tk).fill(NaN);
    ref.attention(B, nh, nkv, Tq, Tk, cap, hs, 1 / Math.sqrt(hs), c.causal, c.pos, mask, q, k, v, out, att);
    assertClose(out, naiveAttention(B, nh, nkv, Tq, Tk, cap, hs, c.causal, c.pos, mask, q, k, v), 1e-12, 1e-10, `attention ${JSON.stringify(c)}`);
    for (let r = 0; r < B * nh * Tq; r++) {
      const s = att.subarray(r * Tk, (r + 1) * Tk).reduce((p, x) => p + x, 0);
      const b = Math.floor(r / (nh * Tq));
      assert.ok(Math.abs(s - (mask && b === 0 ? 0 : 1)) < 1e-12, `att row ${r} sums to ${s}`);
    }
  }
});

test('softmax, scale and addBias allow out to alias x', () => {
  const x = new Float64Array([1, 2, 3, -1, 0, 1]);
  ref.softmax(2, 3, x, x);
  assertClose(x, [0.0900305732, 0.2447284711, 0.6652409558, 0.0900305732, 0.2447284711, 0.6652409558], 1e-9, 0, 'softmax in place');
  const y = new Float64Array([1, 2, 3, 4]);
  ref.addBias(2, 2, y, new Float64Array([10, 20]), y);
  ref.scale(4, 2, y, y);
  assert.deepEqual(Array.from(y), [22, 44, 26, 48]);
});

test('layerNorm normalises rows, rmsNorm makes unit RMS, sumAxis sums the middle axis', () => {
  const rng = new Rng(13);
  const rows = 3, C = 10;
  const x = randn64(rng, rows * C, 4), out = new Float64Array(rows * C), mean = new Float64Array(rows), rstd = new Float64Array(rows);
  ref.layerNorm(rows, C, 0, x, new Float64Array(C).fill(1), new Float64Array(C), out, mean, rstd);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * C, (r + 1) * C);
    const m = row.reduce((p, v) => p + v, 0) / C;
    const v2 = row.reduce((p, v) => p + (v - m) ** 2, 0) / C;
    assert.ok(Math.abs(m) < 1e-12 && Math.abs(v2 - 1) < 1e-12, `layerNorm row ${r}: mean ${m} var ${v2}`);
  }
  ref.rmsNorm(rows, C, 0, x, new Float64Array(C).fill(1), out, rstd);
  for (let r = 0; r < rows; r++) {
    const ms = out.subarray(r * C, (r + 1) * C).reduce((p, v) => p + v * v, 0) / C;
    assert.ok(Math.abs(ms - 1) < 1e-12, `rmsNorm row ${r}: mean square ${ms}`);
  }
  const s = new Float64Array(2 * 2);
  ref.sumAxis(2, 3, 2, new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), s);
  assert.deepEqual(Array.from(s), [9, 12, 27, 30]);
  assert.equal(ref.sumSquares(3, new Float32Array([1, 2, 3])), 14);
});

test('transpose12 maps (i0, i1, i2, i3) to (i0, i2, i1, i3); embedding picks rows', () => {
  const [d0, d1, d2, d3] = [2, 3, 4, 2];
  const x = new Float64Array(d0 * d1 * d2 * d3).map((_, i) => i);
  const out = new Float64Array(x.length);
  ref.transpose12(d0, d1, d2, d3, x, out);
  for (let a = 0; a < d0; a++) for (let b = 0; b < d1; b++) for (let c = 0; c < d2; c++) for (let d = 0; d < d3; d++) {
    assert.equal(out[((a * d2 + c) * d1 + b) * d3 + d], x[((a * d1 + b) * d2 + c) * d3 + d]);
  }
  const table = new Float64Array([0, 1, 10, 11, 20, 21]);
  const e = new Float64Array(6);
  ref.embedding(3, 2, new Int32Array([2, 0, 2]), table, e);
  assert.deepEqual(Array.from(e), [20, 21, 0, 1, 20, 21]);
});

test('rope: position 0 is the identity, inverse undoes it, halves vs interleaved layouts agree, known angle', () => {
  const rng = new Rng(14);
  const hs = 8, T = 4;
  const x = randn64(rng, T * hs);
  const y = Float64Array.from(x);
  ref.rope(1, 1, T, hs, 0, 10000, false, false, y);
  assertClose(y.subarray(0, hs), x.subarray(0, hs), 0, 0, 'rope at position 0');
  ref.rope(1, 1, T, hs, 0, 10000, false, true, y);
  assertClose(y, x, 1e-14, 0, 'rope inverse');
  // the interleaved layout is the halves layout with the pairs gathered
  const perm = (v: Float64Array) => {
    const p = new Float64Array(v.length);
    for (let t = 0; t < T; t++) for (let i = 0; i < hs / 2; i++) {
      p[t * hs + 2 * i] = v[t * hs + i]!;
      p[t * hs + 2 * i + 1] = v[t * hs + i + hs / 2]!;
    }
    return p;
  };
  const h = Float64Array.from(x), il = perm(x);
  ref.rope(1, 1, T, hs, 5, 10000, false, false, h);
  ref.rope(1, 1, T, hs, 5, 10000, true, false, il);
  assertClose(il, perm(h), 1e-14, 0, 'interleaved = permuted halves');
  const two = new Float64Array([1, 0]);
  ref.rope(1, 1, 1, 2, 1, 10000, false, false, two); // angle = 1 rad
  assertClose(two, [Math.cos(1), Math.sin(1)], 1e-15, 0, 'rope angle');
});

test('crossEntropy: loss = lse - logit[target], ignored rows give 0 and are not counted', () => {
  const logits = new Float64Array([1, 2, 3, 0, 0, 0, 5, 1, 1]);
  const losses = new Float64Array(3), lse = new Float64Array(3);
  const counted = ref.crossEntropy(3, 3, logits, new Int32Array([2, -1, 0]), -1, losses, lse);
  assert.equal(counted, 2);
  const l0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3;
  const l2 = Math.log(Math.exp(5) + 2 * Math.exp(1)) - 5;
  assertClose(losses, [l0, 0, l2], 1e-12, 0, 'losses');
  const d = new Float64Array(9);
  ref.crossEntropyBackward(3, 3, logits, new Int32Array([2, -1, 0]), -1, lse, 1, d);
  assert.deepEqual(Array.from(d.subarray(3, 6)), [0, 0, 0]);
});

test('dropout keeps element i iff hashUniform(seed, i) >= p, scales by 1/(1-p), is deterministic', () => {
  const n = 1000, p = 0.25;
  const x = new Float32Array(n).fill(2), out = new Float32Array(n), mask = new Float32Array(n);
  ref.dropout(n, p, 77, x, out, mask);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const keep = hashUniform(77, i) >= p;
    assert.equal(mask[i], keep ? Math.fround(1 / (1 - p)) : 0);
    assert.equal(out[i], keep ? Math.fround(2 / (1 - p)) : 0);
    if (keep) kept++;
  }
  assert.ok(kept > 700 && kept < 800, `kept ${kept}`);
  const out2 = new Float32Array(n), mask2 = new Float32Array(n);
  ref.dropout(n, p, 77, x, out2, mask2);
  assert.deepEqual(out2, out);
  ref.dropout(n, p, 78, x, out2, mask2);
  assert.notDeepEqual(out2, out);
  ref.dropout(n, 1, 1, x, out2, mask2);
  assert.ok(out2.every((v) => v === 0));
});

test('adamw: first step moves each weight by ~lr against the gradient sign; decay is decoupled', () => {
  const p = new Float64Array([1, -2, 3]), g = new Float64Array([0.5, -0.001, 0]), m = new Float64Array(3), v = new Float64Array(3);
  ref.adamw(3, p, g, m, v, 0.1, 0.9, 0.999, 1e-8, 0, 1);
  assertClose(p, [0.9, -1.9, 3], 1e-6, 0, 'adamw step 1');
  // second step with weight decay, against the recurrence written out
  const g2 = [0.2, 0.3, -0.4];
  const expected: number[] = [];
  for (let i = 0; i < 3; i++) {
    const mi = 0.9 * m[i]! + 0.1 * g2[i]!, vi = 0.999 * v[i]! + 0.001 * g2[i]! ** 2;
    const mhat = mi / (1 - 0.9 ** 2), vhat = vi / (1 - 0.999 ** 2);
    expected.push(p[i]! - 0.1 * (mhat / (Math.sqrt(vhat) + 1e-8) + 0.01 * p[i]!));
  }
  ref.adamw(3, p, new Float64Array(g2), m, v, 0.1, 0.9, 0.999, 1e-8, 0.01, 2);
  assertClose(p, expected, 1e-12, 0, 'adamw step 2');
});

test('sgd: momentum and Nesterov updates as written out by hand', () => {
  const p = new Float64Array([1]), buf = new Float64Array(1);
  ref.sgd(1, p, new Float64Array([0.5]), buf, 0.1, 0.9, 0, false);
  ref.sgd(1, p, new Float64Array([0.5]), buf, 0.1, 0.9, 0, false);
  assertClose(p, [1 - 0.05 - 0.095], 1e-15, 0, 'sgd momentum'); // buf 0.5 then 0.95
  const q = new Float64Array([1]), qb = new Float64Array(1);
  ref.sgd(1, q, new Float64Array([0.5]), qb, 0.1, 0.9, 0.1, true); // g' = 0.6, buf = 0.6, step = 0.6 + 0.54
  assertClose(q, [1 - 0.1 * 1.14], 1e-15, 0, 'sgd nesterov + decay');
});
