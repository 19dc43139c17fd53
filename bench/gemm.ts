/**
 * GEMM throughput of the native kernels:
 * `npm run bench -- gemm [--time 0.3] [--threads 1,2] [--openblas auto|off] [--lowp on|off]`.
 *
 * GFLOP/s (2 M N K per product) for the plan's shapes, all four transpose combinations,
 * at 1 and 2 threads, best of several timed runs. Ratios against OpenBLAS and against a
 * plain JavaScript triple loop timed in this same run.
 *
 * OpenBLAS is measured live when the system has it (Debian: `apt install
 * libopenblas-dev`): bench/peers/openblas-gemm.c is built with gcc and run on each entry
 * right after ours, timed the same way. Without it, the ratios use the figures measured
 * for the plan (188 / 355 GFLOP/s at 1 / 2 threads). A DYNAMIC_ARCH OpenBLAS that does not
 * know this CPU falls back to kernels without AVX-512 (Debian's 0.3.21 on a newer Xeon:
 * "Prescott", ~33 GFLOP/s); the bench then sets OPENBLAS_CORETYPE=SkylakeX, its AVX-512
 * kernels, and says so, so that the peer is at its best.
 *
 * Clock speeds on a shared machine move with the load of the other cores (the 2-core
 * machine's single-core FMA peak has been seen from ~176 to ~195 GFLOP/s), so the bench
 * also measures the FMA peak of the pool right now (register-only FMAs in the
 * micro-kernel's pattern, `fmaPeak`) and gives each figure as a fraction of it.
 *
 * Then (unless --lowp off) the bf16 GEMM and the Q8_0 / bf16 decoding products:
 * bench/gemm-lowp.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadNativeBackend, type NativeBackend } from '../src/backend/native.ts';
import { lowpTables } from './gemm-lowp.ts';
import { Rng } from '../src/util/rng.ts';

const OPENBLAS_PLAN = { 1: 188, 2: 355 } as Record<number, number>;
const TARGET = { 1: 170, 2: 300 } as Record<number, number>;
const SHAPES: [number, number, number][] = [[256, 768, 768], [1024, 768, 3072], [4096, 256, 256], [64, 64, 64]];
const LARGE = 3; // the first three shapes carry the targets

function rand(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform() * 2 - 1;
  return out;
}

/**
 * Seconds per call of fn: the fastest of many calls (each call timed alone, at least
 * `minTime` seconds in all), so that a busy machine shows what the code can do.
 */
function timeIt(fn: () => void, minTime: number): number {
  fn(); // warm up (packing buffers, thread start)
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
 * C = A B in plain JS: an i-k-j loop over Float32Arrays with k unrolled by four (about
 * twice as fast as the naive loop in V8), the "plain JS" peer.
 */
function jsGemm(M: number, N: number, K: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  c.fill(0);
  for (let i = 0; i < M; i++) {
    const ci = i * N, ai = i * K;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const a0 = a[ai + k]!, a1 = a[ai + k + 1]!, a2 = a[ai + k + 2]!, a3 = a[ai + k + 3]!;
      const b0 = k * N, b1 = b0 + N, b2 = b1 + N, b3 = b2 + N;
      for (let j = 0; j < N; j++) c[ci + j]! += a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!;
    }
    for (; k < K; k++) {
      const aik = a[ai + k]!, bk = k * N;
      for (let j = 0; j < N; j++) c[ci + j]! += aik * b[bk + j]!;
    }
  }
}

/** OpenBLAS measured live: GFLOP/s of one entry. */
type OpenBlasPeer = (threads: number, M: number, N: number, K: number, op: string, minTime: number) => number;

/**
 * Builds bench/peers/openblas-gemm.c against the system's OpenBLAS into `dir`, or returns
 * why it could not. Forces OPENBLAS_CORETYPE=SkylakeX when OpenBLAS picked kernels without
 * AVX-512 on an AVX-512 CPU (and the user did not choose a core).
 */
function openBlasPeer(dir: string, hasAvx512: boolean): { peer: OpenBlasPeer; about: string } | { error: string } {
  const source = join(dirname(fileURLToPath(import.meta.url)), 'peers', 'openblas-gemm.c');
  const exe = join(dir, 'openblas-gemm');
  try {
    execFileSync('gcc', ['-O2', '-o', exe, source, '-lopenblas'], { stdio: 'pipe' });
  } catch (e) {
    const msg = String((e as { stderr?: Buffer }).stderr ?? e).split('\n').find((l) => /error/.test(l)) ?? String(e);
    return { error: `OpenBLAS peer not built (${msg.trim()}); install it with: apt install libopenblas-dev` };
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  const run = (threads: number, M: number, N: number, K: number, op: string, minTime: number): { core: string; config: string; gflops: number } => {
    const r = spawnSync(exe, [String(threads), String(M), String(N), String(K), op, String(minTime)], {
      env: { ...env, OPENBLAS_NUM_THREADS: String(threads) }, encoding: 'utf8',
    });
    const m = /core=(\S+) config=(.*) gflops=([\d.]+)/.exec(r.stdout ?? '');
    if (r.status !== 0 || !m) throw new Error(`OpenBLAS peer failed: ${r.stderr || r.stdout}`);
    return { core: m[1]!, config: m[2]!, gflops: Number(m[3]) };
  };
  let probe = run(1, 64, 64, 64, 'NN', 0.01);
  let about = `OpenBLAS measured now: ${probe.config.trim()}, core ${probe.core}`;
  if (hasAvx512 && !process.env.OPENBLAS_CORETYPE && !/SkylakeX|Cooperlake|SapphireRapids/i.test(probe.core)) {
    env.OPENBLAS_CORETYPE = 'SkylakeX';
    const was = probe.core;
    probe = run(1, 64, 64, 64, 'NN', 0.01);
    about = `OpenBLAS measured now: ${probe.config.trim()}; it picked core ${was} (no AVX-512) for this CPU, so OPENBLAS_CORETYPE=SkylakeX (its AVX-512 kernels) -> core ${probe.core}`;
  }
  return { peer: (t, M, N, K, op, minTime) => run(t, M, N, K, op, minTime).gflops, about };
}

function fmt(x: number, w: number, digits = 1): string {
  return x.toFixed(digits).padStart(w);
}

/** Runs the benchmark and prints the table. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      time: { type: 'string', default: '0.3' },
      threads: { type: 'string', default: '1,2' },
      openblas: { type: 'string', default: 'auto' },
      lowp: { type: 'string', default: 'on' },
    },
  });
  if (values.openblas !== 'auto' && values.openblas !== 'off') throw new Error(`--openblas must be auto or off, not ${values.openblas}`);
  if (values.lowp !== 'on' && values.lowp !== 'off') throw new Error(`--lowp must be on or off, not ${values.lowp}`);
  const minTime = Number(values.time);
  const threadList = values.threads.split(',').map(Number).filter((n) => n >= 1);
  const loaded = loadNativeBackend();
  if (!loaded.backend) {
    console.error(`gemm bench: ${loaded.reason}`);
    process.exitCode = 1;
    return;
  }
  const nb: NativeBackend = loaded.backend;
  const info = nb.info();
  const threads0 = nb.getThreads();
  const rng = new Rng(7);

  // plain JS peer on a small shape (the same in every run)
  const js = { M: 128, N: 128, K: 128 };
  const ja = rand(js.M * js.K, rng), jb = rand(js.K * js.N, rng), jc = new Float32Array(js.M * js.N);
  const jsSec = timeIt(() => jsGemm(js.M, js.N, js.K, ja, jb, jc), minTime);
  const jsGflops = (2 * js.M * js.N * js.K) / jsSec / 1e9;
  const check = new Float32Array(js.M * js.N);
  nb.gemm(false, false, js.M, js.N, js.K, 1, ja, js.K, 0, jb, js.N, 0, 0, check, js.N, 0, 1);
  const diff = check.reduce((m, v, i) => Math.max(m, Math.abs(v - jc[i]!)), 0);
  if (diff > 1e-3) console.log(`warning: plain JS and native GEMM differ by ${diff}`);

  console.log(`gemm: native ${info.isa} (vector ${info.vectorWidth}, tile ${info.gemmTile.join('x')}), ` +
    `pool of ${threads0} threads; fastest single call over >= ${minTime}s per entry`);
  console.log(`plain JS (i-k-j, k unrolled by 4), ${js.M}x${js.N}x${js.K}: ${jsGflops.toFixed(2)} GFLOP/s (plan's figure: 4.8)`);
  const peerDir = mkdtempSync(join(tmpdir(), 'llmts-openblas-'));
  const built = values.openblas === 'auto' ? openBlasPeer(peerDir, info.isas.includes('avx512')) : { error: 'OpenBLAS not measured (--openblas off)' };
  const live = 'peer' in built ? built.peer : null;
  console.log('peer' in built ? built.about : `${built.error}; ratios against the plan's OpenBLAS figures (188 / 355)`);
  const peaks = threadList.map((t) => {
    nb.setThreads(t);
    return nb.fmaPeak(0.3);
  });
  if (peaks[0] !== null) {
    console.log(`FMA peak at the start (register-only FMAs on every thread): ${threadList.map((t, i) => `${t}T ${peaks[i]!.toFixed(1)}`).join(', ')} GFLOP/s; ` +
      "'of peak' divides by the peak measured just before each entry");
  }
  console.log('');
  const head = ['    M     N     K  op'];
  const peerName = live ? 'OpenBLAS' : 'OB (plan)';
  for (const t of threadList) head.push(`  ${t}T GFLOP/s  ${peerName}  ratio  vs JS  of peak`);
  console.log(head.join(''));
  const worst = new Map<number, { g: number; peak: number | null }>();
  const peerWorst = new Map<number, number>();
  const ratioWorst = new Map<number, number>();
  for (let s = 0; s < SHAPES.length; s++) {
    const [M, N, K] = SHAPES[s]!;
    const a = rand(M * K, rng), b = rand(K * N, rng), c = new Float32Array(M * N);
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const lda = transA ? M : K, ldb = transB ? K : N;
        const cols = [`${fmt(M, 5, 0)} ${fmt(N, 5, 0)} ${fmt(K, 5, 0)}  ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`];
        for (const t of threadList) {
          nb.setThreads(t);
          const p = nb.fmaPeak(0.05);
          const sec = timeIt(() => nb.gemm(transA, transB, M, N, K, 1, a, lda, 0, b, ldb, 0, 0, c, N, 0, 1), minTime);
          const g = (2 * M * N * K) / sec / 1e9;
          const op = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
          const peer = live ? live(t, M, N, K, op, minTime) : OPENBLAS_PLAN[t];
          if (s < LARGE) {
            if (g < (worst.get(t)?.g ?? Infinity)) worst.set(t, { g, peak: p });
            if (peer && peer < (peerWorst.get(t) ?? Infinity)) peerWorst.set(t, peer);
            if (peer && g / peer < (ratioWorst.get(t) ?? Infinity)) ratioWorst.set(t, g / peer);
          }
          const ofPeak = p ? `${fmt((100 * g) / p, 7, 0)}%` : '       -';
          cols.push(`  ${fmt(g, 11)}  ${peer ? fmt(peer, 9) : '        -'}  ${peer ? fmt(g / peer, 4, 2) + 'x' : '     -'}  ${fmt(g / jsGflops, 4, 0)}x  ${ofPeak}`);
        }
        console.log(cols.join(''));
      }
    }
  }
  nb.setThreads(threads0);
  rmSync(peerDir, { recursive: true, force: true });
  console.log('');
  for (const t of threadList) {
    const { g: w, peak: p } = worst.get(t)!;
    const target = TARGET[t];
    const pw = peerWorst.get(t), rw = ratioWorst.get(t);
    console.log(`${t} thread(s), worst of the three large shapes: ${w.toFixed(1)} GFLOP/s` +
      (pw && rw ? ` (OpenBLAS${live ? ' now' : ', plan'}: worst ${pw.toFixed(1)}; lowest ratio of an entry ${rw.toFixed(2)}x)` : '') +
      (p ? ` = ${((100 * w) / p).toFixed(0)}% of the FMA peak measured with it (${p.toFixed(1)}; the target is ${target ? ((100 * target) / p).toFixed(0) : '-'}% of that)` : '') +
      (target ? `; target >= ${target}: ${w >= target ? 'met' : 'NOT met'}` : ''));
  }
  if (values.lowp === 'on') {
    console.log('');
    lowpTables(nb, threadList, minTime);
  }
}
