/**
 * The bf16 and int8 kernels: `npm run bench -- gemm-lowp [--time 0.3] [--threads 1,2]`
 * (also printed at the end of `npm run bench -- gemm`).
 *
 * - bf16 GEMM (GPT-2 124M training shapes, all four transposes): GFLOP/s with bf16
 *   operands and with fp32 operands rounded while packed (what `--precision bf16` training
 *   multiplies), against our fp32 GEMM timed in the same loop.
 * - Decoding products (M = 1, the 110M llama2.c shape: dim 768, hidden 2048, vocab 32000):
 *   Q8_0, bf16 and fp32 weights, GB/s of weights streamed; then every product of one
 *   110M token (12 layers x 7 matrices + the classifier, each with its own weights, as
 *   decoding streams them), as ms per token and the tokens/s those products allow.
 * The machine may be shared: figures are the fastest of repeated calls and still move
 * with the other cores' load; the decoding tables also give the process CPU time per call
 * (all threads), which moves less.
 */
import { parseArgs } from 'node:util';
import { q8_0Bytes } from '../src/backend/lowp-format.ts';
import { loadNativeBackend, type NativeBackend } from '../src/backend/native.ts';
import { Rng } from '../src/util/rng.ts';

const GEMM_SHAPES: [number, number, number][] = [[256, 768, 768], [256, 2304, 768], [1024, 768, 3072], [1024, 3072, 768]];
const GEMV_SHAPES: [number, number][] = [[768, 768], [2048, 768], [768, 2048], [32000, 768]]; // (N rows, K)

function rand(n: number, rng: Rng, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * scale;
  return out;
}

/** Fastest of repeated calls of fn (seconds), at least minTime seconds and 5 calls in all. */
function timeIt(fn: () => void, minTime: number): number {
  fn();
  let best = Infinity, spent = 0, calls = 0;
  while (spent < minTime || calls < 5) {
    const t0 = performance.now();
    fn();
    const dt = (performance.now() - t0) / 1000;
    best = Math.min(best, dt);
    spent += dt;
    calls++;
  }
  return best;
}

/**
 * Process CPU time per call of fn (seconds, all threads): the least over batches of calls
 * that each last at least 5 ms, for at least minTime seconds. On a shared machine it moves
 * less than wall time with the other processes' load (time queued for a core is not counted).
 */
function cpuPerCall(fn: () => void, minTime: number): number {
  fn();
  let best = Infinity;
  const start = performance.now();
  do {
    const c0 = process.cpuUsage(), t0 = performance.now();
    let calls = 0;
    do { fn(); calls++; } while (performance.now() - t0 < 5);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1e6 / calls);
  } while (performance.now() - start < minTime * 1000);
  return best;
}

const f = (x: number, w: number, d = 0): string => x.toFixed(d).padStart(w);

/** bf16 GEMM table. */
function gemmTable(nb: NativeBackend, threads: number[], minTime: number, rng: Rng): void {
  console.log(`bf16 GEMM (${nb.lowpInfo().isa}): GFLOP/s with bf16 operands, fp32 operands rounded while packed, our fp32 GEMM`);
  console.log(['    M     N     K  op', ...threads.map((t) => `   ${t}T bf16  fp32->bf16  fp32  ratio`)].join(''));
  for (const [M, N, K] of GEMM_SHAPES) {
    const a = rand(M * K, rng), b = rand(K * N, rng), c = new Float32Array(M * N);
    const ab = new Uint16Array(M * K), bb = new Uint16Array(K * N);
    nb.toBf16(M * K, a, ab);
    nb.toBf16(K * N, b, bb);
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const lda = transA ? M : K, ldb = transB ? K : N, flops = 2 * M * N * K;
        const cols = [`${f(M, 5)} ${f(N, 5)} ${f(K, 5)}  ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`];
        for (const t of threads) {
          nb.setThreads(t);
          const g16 = flops / timeIt(() => nb.gemmBf16(transA, transB, M, N, K, 1, ab, lda, 0, bb, ldb, 0, 0, c, N, 0, 1), minTime) / 1e9;
          const gmix = flops / timeIt(() => nb.gemmBf16(transA, transB, M, N, K, 1, a, lda, 0, b, ldb, 0, 0, c, N, 0, 1), minTime) / 1e9;
          const g32 = flops / timeIt(() => nb.gemm(transA, transB, M, N, K, 1, a, lda, 0, b, ldb, 0, 0, c, N, 0, 1), minTime) / 1e9;
          cols.push(`  ${f(g16, 8)}  ${f(gmix, 10)}  ${f(g32, 4)}  ${f(g16 / g32, 4, 1)}x`);
        }
        console.log(cols.join(''));
      }
    }
  }
}

interface Weights { N: number; K: number; f32: Float32Array; q8: Uint8Array; bf16: Uint16Array }

function weights(N: number, K: number, nb: NativeBackend, rng: Rng): Weights {
  const f32 = rand(N * K, rng, 0.05), q8 = new Uint8Array(q8_0Bytes(N * K)), bf16 = new Uint16Array(N * K);
  nb.quantizeQ8_0(N * K, f32, q8);
  nb.toBf16(N * K, f32, bf16);
  return { N, K, f32, q8, bf16 };
}

type Format = 'q8_0' | 'bf16' | 'fp32';
const FORMATS: Format[] = ['q8_0', 'bf16', 'fp32'];

function product(nb: NativeBackend, w: Weights, x: Float32Array, y: Float32Array, fmt: Format): void {
  if (fmt === 'q8_0') nb.gemvQ8_0(1, w.N, w.K, x, w.q8, y);
  else if (fmt === 'bf16') nb.gemvBf16(1, w.N, w.K, x, w.bf16, y);
  else nb.gemm(false, true, 1, w.N, w.K, 1, x, w.K, 0, w.f32, w.K, 0, 0, y, w.N, 0, 1);
}

function bytes(w: Weights, fmt: Format): number {
  return fmt === 'q8_0' ? w.q8.length : fmt === 'bf16' ? 2 * w.N * w.K : 4 * w.N * w.K;
}

/** Decoding products: single matrices, then one whole 110M token. */
function decodeTable(nb: NativeBackend, threads: number[], minTime: number, rng: Rng): void {
  const x = rand(2048, rng), y = new Float32Array(32000);
  console.log('');
  console.log('decoding products, y = W x (M = 1): microseconds and GB/s of weights read (wall), process CPU microseconds per call (all threads)');
  console.log(['    N     K', ...threads.flatMap((t) => FORMATS.map((fm) => `  ${t}T ${fm.padEnd(4)} us  GB/s  cpu us`))].join(''));
  for (const [N, K] of GEMV_SHAPES) {
    const w = weights(N, K, nb, rng);
    const cols = [`${f(N, 5)} ${f(K, 5)}`];
    for (const t of threads) {
      nb.setThreads(t);
      for (const fm of FORMATS) {
        const sec = timeIt(() => product(nb, w, x, y, fm), minTime);
        const cpu = cpuPerCall(() => product(nb, w, x, y, fm), minTime);
        cols.push(`  ${f(sec * 1e6, 10)}  ${f(bytes(w, fm) / sec / 1e9, 4, 1)}  ${f(cpu * 1e6, 6)}`);
      }
    }
    console.log(cols.join(''));
  }
  // one 110M token: per layer wq, wk, wv, wo (768 x 768), w1, w3 (2048 x 768), w2 (768 x 2048); classifier 32000 x 768
  const layers: Weights[] = [];
  for (let l = 0; l < 12; l++) {
    for (let i = 0; i < 4; i++) layers.push(weights(768, 768, nb, rng));
    layers.push(weights(2048, 768, nb, rng), weights(2048, 768, nb, rng), weights(768, 2048, nb, rng));
  }
  layers.push(weights(32000, 768, nb, rng));
  console.log('');
  console.log(`110M token, every product (${layers.length} matrices with their own weights): ms per token, tokens/s the products allow, GB/s`);
  for (const t of threads) {
    nb.setThreads(t);
    const parts = FORMATS.map((fm) => {
      const token = (): void => { for (const w of layers) product(nb, w, x, y, fm); };
      const sec = timeIt(token, Math.max(minTime, 1)), cpu = cpuPerCall(token, Math.max(minTime, 1));
      const total = layers.reduce((s, w) => s + bytes(w, fm), 0);
      return `${fm} ${(sec * 1e3).toFixed(2)} ms ${(1 / sec).toFixed(0)} tok/s ${(total / sec / 1e9).toFixed(1)} GB/s, CPU ${(cpu * 1e3).toFixed(2)} ms`;
    });
    console.log(`  ${t} thread(s): ${parts.join(' | ')}`);
  }
}

/** Prints both tables (used by bench/gemm.ts too). */
export function lowpTables(nb: NativeBackend, threads: number[], minTime: number): void {
  const threads0 = nb.getThreads();
  const rng = new Rng(11);
  gemmTable(nb, threads, minTime, rng);
  decodeTable(nb, threads, minTime, rng);
  nb.setThreads(threads0);
}

/** Runs the benchmark. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { time: { type: 'string', default: '0.3' }, threads: { type: 'string', default: '1,2' } },
  });
  const loaded = loadNativeBackend();
  if (!loaded.backend) {
    console.error(`gemm-lowp bench: ${loaded.reason}`);
    process.exitCode = 1;
    return;
  }
  const nb = loaded.backend;
  console.log(`bf16/int8 kernels: ${nb.lowpInfo().isa} (this CPU runs ${nb.lowpInfo().isas.join(', ')}; LLMTS_LOWP_ISA picks one)`);
  lowpTables(nb, values.threads.split(',').map(Number).filter((n) => n >= 1), Number(values.time));
}
