/**
 * The bf16 / fp16 / Q8_0 formats (src/backend/lowp-format.ts) on values worked out by
 * hand, the reference bf16/int8 kernels on products checked against plain fp32 ones, and
 * withPrecision (mixed precision as a backend).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  Q8_0_BYTES, bf16Round, bf16ToFloat, f16Round, f16ToFloat, q8_0Bytes, quantizeQ8_0Block,
} from '../../src/backend/lowp-format.ts';
import { parsePrecision, withPrecision } from '../../src/backend/precision.ts';
import { ReferenceBackend } from '../../src/backend/reference.ts';
import { Rng } from '../../src/util/rng.ts';

const bits = (u: number): number => new Float32Array(new Uint32Array([u]).buffer)[0]!;

describe('low-precision formats', () => {
  it('rounds fp32 to bf16 to nearest even, NaN to 0x7FC0 (PyTorch)', () => {
    assert.equal(bf16Round(1), 0x3f80);
    assert.equal(bf16Round(-2), 0xc000);
    assert.equal(bf16Round(-0), 0x8000);
    assert.equal(bf16Round(bits(0x3f808000)), 0x3f80); // tie, even stays
    assert.equal(bf16Round(bits(0x3f818000)), 0x3f82); // tie, odd rounds up
    assert.equal(bf16Round(bits(0x3f808001)), 0x3f81); // above the tie
    assert.equal(bf16Round(bits(0x7f7fffff)), 0x7f80); // largest float rounds to infinity
    assert.equal(bf16Round(Infinity), 0x7f80);
    assert.equal(bf16Round(NaN), 0x7fc0);
    assert.equal(bf16Round(bits(0xffc12345)), 0x7fc0);
    assert.equal(bf16Round(bits(0x00018000)), 0x0002); // subnormals are rounded, not flushed
    assert.equal(bf16ToFloat(0x3fc0), 1.5);
  });

  it('rounds to fp16 to nearest even with subnormals and overflow (numpy astype)', () => {
    assert.equal(f16Round(1), 0x3c00);
    assert.equal(f16Round(0.1), 0x2e66);
    assert.equal(f16Round(65504), 0x7bff);
    assert.equal(f16Round(65519.99), 0x7bff);
    assert.equal(f16Round(65520), 0x7c00); // the tie above the largest half goes to infinity
    assert.equal(f16Round(2 ** -24), 0x0001);
    assert.equal(f16Round(2 ** -25), 0x0000); // tie between 0 and the smallest subnormal: even
    assert.equal(f16Round(3 * 2 ** -25), 0x0002); // tie between 1 and 2 ulps: even
    assert.equal(f16Round(-(2 ** -14)), 0x8400);
    assert.equal(f16Round(NaN) & 0x7e00, 0x7e00);
    // every finite half round-trips, and each midpoint between neighbours goes to the even one
    for (let h = 0; h < 0x7c00; h++) {
      assert.equal(f16Round(f16ToFloat(h)), h);
      assert.equal(f16Round(-f16ToFloat(h)), h | 0x8000);
      if (h < 0x7bff) {
        const mid = (f16ToFloat(h) + f16ToFloat(h + 1)) / 2; // exact in fp32
        assert.equal(f16Round(mid), h % 2 === 0 ? h : h + 1, `midpoint after 0x${h.toString(16)}`);
      }
    }
  });

  it('quantises a Q8_0 block as llama.cpp does: d = amax / 127, q rounded half away from zero', () => {
    // amax 127 -> d = 1: q = round(x), halves away from zero (2.5 -> 3, -2.5 -> -3)
    const x = new Float32Array(32);
    for (let i = 0; i < 32; i++) x[i] = i % 2 ? -(i + 0.5) : i + 0.5;
    x[31] = 127;
    const q = new Uint8Array(Q8_0_BYTES);
    quantizeQ8_0Block(x, 0, q, 0);
    assert.equal(q[0]! | (q[1]! << 8), 0x3c00); // d = 1 in fp16
    const s8 = Array.from(q.subarray(2), (v) => (v > 127 ? v - 256 : v));
    assert.deepEqual(s8.slice(0, 6), [1, -2, 3, -4, 5, -6]);
    assert.equal(s8[31], 127);
    // an all-zero block: d = 0, q = 0
    quantizeQ8_0Block(new Float32Array(32), 0, q, 0);
    assert.deepEqual(Array.from(q), new Array(34).fill(0));
    // d rounded to fp16: amax 1 -> d = 1/127 -> 0x2008
    x.fill(0.25);
    x[3] = -1;
    quantizeQ8_0Block(x, 0, q, 0);
    assert.equal(q[0]! | (q[1]! << 8), f16Round(Math.fround(1 / 127)));
    assert.equal(q[2 + 3], 256 - 127);
    assert.equal(q[2], 32); // 0.25 * 127 = 31.75 -> 32
    assert.equal(q8_0Bytes(64), 68);
  });

  it('reference Q8_0 and bf16 products stay close to the fp32 product', () => {
    const ref = new ReferenceBackend();
    const M = 3, N = 20, K = 96;
    const rng = new Rng(7);
    const x = new Float32Array(M * K).map(() => rng.normal());
    const w = new Float32Array(N * K).map(() => rng.normal() * 0.1);
    const exact = new Float32Array(M * N);
    ref.gemm(false, true, M, N, K, 1, x, K, 0, w, K, 0, 0, exact, N, 0, 1);
    const wq = new Uint8Array(q8_0Bytes(N * K)), wb = new Uint16Array(N * K);
    ref.quantizeQ8_0(N * K, w, wq);
    ref.toBf16(N * K, w, wb);
    const yq = new Float32Array(M * N), yb = new Float32Array(M * N), yg = new Float32Array(M * N);
    ref.gemvQ8_0(M, N, K, x, wq, yq);
    ref.gemvBf16(M, N, K, x, wb, yb);
    ref.gemmBf16(false, true, M, N, K, 1, x, K, 0, wb, K, 0, 0, yg, N, 0, 1);
    const norm = Math.sqrt(exact.reduce((s, v) => s + v * v, 0));
    const err = (y: Float32Array): number => Math.sqrt(y.reduce((s, v, i) => s + (v - exact[i]!) ** 2, 0)) / norm;
    assert.ok(err(yq) < 0.02, `Q8_0 relative error ${err(yq)}`);
    assert.ok(err(yq) > 1e-5, 'Q8_0 is not the fp32 product');
    assert.ok(err(yb) < 0.005, `bf16 weights relative error ${err(yb)}`);
    assert.ok(err(yg) < 0.01 && err(yg) > err(yb) / 10, `bf16 GEMM relative error ${err(yg)}`);
  });
});

describe('withPrecision', () => {
  it('bf16 swaps gemm for gemmBf16 and keeps every other kernel; fp32 is the backend itself', () => {
    const ref = new ReferenceBackend();
    assert.equal(withPrecision(ref, 'fp32'), ref);
    const mixed = withPrecision(ref, 'bf16');
    assert.equal(mixed.name, 'reference+bf16');
    const rng = new Rng(3);
    const M = 5, N = 7, K = 40;
    const a = new Float32Array(M * K).map(() => rng.normal()), b = new Float32Array(K * N).map(() => rng.normal());
    const got = new Float32Array(M * N), want = new Float32Array(M * N), exact = new Float32Array(M * N);
    mixed.gemm(false, false, M, N, K, 1, a, K, 0, b, N, 0, 0, got, N, 0, 1);
    ref.gemmBf16(false, false, M, N, K, 1, a, K, 0, b, N, 0, 0, want, N, 0, 1);
    ref.gemm(false, false, M, N, K, 1, a, K, 0, b, N, 0, 0, exact, N, 0, 1);
    assert.deepEqual(got, want);
    assert.notDeepEqual(got, exact); // bf16 products, not fp32 ones
    const x = new Float32Array([1, 2, 3]), out = new Float32Array(3);
    mixed.softmax(1, 3, x, out);
    const outRef = new Float32Array(3);
    ref.softmax(1, 3, x, outRef);
    assert.deepEqual(out, outRef);
  });

  it('rejects an unknown precision with E_PRECISION naming the field', () => {
    assert.equal(parsePrecision('bf16'), 'bf16');
    assert.throws(() => parsePrecision('fp16', '--precision'),
      (e: Error & { code?: string }) => e.code === 'E_PRECISION' && /--precision must be one of fp32, bf16/.test(e.message));
  });
});
