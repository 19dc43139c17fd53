import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Attention, Dropout, LayerNorm, Linear, MLP, RMSNorm } from '../../src/nn/index.ts';
import { Tensor, noGrad } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** y = x W^T (+ b) in float64; x (rows, in), W (out, in). */
function affine(x: ArrayLike<number>, rows: number, w: Float32Array, b: Float32Array | null, inF: number, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
      y[r * outF + o] = s;
    }
  }
  return y;
}

const randTensor = (shape: number[], seed: number) => Tensor.randn(shape, new Rng(seed), 1);

test('Linear: x W^T + b with W (out, in)', () => {
  const lin = new Linear(3, 2, { rng: new Rng(1) });
  lin.weight.data.set([1, 2, 3, 4, 5, 6]);
  lin.bias!.data.set([0.5, -1]);
  const y = noGrad(() => lin.forward(Tensor.fromArray([1, 0, -1, 2, 1, 0], [2, 3])));
  assert.deepEqual(y.shape, [2, 2]);
  close(y.data, [1 - 3 + 0.5, 4 - 6 - 1, 2 + 2 + 0.5, 8 + 5 - 1], 1e-6, 'y');
  assert.equal(new Linear(3, 2, { bias: false }).bias, null);
});

test('LayerNorm and RMSNorm normalise the last dim', () => {
  const x = randTensor([4, 16], 2);
  const ln = noGrad(() => new LayerNorm(16).forward(x)).data;
  const rms = noGrad(() => new RMSNorm(16).forward(x)).data;
  for (let r = 0; r < 4; r++) {
    const row = ln.subarray(r * 16, r * 16 + 16);
    const mean = row.reduce((s, v) => s + v, 0) / 16;
    const v = row.reduce((s, u) => s + (u - mean) ** 2, 0) / 16;
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(v - 1) < 1e-3, `LayerNorm row ${r}: mean ${mean} var ${v}`);
    const ms = rms.subarray(r * 16, r * 16 + 16).reduce((s, u) => s + u * u, 0) / 16;
    assert.ok(Math.abs(ms - 1) < 1e-3, `RMSNorm row ${r}: mean square ${ms}`);
  }
});

test('MLP swiglu = down(silu(gate x) * up x); gelu = c_proj(gelu(c_fc x))', () => {
  const C = 6, H = 10, rows = 3;
  const x = randTensor([rows, C], 3);
  const sw = new MLP(C, H, { kind: 'swiglu', rng: new Rng(4) });
  const sd = sw.stateDict();
  const g = affine(x.data, rows, sd.get('gate_proj.weight')!.data, null, C, H);
  const u = affine(x.data, rows, sd.get('up_proj.weight')!.data, null, C, H);
  const h = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]!);
  const want = affine(h, rows, sd.get('down_proj.weight')!.data, null, H, C);
  close(noGrad(() => sw.forward(x)).data, want, 1e-5, 'swiglu');

  const ge = new MLP(C, H, { kind: 'gelu', rng: new Rng(5) });
  const gd = ge.stateDict();
  gd.get('c_fc.bias')!.data.fill(0.1);
  const f = affine(x.data, rows, gd.get('c_fc.weight')!.data, gd.get('c_fc.bias')!.data, C, H)
    .map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
  const want2 = affine(f, rows, gd.get('c_proj.weight')!.data, gd.get('c_proj.bias')!.data, H, C);
  close(noGrad(() => ge.forward(x)).data, want2, 1e-5, 'gelu');
});

/** Naive float64 multi-head attention over x (B, T, C), with GQA and optional HF-style RoPE. */
function naiveAttention(x: Float32Array, B: number, T: number, C: number, nh: number, nkv: number,
  w: { q: Float32Array; k: Float32Array; v: Float32Array; o: Float32Array }, causal: boolean, theta: number | null,
  keyMask: Float32Array | null = null): Float64Array {
  const hs = C / nh, kvC = nkv * hs;
  const q = affine(x, B * T, w.q, null, C, C), k = affine(x, B * T, w.k, null, C, kvC), v = affine(x, B * T, w.v, null, C, kvC);
  const rot = (buf: Float64Array, width: number) => {
    if (theta === null) return;
    for (let bt = 0; bt < B * T; bt++) {
      const t = bt % T;
      for (let h = 0; h < width / hs; h++) {
        const o = bt * width + h * hs;
        for (let i = 0; i < hs / 2; i++) {
          const a = t * theta ** (-(2 * i) / hs);
          const x1 = buf[o + i]!, x2 = buf[o + i + hs / 2]!;
          buf[o + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
          buf[o + i + hs / 2] = x2 * Math.cos(a) + x1 * Math.sin(a);
        }
      }
    }
  };
  rot(q, C);
  rot(k, kvC);
  const y = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const kh = Math.floor(h / (nh / nkv));
      for (let i = 0; i < T; i++) {
        const scores: number[] = [];
        for (let j = 0; j < T; j++) {
          if ((causal && j > i) || (keyMask && keyMask[b * T + j] === 0)) { scores.push(-Infinity); continue; }
          let s = 0;
          for (let d = 0; d < hs; d++) s += q[(b * T + i) * C + h * hs + d]! * k[(b * T + j) * kvC + kh * hs + d]!;
          scores.push(s / Math.sqrt(hs));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((p, c) => p + c, 0);
        for (let d = 0; d < hs; d++) {
          let acc = 0;
          for (let j = 0; j < T; j++) acc += (e[j]! / z) * v[(b * T + j) * kvC + kh * hs + d]!;
          y[(b * T + i) * C + h * hs + d] = acc;
        }
      }
    }
  }
  return affine(y, B * T, w.o, null, C, C);
}

for (const variant of [
  { name: 'fused MHA, causal', fused: true, nh: 4, nkv: 4, causal: true, rope: null },
  { name: 'separate GQA + RoPE, causal', fused: false, nh: 4, nkv: 2, causal: true, rope: 10000 },
  { name: 'bidirectional GQA', fused: false, nh: 4, nkv: 1, causal: false, rope: null },
  { name: 'bidirectional with a key padding mask', fused: true, nh: 2, nkv: 2, causal: false, rope: null, mask: true },
] as const) {
  test(`Attention matches a naive float64 implementation: ${variant.name}`, () => {
    const B = 2, T = 5, C = 16;
    const attn = new Attention({
      dim: C, nHead: variant.nh, nKvHead: variant.nkv, causal: variant.causal, bias: false, fused: variant.fused,
      rope: variant.rope === null ? null : { theta: variant.rope, interleaved: false }, rng: new Rng(6),
    });
    const sd = attn.stateDict();
    const kvC = (variant.nkv * C) / variant.nh;
    let w;
    if (variant.fused) {
      const qkv = sd.get('c_attn.weight')!.data; // (C + 2 kvC, C): rows q, then k, then v
      w = { q: qkv.subarray(0, C * C), k: qkv.subarray(C * C, (C + kvC) * C), v: qkv.subarray((C + kvC) * C), o: sd.get('c_proj.weight')!.data };
    } else {
      w = { q: sd.get('q_proj.weight')!.data, k: sd.get('k_proj.weight')!.data, v: sd.get('v_proj.weight')!.data, o: sd.get('o_proj.weight')!.data };
    }
    const x = randTensor([B, T, C], 7);
    // batch 0 sees every key; batch 1 has its last two positions padded
    const keyMask = 'mask' in variant ? Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]) : null;
    const got = noGrad(() => attn.forward(x, { keyMask }));
    assert.deepEqual(got.shape, [B, T, C]);
    close(got.data, naiveAttention(x.data, B, T, C, variant.nh, variant.nkv, w, variant.causal, variant.rope, keyMask), 2e-5, 'attention');
  });
}

test('Dropout: train mode zeroes about p and scales the rest; eval mode is the identity; seeded', () => {
  const x = Tensor.ones([4000]);
  const d = new Dropout(0.25, { seed: 9 });
  const y = noGrad(() => d.forward(x)).data;
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / 4000 - 0.25) < 0.03, `dropped ${zeros}`);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
  const y2 = noGrad(() => d.forward(x)).data;
  assert.notDeepEqual(Array.from(y2), Array.from(y), 'a second call draws a new mask');
  assert.deepEqual(Array.from(noGrad(() => new Dropout(0.25, { seed: 9 }).forward(x)).data), Array.from(y), 'same seed, same mask');
  d.eval();
  assert.equal(d.forward(x), x);
});
