/**
 * The native bf16 and int8 kernels against the reference (src/backend/reference-lowp.ts):
 * every case on every variant this CPU runs ('amx', 'avx512bf16', 'scalar'), at 1 and 2
 * threads (identical bits), odd sizes included. Formats must match bit for bit; products
 * within a tolerance of the float64 sums over the same bf16 / int8 values.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { Backend } from '../../src/backend/backend.ts';
import { q8_0Bytes } from '../../src/backend/lowp-format.ts';
import { withPrecision } from '../../src/backend/precision.ts';
import { defaultNativePath, loadNativeBackend, type NativeBackend } from '../../src/backend/native.ts';
import { ReferenceBackend } from '../../src/backend/reference.ts';
import { Rng } from '../../src/util/rng.ts';

type Out = Float32Array | Uint16Array | Uint8Array;
interface LowpCase {
  name: string;
  /** 0: bit-identical; else |native - ref| <= tol * (1 + |ref|) */
  tol: number;
  run(b: Backend): Record<string, Out>;
}

const loaded = loadNativeBackend();
const ref = new ReferenceBackend();
const cases: LowpCase[] = [];

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return new Float32Array(n).map(() => rng.normal() * scale);
}

function bf16Of(x: Float32Array): Uint16Array {
  const out = new Uint16Array(x.length);
  ref.toBf16(x.length, x, out);
  return out;
}

// ------------------------------------------------------------------ formats
const seedBf16 = 501, seedQ8 = 502;
cases.push({
  name: 'toBf16 / fromBf16', tol: 0, run(b) {
    const rng = new Rng(seedBf16);
    const x = randn(rng, 1037, 3);
    const special = [0, -0, 1, NaN, Infinity, -Infinity, 3.4e38, 1e-40, -1e-42, 1.00390625, 1.01171875];
    x.set(special);
    const u = new Uint16Array(x.length), back = new Float32Array(x.length);
    b.toBf16(x.length, x, u);
    b.fromBf16(u.length, u, back);
    return { u, back };
  },
});

cases.push({
  name: 'quantizeQ8_0 / dequantizeQ8_0 (ties, zero blocks, tiny scales)', tol: 0, run(b) {
    const rng = new Rng(seedQ8);
    const n = 32 * 41;
    const x = randn(rng, n);
    for (let i = 0; i < 32; i++) x[i] = (i % 2 ? -1 : 1) * (i + 0.5); // ties at d = 1
    x[31] = 127;
    x.fill(0, 32, 64); // d = 0
    for (let i = 64; i < 96; i++) x[i] = (i - 80) * 1e-7; // subnormal fp16 scale
    const q = new Uint8Array(q8_0Bytes(n)), back = new Float32Array(n);
    b.quantizeQ8_0(n, x, q);
    b.dequantizeQ8_0(n, q, back);
    return { q, back };
  },
});

// ------------------------------------------------------------------ bf16 GEMM
interface Shape { M: number; N: number; K: number; batch?: number; alpha?: number; beta?: number; pad?: number }
const gemmShapes: Shape[] = [
  { M: 1, N: 1, K: 1 }, { M: 3, N: 5, K: 7 }, { M: 17, N: 33, K: 65 }, { M: 33, N: 17, K: 31, beta: 1 },
  { M: 64, N: 64, K: 64, alpha: 0.5, beta: 0.25, pad: 3 }, { M: 31, N: 47, K: 33, batch: 3, beta: 1 },
  { M: 130, N: 200, K: 96 }, { M: 70, N: 96, K: 50, beta: 1, pad: 5 },
  { M: 2, N: 300, K: 300 }, { M: 257, N: 40, K: 40, pad: 1 }, { M: 5, N: 6, K: 0, beta: 0.5 },
  { M: 40, N: 33, K: 4200, beta: 1 }, { M: 33, N: 64, K: 8300 }, // K in several chunks of 4096 (AMX)
];
const operands = [['bf16', 'bf16'], ['f32', 'f32'], ['bf16', 'f32']] as const;
for (const s of gemmShapes) {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const { M, N, K } = s, batch = s.batch ?? 1, alpha = s.alpha ?? 1, beta = s.beta ?? 0, pad = s.pad ?? 0;
      const [kindA, kindB] = operands[(M + N + (transA ? 1 : 0) + (transB ? 2 : 0)) % operands.length]!;
      cases.push({
        name: `gemmBf16 ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} M${M} N${N} K${K} batch${batch} ${kindA}x${kindB}`,
        tol: K > 1000 ? 3e-4 : 2e-5, // fp32 sums of thousands of terms drift from float64 ones
        run(b) {
          const rng = new Rng(500 + M * 7 + N * 13 + K);
          const lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad;
          const sizeA = (transA ? K : M) * lda, sizeB = (transB ? N : K) * ldb, sizeC = M * ldc;
          const a32 = randn(rng, sizeA * batch), b32 = randn(rng, sizeB * batch);
          const a = kindA === 'bf16' ? bf16Of(a32) : a32, bb = kindB === 'bf16' ? bf16Of(b32) : b32;
          const c = randn(rng, sizeC * batch);
          b.gemmBf16(transA, transB, M, N, K, alpha, a, lda, sizeA, bb, ldb, sizeB, beta, c, ldc, sizeC, batch);
          return { c };
        },
      });
    }
  }
}

// ------------------------------------------------------------------ decoding products
for (const [M, N, K] of [[1, 5, 32], [3, 100, 768], [8, 40, 96], [1, 1000, 320], [9, 70, 96], [1, 33, 32], [4, 129, 224]] as const) {
  cases.push({
    name: `gemvQ8_0 M${M} N${N} K${K}`, tol: 1e-5, run(b) {
      const rng = new Rng(600 + M + N + K);
      const w = new Uint8Array(q8_0Bytes(N * K));
      ref.quantizeQ8_0(N * K, randn(rng, N * K, 0.05), w);
      const x = randn(rng, M * K), y = new Float32Array(M * N);
      b.gemvQ8_0(M, N, K, x, w, y);
      return { y };
    },
  });
}
// Unit weights (row i: scale 1, quant 1 at column i) make y = x's quantisation, d_x q_x, with one
// nonzero product per row: exact in any sum order, so every variant must give the reference's
// bits. x holds ties (k + 1/2 after scaling: roundf goes away from zero), a zero block and
// a block whose fp16 scale is subnormal.
cases.push({
  name: 'gemvQ8_0 reads x quantised exactly as quantizeQ8_0 (unit weights, ties)', tol: 0, run(b) {
    const M = 2, K = 96, N = K, rng = new Rng(611);
    const w = new Uint8Array(q8_0Bytes(N * K));
    for (let i = 0; i < N; i++) {
      const o = (i * (K / 32) + Math.floor(i / 32)) * 34;
      w[o + 1] = 0x3c; // fp16 1.0
      w[o + 2 + (i % 32)] = 1;
    }
    const x = new Float32Array(M * K);
    for (let i = 0; i < 32; i++) {
      x[i] = i === 5 ? 127 : (i % 2 ? -1 : 1) * (Math.floor(rng.uniform() * 126) + 0.5); // d = 1
      x[32 + i] = i === 9 ? -63.5 : ((i % 3) - 1) * (Math.floor(rng.uniform() * 62) + 0.5) * 0.5; // d = 0.5
      x[64 + i] = rng.normal();
      x[K + 32 + i] = rng.normal() * 1e-4; // d below fp16's smallest normal
      x[K + 64 + i] = (i % 2 ? -2.5 : 3.5) * (i === 0 ? 127 / 3.5 : 1); // d = 1
    }
    const y = new Float32Array(M * N);
    b.gemvQ8_0(M, N, K, x, w, y);
    return { y };
  },
});
for (const [M, N, K] of [[1, 5, 32], [3, 100, 768], [8, 40, 97], [1, 1000, 300], [5, 65, 31], [2, 7, 1]] as const) {
  cases.push({
    name: `gemvBf16 M${M} N${N} K${K}`, tol: 1e-5, run(b) {
      const rng = new Rng(600 + M + N + K);
      const w = bf16Of(randn(rng, N * K, 0.05)), x = randn(rng, M * K), y = new Float32Array(M * N);
      b.gemvBf16(M, N, K, x, w, y);
      return { y };
    },
  });
}

function compare(c: LowpCase, got: Record<string, Out>, want: Record<string, Out>, label: string): void {
  for (const key of Object.keys(want)) {
    const g = got[key]!, w = want[key]!;
    assert.equal(g.length, w.length, `${label} ${c.name}: ${key} length`);
    for (let i = 0; i < w.length; i++) {
      const a = g[i]!, b = w[i]!;
      const ok = c.tol === 0 ? Object.is(a, b) : Math.abs(a - b) <= c.tol * (1 + Math.abs(b));
      if (!ok) assert.fail(`${label} ${c.name}: ${key}[${i}] = ${a}, reference ${b}`);
    }
  }
}

function identical(c: LowpCase, x: Record<string, Out>, y: Record<string, Out>, label: string): void {
  for (const key of Object.keys(x)) {
    const a = x[key]!, b = y[key]!;
    assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
      `${label} ${c.name}: ${key} differs between 1 and 2 threads`);
  }
}

function nativeOrFail(): NativeBackend {
  assert.ok(loaded.backend, `native addon not loaded: ${loaded.reason}`);
  return loaded.backend;
}

describe('native bf16 and int8 kernels', () => {
  const nb0 = loaded.backend;
  const isas = nb0 ? nb0.lowpInfo().isas : ['scalar'];
  const best = nb0 ? nb0.lowpInfo().isa : 'scalar';
  const threads0 = nb0 ? nb0.getThreads() : 1;
  after(() => {
    nb0?.setLowpIsa(best);
    nb0?.setThreads(threads0);
  });
  const expected = new Map<string, Record<string, Out>>();

  it('lists the variants this CPU runs, best first, scalar always', () => {
    const nb = nativeOrFail();
    const info = nb.lowpInfo();
    assert.equal(info.isas.at(-1), 'scalar');
    assert.equal(info.isa, info.isas[0]);
    assert.equal(nb.setLowpIsa('no-such-isa'), false);
  });

  for (const isa of isas) {
    it(`matches the reference (${isa}), identical at 1 and 2 threads`, () => {
      const nb = nativeOrFail();
      assert.ok(nb.setLowpIsa(isa));
      assert.equal(nb.lowpInfo().isa, isa);
      for (const c of cases) {
        let want = expected.get(c.name);
        if (!want) expected.set(c.name, (want = c.run(ref)));
        nb.setThreads(1);
        const one = c.run(nb);
        compare(c, one, want, isa);
        nb.setThreads(2);
        identical(c, one, c.run(nb), isa);
      }
      nb.setLowpIsa(best);
    });

    it(`gives each row of a batched decode product the bits of that row alone (${isa})`, () => {
      const nb = nativeOrFail();
      assert.ok(nb.setLowpIsa(isa));
      const rng = new Rng(99);
      const M = 5, N = 300, K = 256;
      const w32 = randn(rng, N * K, 0.05), x = randn(rng, M * K);
      const wq = new Uint8Array(q8_0Bytes(N * K)), wb = bf16Of(w32);
      nb.quantizeQ8_0(N * K, w32, wq);
      for (const threads of [1, 2]) {
        nb.setThreads(threads);
        const rows = new Float32Array(M * N), lone = new Float32Array(N);
        const rowsB = new Float32Array(M * N), loneB = new Float32Array(N);
        nb.gemvQ8_0(M, N, K, x, wq, rows);
        nb.gemvBf16(M, N, K, x, wb, rowsB);
        for (let m = 0; m < M; m++) {
          nb.gemvQ8_0(1, N, K, x.subarray(m * K), wq, lone);
          nb.gemvBf16(1, N, K, x.subarray(m * K), wb, loneB);
          assert.deepEqual(rows.subarray(m * N, (m + 1) * N), lone, `${isa} Q8_0 row ${m}, ${threads} threads`);
          assert.deepEqual(rowsB.subarray(m * N, (m + 1) * N), loneB, `${isa} bf16 row ${m}, ${threads} threads`);
        }
      }
      nb.setLowpIsa(best);
    });
  }

  it('rejects Q8_0 rows that are not whole blocks and buffers too short (both backends)', () => {
    const nb = nativeOrFail();
    for (const b of [nb, ref] as Backend[]) {
      assert.throws(() => b.gemvQ8_0(1, 2, 33, new Float32Array(33), new Uint8Array(200), new Float32Array(2)),
        (e: Error & { code?: string }) => e.code === 'E_Q8_0_SHAPE' && /multiple of 32/.test(e.message));
      assert.throws(() => b.quantizeQ8_0(48, new Float32Array(48), new Uint8Array(100)),
        (e: Error & { code?: string }) => e.code === 'E_Q8_0_SHAPE');
    }
    assert.throws(() => nb.gemvQ8_0(1, 2, 32, new Float32Array(32), new Uint8Array(67), new Float32Array(2)),
      (e: Error & { code?: string }) => e.code === 'E_NATIVE_SIZE' && /w has 67/.test(e.message));
    assert.throws(() => nb.gemmBf16(false, false, 4, 4, 4, 1, new Uint16Array(15), 4, 0, new Float32Array(16), 4, 0, 0,
      new Float32Array(16), 4, 0, 1), (e: Error & { code?: string }) => e.code === 'E_NATIVE_SIZE');
  });

  it('quantises to Q8_0 and rounds to bf16 byte for byte as the gguf Python package (every variant)', () => {
    const nb = nativeOrFail();
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'gguf-q8');
    const raw = readFileSync(join(dir, 'input.f32'));
    const x = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const wantQ8 = new Uint8Array(readFileSync(join(dir, 'q8_0.bin')));
    const wantBf16 = new Uint8Array(readFileSync(join(dir, 'bf16.bin')));
    for (const isa of isas) {
      assert.ok(nb.setLowpIsa(isa));
      const q = new Uint8Array(q8_0Bytes(x.length)), h = new Uint16Array(x.length);
      nb.quantizeQ8_0(x.length, x, q);
      nb.toBf16(x.length, x, h);
      assert.ok(Buffer.from(q).equals(Buffer.from(wantQ8)), `${isa}: Q8_0 bytes differ from gguf's`);
      assert.ok(Buffer.from(h.buffer).equals(Buffer.from(wantBf16)), `${isa}: bf16 bytes differ from gguf's`);
    }
    nb.setLowpIsa(best);
  });

  it('withPrecision(native, bf16) runs gemm as gemmBf16 and the other kernels as native', () => {
    const nb = nativeOrFail();
    const mixed = withPrecision(nb, 'bf16');
    const rng = new Rng(4);
    const M = 40, N = 50, K = 60;
    const a = randn(rng, M * K), b = randn(rng, K * N);
    const got = new Float32Array(M * N), want = new Float32Array(M * N);
    mixed.gemm(true, false, M, N, K, 1, a, M, 0, b, N, 0, 0, got, N, 0, 1);
    nb.gemmBf16(true, false, M, N, K, 1, a, M, 0, b, N, 0, 0, want, N, 0, 1);
    assert.deepEqual(got, want);
    const s = new Float32Array(3);
    mixed.add(3, new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6]), s);
    assert.deepEqual(s, new Float32Array([5, 7, 9]));
    assert.equal(mixed.getThreads(), nb.getThreads());
  });

  it('LLMTS_LOWP_ISA forces a variant at load', () => {
    nativeOrFail();
    const path = resolve(process.env.LLMTS_NATIVE_PATH || defaultNativePath());
    const script = `process.stdout.write(require(${JSON.stringify(path)}).lowpInfo().isa)`;
    const got = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, LLMTS_LOWP_ISA: 'scalar' } });
    assert.equal(got.toString(), 'scalar');
  });
});
