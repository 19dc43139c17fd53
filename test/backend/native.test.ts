/**
 * Native kernels against the reference backend: every kernel case (test/backend/cases.ts)
 * on every instruction set this CPU runs (AVX-512, AVX2, SSE2/NEON), and bit-identical
 * results at 1 and 2 threads. Fails loudly when the addon is not built (CI builds it with
 * `npm ci`).
 */
import { strict as assert } from 'node:assert';
import { describe, it, after } from 'node:test';
import { ReferenceBackend } from '../../src/backend/reference.ts';
import { loadNativeBackend, type NativeBackend } from '../../src/backend/native.ts';
import { kernelCases, type KernelCase } from './cases.ts';

const loaded = loadNativeBackend();
const ref = new ReferenceBackend();

/** The addon, or a failing assertion that says why it is missing. */
function nativeOrFail(): NativeBackend {
  assert.ok(loaded.backend, `native addon not loaded: ${loaded.reason}`);
  return loaded.backend;
}

type Outputs = Record<string, Float32Array | number>;

function compare(c: KernelCase, got: Outputs, want: Outputs, label: string): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const key of Object.keys(want)) {
    const g = got[key]!, w = want[key]!;
    if (typeof w === 'number') {
      assert.equal(typeof g, 'number');
      const ok = Math.abs((g as number) - w) <= c.tol * (1 + Math.abs(w));
      assert.ok(ok, `${label} ${c.name}: ${key} = ${g as number}, reference ${w}`);
      continue;
    }
    const ga = g as Float32Array;
    assert.equal(ga.length, w.length, `${label} ${c.name}: ${key} length`);
    for (let i = 0; i < w.length; i++) {
      const a: number = ga[i]!, b: number = w[i]!;
      if (Number.isNaN(b) || Number.isNaN(a)) {
        assert.fail(`${label} ${c.name}: ${key}[${i}] is NaN (native ${a}, reference ${b})`);
      }
      if (!(Math.abs(a - b) <= c.tol * (1 + Math.abs(b)))) {
        assert.fail(`${label} ${c.name}: ${key}[${i}] = ${a}, reference ${b} (tol ${c.tol})`);
      }
    }
  }
}

function identical(c: KernelCase, x: Outputs, y: Outputs, label: string): void {
  for (const key of Object.keys(x)) {
    const a = x[key]!, b = y[key]!;
    if (typeof a === 'number') {
      assert.ok(Object.is(a, b), `${label} ${c.name}: ${key} differs (${a} vs ${b as number})`);
      continue;
    }
    const ab = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const bf = b as Float32Array;
    const bb = Buffer.from(bf.buffer, bf.byteOffset, bf.byteLength);
    if (!ab.equals(bb)) {
      let i = 0;
      while (Object.is(a[i], bf[i])) i++;
      assert.fail(`${label} ${c.name}: ${key}[${i}] differs between thread counts: ${a[i]} vs ${bf[i]}`);
    }
  }
}

describe('native backend', () => {
  it('loads the addon (built by npm install)', () => {
    const nb = nativeOrFail();
    const info = nb.info();
    assert.ok(info.isas.includes(info.isa), `isa ${info.isa} in ${info.isas.join(',')}`);
    assert.ok(info.threads >= 1);
    assert.equal(nb.name, 'native');
  });

  const expected = new Map<string, Outputs>();
  function reference(c: KernelCase): Outputs {
    let r = expected.get(c.name);
    if (!r) {
      r = c.run(ref);
      expected.set(c.name, r);
    }
    return r;
  }

  const isas = loaded.backend ? loaded.backend.info().isas : ['avx512'];
  const best = loaded.backend ? loaded.backend.info().isa : 'avx512';
  const threads0 = loaded.backend ? loaded.backend.getThreads() : 1;
  after(() => {
    if (loaded.backend) {
      loaded.backend.setIsa(best);
      loaded.backend.setThreads(threads0);
    }
  });

  for (const isa of isas) {
    it(`matches the reference on every kernel (${isa}), identical at 1, 2${isa === best ? ' and 3' : ''} threads`, () => {
      const nb = nativeOrFail();
      assert.ok(nb.setIsa(isa), `setIsa(${isa})`);
      for (const c of kernelCases) {
        nb.setThreads(1);
        const one = c.run(nb);
        compare(c, one, reference(c), isa);
        nb.setThreads(2);
        const two = c.run(nb);
        identical(c, one, two, isa);
        if (isa === best) {
          nb.setThreads(3); // more threads than this machine's cores
          identical(c, one, c.run(nb), `${isa} 3 threads`);
        }
      }
      nb.setIsa(best);
    });
  }

  it('GEMM with a few rows and B transposed gives each row the bits of that row alone', () => {
    const nb = nativeOrFail();
    for (const isa of isas) {
      assert.ok(nb.setIsa(isa));
      for (const threads of [1, 2]) {
        nb.setThreads(threads);
        for (const [M, N, K] of [[2, 1000, 300], [3, 77, 33], [4, 700, 768], [5, 65, 31], [8, 260, 100]] as const) {
          const x = new Float32Array(M * K).map((_, i) => Math.sin(i * 0.37));
          const w = new Float32Array(N * K).map((_, i) => Math.cos(i * 0.11));
          const rows = new Float32Array(M * N), lone = new Float32Array(N);
          nb.gemm(false, true, M, N, K, 1, x, K, 0, w, K, 0, 0, rows, N, 0, 1);
          for (let m = 0; m < M; m++) {
            nb.gemm(false, true, 1, N, K, 1, x.subarray(m * K, (m + 1) * K), K, 0, w, K, 0, 0, lone, N, 0, 1);
            assert.deepEqual(rows.subarray(m * N, (m + 1) * N), lone, `${isa}, ${threads} threads, M ${M} row ${m}`);
          }
        }
      }
    }
    nb.setIsa(best);
    nb.setThreads(threads0);
  });

  it('measures an FMA peak on every ISA (bench/gemm.ts divides by it)', () => {
    const nb = nativeOrFail();
    for (const isa of isas) {
      assert.ok(nb.setIsa(isa));
      const p = nb.fmaPeak(0.005);
      assert.ok(p !== null && Number.isFinite(p) && p > 0.1, `${isa}: fmaPeak ${p}`);
    }
    nb.setIsa(best);
  });

  it('dropout keeps exactly the elements hashUniform keeps', () => {
    const nb = nativeOrFail();
    const n = 100_003, x = new Float32Array(n).fill(1);
    const out = new Float32Array(n), mask = new Float32Array(n);
    const rout = new Float32Array(n), rmask = new Float32Array(n);
    nb.dropout(n, 0.3, 987654321, x, out, mask);
    ref.dropout(n, 0.3, 987654321, x, rout, rmask);
    assert.deepEqual(mask, rmask);
    assert.deepEqual(out, rout);
    const kept = mask.reduce((s, m) => s + (m > 0 ? 1 : 0), 0);
    assert.ok(Math.abs(kept / n - 0.7) < 0.01, `kept fraction ${kept / n}`);
  });

  it('GEMM splits over threads on large shapes with the same bits', () => {
    const nb = nativeOrFail();
    const M = 300, N = 260, K = 700;
    const a = new Float32Array(M * K).map((_, i) => Math.sin(i));
    const b = new Float32Array(K * N).map((_, i) => Math.cos(i * 0.7));
    const c1 = new Float32Array(M * N), c2 = new Float32Array(M * N);
    nb.setThreads(1);
    nb.gemm(false, true, M, N, K, 1, a, K, 0, new Float32Array(b), K, 0, 0, c1, N, 0, 1);
    nb.setThreads(2);
    nb.gemm(false, true, M, N, K, 1, a, K, 0, new Float32Array(b), K, 0, 0, c2, N, 0, 1);
    assert.deepEqual(c1, c2);
    // spot-check a few entries in float64
    for (const [i, j] of [[0, 0], [M - 1, N - 1], [123, 77]] as const) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[j * K + k]!;
      assert.ok(Math.abs(c1[i * N + j]! - s) < 1e-3 * (1 + Math.abs(s)), `C[${i},${j}] ${c1[i * N + j]} vs ${s}`);
    }
  });

  it('GEMM gives all four transpose combinations the bits of the plain product (direct and C^T forms)', () => {
    // NT with M < N, TT with M <= 2N and TN with a thin C (N a fraction of the tile width)
    // run as C^T = op(B)^T op(A)^T on AVX-512: the same sums in the same order, so the bits
    // must equal NN on explicitly transposed copies.
    const nb = nativeOrFail();
    const transpose = (x: Float32Array, rows: number, cols: number): Float32Array => {
      const t = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j]!;
      return t;
    };
    const shapes = [[40, 300, 1600], [300, 40, 100], [13, 100, 257], [64, 200, 64], [100, 100, 37], [250, 500, 96], [172, 8, 300], [64, 5, 129]] as const;
    for (const isa of isas) {
      assert.ok(nb.setIsa(isa));
      for (const threads of [1, 2]) {
        nb.setThreads(threads);
        for (const [M, N, K] of shapes) {
          for (const beta of [0, 0.5]) {
            const a = new Float32Array(M * K).map((_, i) => Math.sin(i * 0.61)); // M x K
            const b = new Float32Array(K * N).map((_, i) => Math.cos(i * 0.29)); // K x N
            const at = transpose(a, M, K), bt = transpose(b, K, N); // K x M, N x K
            const c0 = new Float32Array(M * N).map((_, i) => Math.sin(i * 0.07));
            const want = new Float32Array(c0);
            nb.gemm(false, false, M, N, K, 0.75, a, K, 0, b, N, 0, beta, want, N, 0, 1);
            for (const [ta, tb] of [[false, true], [true, false], [true, true]] as const) {
              const got = new Float32Array(c0);
              nb.gemm(ta, tb, M, N, K, 0.75, ta ? at : a, ta ? M : K, 0, tb ? bt : b, tb ? K : N, 0, beta, got, N, 0, 1);
              const op = `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`;
              assert.ok(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `${isa}, ${threads} threads, ${op} ${M}x${N}x${K} beta ${beta}`);
            }
          }
        }
      }
    }
    nb.setIsa(best);
    nb.setThreads(threads0);
  });

  it('checks buffer sizes and ids before calling C', () => {
    const nb = nativeOrFail();
    const small = new Float32Array(3), ok = new Float32Array(16);
    assert.throws(() => nb.add(4, small, ok, ok), /E_NATIVE_SIZE|has 3 elements/);
    assert.throws(() => nb.gemm(false, false, 4, 4, 4, 1, ok, 4, 16, ok, 4, 0, 0, ok, 4, 0, 2), /a has 16 elements, the shapes need 32/);
    assert.throws(() => nb.gemm(false, false, 4, 4, 4, 1, ok, 3, 0, ok, 4, 0, 0, ok, 4, 0, 1), /leading dimensions/);
    assert.throws(() => nb.embedding(2, 4, new Int32Array([0, 4]), ok, new Float32Array(8)), /outside \[0, 4\)/);
    assert.throws(() => nb.crossEntropy(1, 4, new Float32Array(4), new Int32Array([9]), -100, new Float32Array(1), new Float32Array(1)), /targets\[0\] = 9/);
    assert.throws(() => nb.attention(1, 3, 2, 1, 1, 1, 1, 1, true, 0, null, ok, ok, ok, ok, ok), /multiple of nkv/);
    assert.throws(() => nb.attention(1, 1, 1, 1, 4, 2, 1, 1, true, 0, null, ok, ok, ok, ok, ok), /kvCap 2 < Tk 4/);
    assert.throws(() => nb.add(1.5, ok, ok, ok), /non-negative integer/);
    // a wrong buffer type is a TypeError from the addon, not a crash
    const f64 = new Float64Array(4) as unknown as Float32Array;
    assert.throws(() => nb.add(4, f64, ok, ok), /Float32Array/);
  });

  it('follows setThreads and reports it', () => {
    const nb = nativeOrFail();
    nb.setThreads(1);
    assert.equal(nb.getThreads(), 1);
    assert.equal(nb.info().threads, 1);
    nb.setThreads(2);
    assert.equal(nb.getThreads(), 2);
    nb.setThreads(0);
    assert.equal(nb.getThreads(), 1);
    nb.setThreads(threads0);
  });

  it('reports a missing addon path instead of throwing', () => {
    const before = process.env.LLMTS_NATIVE_PATH;
    process.env.LLMTS_NATIVE_PATH = '/nonexistent/llmts_native.node';
    try {
      const r = loadNativeBackend();
      assert.equal(r.backend, null);
      assert.match(r.reason, /missing at \/nonexistent\/llmts_native\.node/);
    } finally {
      if (before === undefined) delete process.env.LLMTS_NATIVE_PATH;
      else process.env.LLMTS_NATIVE_PATH = before;
    }
    assert.equal(loadNativeBackend().backend, loaded.backend);
  });
});
