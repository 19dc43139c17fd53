// Every backward kernel of the reference backend against central finite differences,
// computed entirely in float64. Each check: L(x) = <forward(x), R> for a random R; the
// analytic gradient is backward(dout = R) accumulated onto a random starting gradient G0
// (so the "accumulates" contract is checked too), minus G0.
import { test } from 'node:test';
import { ReferenceBackend } from '../../src/backend/reference.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, dot, numericGrad, randInt, randn64, sampleIndices } from './helpers.ts';

const ref = new ReferenceBackend();
const H = 1e-5;
const ATOL = 1e-7;
const RTOL = 1e-6;

/** Runs backward onto G0-prefilled buffers and returns the accumulated part. */
function accumulated(rng: Rng, sizes: number[], run: (grads: Float64Array[]) => void): Float64Array[] {
  const g0 = sizes.map((n) => randn64(rng, n));
  const grads = g0.map((g) => Float64Array.from(g));
  run(grads);
  return grads.map((g, k) => g.map((v, i) => v - g0[k]![i]!));
}

function check(name: string, analytic: Float64Array, f: () => number, x: Float64Array, rng: Rng, maxProbes = 400): void {
  const idx = sampleIndices(rng, x.length, maxProbes);
  const num = numericGrad(f, x, H, idx);
  const a = new Float64Array(analytic.length).fill(NaN);
  for (const i of idx) a[i] = analytic[i]!;
  assertClose(a, num, ATOL, RTOL, name);
}

test('softmaxBackward matches finite differences (float64)', () => {
  const rng = new Rng(1);
  for (const [rows, cols] of [[1, 1], [3, 7], [5, 13]] as const) {
    const x = randn64(rng, rows * cols, 2), R = randn64(rng, rows * cols);
    const y = new Float64Array(rows * cols);
    const L = () => (ref.softmax(rows, cols, x, y), dot(y, R));
    L();
    const [dx] = accumulated(rng, [x.length], ([g]) => ref.softmaxBackward(rows, cols, y, R, g!));
    check(`softmax (${rows},${cols}) dx`, dx!, L, x, rng);
  }
});

test('layerNormBackward matches finite differences for x, w, b (float64)', () => {
  const rng = new Rng(2);
  for (const [rows, C] of [[1, 2], [4, 9], [3, 33]] as const) {
    const x = randn64(rng, rows * C, 1.5), w = randn64(rng, C), b = randn64(rng, C), R = randn64(rng, rows * C);
    const out = new Float64Array(rows * C), mean = new Float64Array(rows), rstd = new Float64Array(rows);
    const L = () => (ref.layerNorm(rows, C, 1e-5, x, w, b, out, mean, rstd), dot(out, R));
    L();
    const [dx, dw, db] = accumulated(rng, [x.length, C, C], ([gx, gw, gb]) =>
      ref.layerNormBackward(rows, C, R, x, w, mean, rstd, gx!, gw!, gb!));
    check(`layerNorm (${rows},${C}) dx`, dx!, L, x, rng);
    check(`layerNorm (${rows},${C}) dw`, dw!, L, w, rng);
    check(`layerNorm (${rows},${C}) db`, db!, L, b, rng);
  }
});

test('rmsNormBackward matches finite differences for x, w (float64)', () => {
  const rng = new Rng(3);
  for (const [rows, C] of [[1, 1], [2, 8], [5, 17]] as const) {
    const x = randn64(rng, rows * C), w = randn64(rng, C), R = randn64(rng, rows * C);
    const out = new Float64Array(rows * C), rstd = new Float64Array(rows);
    const L = () => (ref.rmsNorm(rows, C, 1e-6, x, w, out, rstd), dot(out, R));
    L();
    const [dx, dw] = accumulated(rng, [x.length, C], ([gx, gw]) => ref.rmsNormBackward(rows, C, R, x, w, rstd, gx!, gw!));
    check(`rmsNorm (${rows},${C}) dx`, dx!, L, x, rng);
    check(`rmsNorm (${rows},${C}) dw`, dw!, L, w, rng);
  }
});

test('gelu, silu and swiglu backward match finite differences (float64)', () => {
  const rng = new Rng(4);
  const n = 57;
  const x = randn64(rng, n, 2.5), u = randn64(rng, n), R = randn64(rng, n), out = new Float64Array(n);
  const Lg = () => (ref.gelu(n, x, out), dot(out, R));
  const [dg] = accumulated(rng, [n], ([g]) => ref.geluBackward(n, x, R, g!));
  check('gelu dx', dg!, Lg, x, rng);
  const Ls = () => (ref.silu(n, x, out), dot(out, R));
  const [ds] = accumulated(rng, [n], ([g]) => ref.siluBackward(n, x, R, g!));
  check('silu dx', ds!, Ls, x, rng);
  const Lw = () => (ref.swiglu(n, x, u, out), dot(out, R));
  const [dgate, dup] = accumulated(rng, [n, n], ([g1, g2]) => ref.swigluBackward(n, x, u, R, g1!, g2!));
  check('swiglu dgate', dgate!, Lw, x, rng);
  check('swiglu dup', dup!, Lw, u, rng);
});

test('attentionBackward matches finite differences: causal, bidirectional, mask, GQA, offset (float64)', () => {
  const rng = new Rng(5);
  const cases = [
    { B: 1, nh: 1, nkv: 1, Tq: 1, Tk: 1, hs: 1, causal: true, pos: 0, mask: false },
    { B: 2, nh: 3, nkv: 3, Tq: 5, Tk: 5, hs: 4, causal: true, pos: 0, mask: false },
    { B: 2, nh: 2, nkv: 2, Tq: 4, Tk: 4, hs: 3, causal: false, pos: 0, mask: true },
    { B: 1, nh: 4, nkv: 2, Tq: 3, Tk: 3, hs: 5, causal: true, pos: 0, mask: true },
    { B: 2, nh: 6, nkv: 1, Tq: 2, Tk: 5, hs: 2, causal: true, pos: 3, mask: false },
  ];
  for (const c of cases) {
    const { B, nh, nkv, Tq, Tk, hs } = c;
    const q = randn64(rng, B * nh * Tq * hs), k = randn64(rng, B * nkv * Tk * hs), v = randn64(rng, B * nkv * Tk * hs);
    const R = randn64(rng, B * nh * Tq * hs);
    let mask: Float64Array | null = null;
    if (c.mask) {
      mask = new Float64Array(B * Tk).map(() => (rng.uniform() < 0.7 ? 1 : 0));
      mask[0] = 0; // batch 0 hides key 0, so in the causal case query 0 sees no key
    }
    const scale = 1 / Math.sqrt(hs);
    const out = new Float64Array(R.length), att = new Float64Array(B * nh * Tq * Tk);
    const L = () => (ref.attention(B, nh, nkv, Tq, Tk, Tk, hs, scale, c.causal, c.pos, mask, q, k, v, out, att), dot(out, R));
    L();
    const [dq, dk, dv] = accumulated(rng, [q.length, k.length, v.length], ([gq, gk, gv]) =>
      ref.attentionBackward(B, nh, nkv, Tq, Tk, hs, scale, q, k, v, att, R, gq!, gk!, gv!));
    const name = `attention ${JSON.stringify(c)}`;
    check(`${name} dq`, dq!, L, q, rng);
    check(`${name} dk`, dk!, L, k, rng);
    check(`${name} dv`, dv!, L, v, rng);
  }
});

test('attentionQkvBackward matches finite differences: causal, bidirectional with a mask (float64)', () => {
  const rng = new Rng(15);
  const cases = [
    { B: 1, T: 1, nh: 1, hs: 1, causal: true, mask: false },
    { B: 2, T: 4, nh: 3, hs: 2, causal: true, mask: false },
    { B: 2, T: 3, nh: 2, hs: 3, causal: false, mask: true },
  ];
  for (const c of cases) {
    const { B, T, nh, hs } = c;
    const C = nh * hs;
    const qkv = randn64(rng, B * T * 3 * C), R = randn64(rng, B * T * C);
    const mask = c.mask ? new Float64Array(B * T).map((_, i) => (i % 3 === 1 ? 0 : 1)) : null;
    const scale = 1 / Math.sqrt(hs);
    const out = new Float64Array(R.length), att = new Float64Array(B * nh * T * T);
    const L = () => (ref.attentionQkv(B, T, nh, hs, scale, c.causal, mask, qkv, out, att), dot(out, R));
    L();
    const [dqkv] = accumulated(rng, [qkv.length], ([g]) => ref.attentionQkvBackward(B, T, nh, hs, scale, qkv, att, R, g!));
    check(`attentionQkv ${JSON.stringify(c)} dqkv`, dqkv!, L, qkv, rng);
  }
});

test('rope backward (inverse rotation) matches finite differences, both layouts (float64)', () => {
  const rng = new Rng(6);
  for (const interleaved of [false, true]) {
    const B = 2, Hh = 3, T = 5, hs = 6, pos = 4;
    const n = B * Hh * T * hs;
    const x = randn64(rng, n), R = randn64(rng, n), y = new Float64Array(n);
    const L = () => {
      y.set(x);
      ref.rope(B, Hh, T, hs, pos, 500, interleaved, false, y);
      return dot(y, R);
    };
    const dx = Float64Array.from(R);
    ref.rope(B, Hh, T, hs, pos, 500, interleaved, true, dx);
    check(`rope interleaved=${interleaved} dx`, dx, L, x, rng);
  }
});

test('embeddingBackward scatter-adds repeated ids like finite differences (float64)', () => {
  const rng = new Rng(7);
  const V = 6, C = 5, n = 11;
  const ids = new Int32Array(n).map(() => rng.int(V));
  ids[0] = ids[1] = ids[2] = 3; // repeated id
  const table = randn64(rng, V * C), R = randn64(rng, n * C), out = new Float64Array(n * C);
  const L = () => (ref.embedding(n, C, ids, table, out), dot(out, R));
  const [dt] = accumulated(rng, [V * C], ([g]) => ref.embeddingBackward(n, C, ids, R, g!));
  check('embedding dtable', dt!, L, table, rng);
});

test('crossEntropyBackward matches finite differences, ignored rows included (float64)', () => {
  const rng = new Rng(8);
  for (const [N, V] of [[1, 2], [6, 11], [9, 31]] as const) {
    const logits = randn64(rng, N * V, 3);
    const targets = new Int32Array(N).map(() => rng.int(V));
    if (N > 1) targets[1] = -100;
    const losses = new Float64Array(N), lse = new Float64Array(N);
    const dloss = 0.37;
    const L = () => {
      ref.crossEntropy(N, V, logits, targets, -100, losses, lse);
      return dloss * losses.reduce((p, v) => p + v, 0);
    };
    L();
    const [dl] = accumulated(rng, [N * V], ([g]) => ref.crossEntropyBackward(N, V, logits, targets, -100, lse, dloss, g!));
    check(`crossEntropy (${N},${V}) dlogits`, dl!, L, logits, rng);
  }
});

test('sumAxis, addBias, mul, transpose12 and dropout backward match finite differences (float64)', () => {
  const rng = new Rng(9);
  // sumAxis (mean scaling s = 1/axis)
  const [o, a, inn] = [3, 4, 5];
  const x = randn64(rng, o * a * inn), Rs = randn64(rng, o * inn), so = new Float64Array(o * inn);
  const Ls = () => (ref.sumAxis(o, a, inn, x, so), dot(so, Rs) / a);
  const [dxs] = accumulated(rng, [x.length], ([g]) => ref.sumAxisBackward(o, a, inn, 1 / a, Rs, g!));
  check('mean over axis dx', dxs!, Ls, x, rng);
  // addBias
  const rows = 7, cols = 3;
  const xb = randn64(rng, rows * cols), bias = randn64(rng, cols), Rb = randn64(rng, rows * cols), ob = new Float64Array(rows * cols);
  const Lb = () => (ref.addBias(rows, cols, xb, bias, ob), dot(ob, Rb));
  const [db] = accumulated(rng, [cols], ([g]) => ref.addBiasBackward(rows, cols, Rb, g!));
  check('addBias dbias', db!, Lb, bias, rng);
  // mul (backward = mulAcc)
  const m1 = randn64(rng, 13), m2 = randn64(rng, 13), Rm = randn64(rng, 13), om = new Float64Array(13);
  const Lm = () => (ref.mul(13, m1, m2, om), dot(om, Rm));
  const [dm] = accumulated(rng, [13], ([g]) => ref.mulAcc(13, Rm, m2, g!));
  check('mul da', dm!, Lm, m1, rng);
  // transpose12 is its own backward with d1, d2 exchanged
  const [d0, d1, d2, d3] = [2, 3, 4, 5];
  const xt = randn64(rng, d0 * d1 * d2 * d3), Rt = randn64(rng, xt.length), ot = new Float64Array(xt.length);
  const Lt = () => (ref.transpose12(d0, d1, d2, d3, xt, ot), dot(ot, Rt));
  const dt = new Float64Array(xt.length);
  ref.transpose12(d0, d2, d1, d3, Rt, dt);
  check('transpose12 dx', dt, Lt, xt, rng);
  // dropout: linear in x for a fixed seed; backward = mulAcc with the mask
  const n = 40, p = 0.3;
  const xd = randn64(rng, n), Rd = randn64(rng, n), od = new Float64Array(n), mask = new Float64Array(n);
  const Ld = () => (ref.dropout(n, p, 1234, xd, od, mask), dot(od, Rd));
  Ld();
  const [dd] = accumulated(rng, [n], ([g]) => ref.mulAcc(n, Rd, mask, g!));
  check('dropout dx', dd!, Ld, xd, rng);
});

test('odd random shapes: the softmax(layerNorm(x)) chain backward matches finite differences (float64)', () => {
  const rng = new Rng(10);
  for (let trial = 0; trial < 3; trial++) {
    const rows = randInt(rng, 1, 6), C = randInt(rng, 1, 23);
    const x = randn64(rng, rows * C), w = randn64(rng, C), b = randn64(rng, C), R = randn64(rng, rows * C);
    const out = new Float64Array(rows * C), mean = new Float64Array(rows), rstd = new Float64Array(rows);
    const L = () => (ref.layerNorm(rows, C, 1e-5, x, w, b, out, mean, rstd), ref.softmax(rows, C, out, out), dot(out, R));
    L();
    // chain: softmax backward into a buffer, then layerNorm backward from it
    const y = Float64Array.from(out);
    ref.layerNorm(rows, C, 1e-5, x, w, b, out, mean, rstd);
    const dmid = new Float64Array(rows * C);
    ref.softmaxBackward(rows, C, y, R, dmid);
    const [dx] = accumulated(rng, [x.length, C, C], ([gx, gw, gb]) =>
      ref.layerNormBackward(rows, C, dmid, x, w, mean, rstd, gx!, gw!, gb!));
    check(`softmax(layerNorm) (${rows},${C}) dx`, dx!, L, x, rng);
  }
});
