/**
 * `npm run bench -- generate [--only 260k|15m|110m] [--tokens N] [--profile]`: greedy
 * decoding speed (tokens/s after the prompt, prefill excluded, as run.c reports it)
 * through the generation engine, against llama2.c's run.c measured on this machine with
 * 2 threads (design.md): stories260K 5.8k tok/s, 15M shape 504, 110M shape 76
 * (target >= 1.0x each).
 *
 * - 260k: the real stories260K.bin (data/llama2c-stories260k), from BOS.
 * - 15m / 110m: llama2.c-format shapes (header -> llama2cConfig) with random weights:
 *   15M: dim 288, 6 layers, 6 heads, hidden 768, vocab 32000, seq 256;
 *   110M: dim 768, 12 layers, 12 heads, hidden 2048, vocab 32000, seq 1024.
 * 256 positions from BOS like run.c's default `-n 256`; no stop token, so every run
 * decodes the same count.
 *
 * Each line also gives the process CPU time per token (all threads): on a shared machine
 * compare it with LLMTS_THREADS=1, where it is the single-thread cost of a token.
 *
 * `--runc PATH/TO/run.c` also measures the peer live, at the same time and on the same
 * weights: the bench writes each model as a llama2.c .bin (and a dummy tokenizer.bin of
 * the right size) into a temp folder, builds run.c twice, `gcc -Ofast -fopenmp` (generic
 * x86-64, which reproduces the figures quoted for the plan) and `gcc -Ofast -fopenmp
 * -march=native` (this CPU's vector units), runs each greedy for the same 256 positions
 * with OMP_NUM_THREADS = our thread count, and reads its "achieved tok/s" line. run.c's
 * source is not part of llm.ts: pass a copy of llama2.c's run.c.
 *
 * `--profile` also times each kernel of the decode step (backend methods wrapped) and
 * prints where a token's time goes, with the effective memory bandwidth of the
 * matrix-vector products (weight bytes streamed per second). The wrappers add about a
 * microsecond per call, which inflates the small kernels of stories260K.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backend } from '../src/backend/index.ts';
import type { Backend } from '../src/backend/backend.ts';
import { DecodeStep } from '../src/infer/decode-step.ts';
import { generate } from '../src/infer/engine.ts';
import { llama2cConfig, loadLlama2c, saveLlama2c, type Llama2cHeader } from '../src/io/llama2c.ts';
import { createModel, type AnyModel } from '../src/models/registry.ts';

interface Case {
  name: string;
  load: () => AnyModel;
  runc: number;
}

const shape = (h: Omit<Llama2cHeader, 'sharedClassifier' | 'version'>) => () =>
  createModel(llama2cConfig({ ...h, sharedClassifier: true, version: 0 }), { seed: 1 });

const cases: Record<string, Case> = {
  '260k': { name: 'stories260K', load: () => loadLlama2c('data/llama2c-stories260k/stories260K.bin').model, runc: 5800 },
  '15m': { name: '15M shape', load: shape({ dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6, nKvHeads: 6, vocabSize: 32000, seqLen: 256 }), runc: 504 },
  '110m': { name: '110M shape', load: shape({ dim: 768, hiddenDim: 2048, nLayers: 12, nHeads: 12, nKvHeads: 12, vocabSize: 32000, seqLen: 1024 }), runc: 76 },
};

/**
 * Greedy decode of `steps` positions from BOS; returns decode tok/s (first token excluded)
 * and the process CPU time per token (all threads, spinning included; on a shared machine
 * it moves less than wall time when other processes take the cores).
 */
function decodeSpeed(model: AnyModel, steps: number): { tps: number; cpuUs: number } {
  let first = 0;
  let cpu0 = process.cpuUsage();
  let n = 0;
  generate(model, [1], { temperature: 0, maxTokens: steps }, undefined, () => {
    if (n++ === 0) {
      first = performance.now();
      cpu0 = process.cpuUsage();
    }
  });
  const cpu = process.cpuUsage(cpu0);
  return { tps: (n - 1) / ((performance.now() - first) / 1000), cpuUs: (cpu.user + cpu.system) / Math.max(1, n - 1) };
}

/** Times every backend kernel called by `steps` decode steps; prints the split per token. */
function profile(model: AnyModel, steps: number): void {
  const be = backend() as Backend & Record<string, unknown>;
  const times = new Map<string, number>();
  const saved = new Map<string, unknown>();
  let gemvBytes = 0;
  for (const k of ['gemm', 'attention', 'rope', 'rmsNorm', 'layerNorm', 'add', 'addBias', 'swiglu', 'gelu']) {
    const f = be[k] as (...a: unknown[]) => void;
    saved.set(k, f);
    be[k] = (...a: unknown[]) => {
      const t = performance.now();
      f.apply(be, a);
      const key = k === 'gemm' && a[3] === model.config.vocabSize ? 'gemm (classifier)' : k;
      times.set(key, (times.get(key) ?? 0) + performance.now() - t);
      if (k === 'gemm') gemvBytes += 4 * (a[3] as number) * (a[4] as number);
    };
  }
  try {
    const step = new DecodeStep(model);
    const cache = model.newCache(1);
    const logits = new Float32Array(model.config.vocabSize);
    for (let i = 0; i < 8; i++) step.run(1, cache, logits);
    times.clear();
    gemvBytes = 0;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step.run(1 + (i % 7), cache, logits);
    const total = (performance.now() - t0) / steps;
    const kernels = [...times.values()].reduce((a, b) => a + b, 0) / steps;
    const parts = [...times.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / steps).toFixed(3)} ms (${((v / steps / total) * 100).toFixed(0)}%)`);
    const gemmMs = ((times.get('gemm') ?? 0) + (times.get('gemm (classifier)') ?? 0)) / steps;
    console.log(`  profile: ${total.toFixed(3)} ms/token = ${parts.join(', ')}, outside kernels ${(total - kernels).toFixed(3)} ms (${(((total - kernels) / total) * 100).toFixed(0)}%)`);
    console.log(`  matrix-vector products stream ${(gemvBytes / steps / 1e6).toFixed(1)} MB of weights per token at ${(gemvBytes / steps / 1e6 / gemmMs).toFixed(1)} GB/s`);
  } finally {
    for (const [k, f] of saved) be[k] = f;
  }
}

/** A tokenizer.bin that run.c can read for a vocabulary of V (ids print as 't<id>'). */
function dummyTokenizer(file: string, V: number): void {
  const parts: Buffer[] = [Buffer.from(new Int32Array([16]).buffer)];
  for (let i = 0; i < V; i++) {
    const s = Buffer.from(`t${i}`);
    parts.push(Buffer.from(new Float32Array([0]).buffer), Buffer.from(new Int32Array([s.length]).buffer), s);
  }
  writeFileSync(file, Buffer.concat(parts));
}

/** One build of run.c: its label and a function that runs it greedy on a model. */
interface Peer {
  label: string;
  run: (model: AnyModel, name: string) => number;
}

/**
 * Builds run.c into `dir` with `flags`; the returned runner writes the model as a
 * llama2.c .bin and returns run.c's own "achieved tok/s" (best of two runs of `steps`).
 */
function runcPeer(source: string, dir: string, label: string, flags: string[], threads: number, steps: number): Peer {
  const exe = join(dir, `run-${label}`);
  execFileSync('gcc', [...flags, '-o', exe, source, '-lm'], { stdio: 'inherit' });
  const run = (model: AnyModel, name: string): number => {
    const bin = join(dir, `${name.replace(/\W+/g, '_')}.bin`);
    saveLlama2c(bin, model);
    dummyTokenizer(join(dir, 'tokenizer.bin'), model.config.vocabSize); // older run.c versions read ./tokenizer.bin
    let best = 0;
    for (let r = 0; r < 2; r++) {
      const p = spawnSync(exe, [bin, '-t', '0', '-n', String(steps)], {
        cwd: dir, env: { ...process.env, OMP_NUM_THREADS: String(threads) }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8',
      });
      const out = p.stderr ?? '';
      const m = /achieved tok\/s: ([\d.]+)/.exec(out);
      if (!m) throw new Error(`run.c printed no "achieved tok/s" line: ${out.slice(-300)}`);
      best = Math.max(best, Number(m[1]));
    }
    rmSync(bin, { force: true });
    return best;
  };
  return { label, run };
}

/** Times one case and prints its line (with the peer's figure, measured now or quoted). */
function runCase(c: Case, steps: number, peers: Peer[], doProfile: boolean): void {
  const t0 = performance.now();
  const model = c.load();
  const loadSec = (performance.now() - t0) / 1000;
  // warm-up: at least 0.5 s of short decodes, so that the JIT has optimised the decode
  // step before the timed runs (32 tokens of stories260K take ~4 ms: too short alone)
  for (const w0 = performance.now(); performance.now() - w0 < 500;) decodeSpeed(model, Math.min(32, steps));
  const runs = [decodeSpeed(model, steps), decodeSpeed(model, steps)];
  const best = Math.max(...runs.map((r) => r.tps));
  const cpu = Math.min(...runs.map((r) => r.cpuUs));
  const vsPlan = `run.c ${c.runc} tok/s (plan) | ratio ${(best / c.runc).toFixed(2)}x (target >= 1.0x)`;
  const vsLive = peers.map((p) => {
    const tps = p.run(model, c.name);
    return `run.c ${p.label} ${tps.toFixed(0)} tok/s: ${(best / tps).toFixed(2)}x`;
  });
  console.log(`${c.name.padEnd(12)} ${best.toFixed(1).padStart(8)} tok/s (runs ${runs.map((r) => r.tps.toFixed(0)).join(', ')}; CPU ${(cpu / 1000).toFixed(3)} ms/token) | ${vsPlan}${vsLive.length ? ` | measured now: ${vsLive.join(', ')}` : ''} | model ready in ${loadSec.toFixed(1)} s`);
  if (doProfile) profile(model, Math.min(64, model.config.blockSize - 16));
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { only: { type: 'string' }, tokens: { type: 'string' }, profile: { type: 'boolean' }, runc: { type: 'string' } },
  });
  const names = values.only ? values.only.split(',') : Object.keys(cases);
  for (const n of names) if (!cases[n]) throw new Error(`unknown case '${n}'; use ${Object.keys(cases).join(', ')}`);
  const steps = values.tokens ? Number(values.tokens) : 256;
  const be = backend();
  const peerDir = values.runc ? mkdtempSync(join(tmpdir(), 'llmts-runc-')) : '';
  try {
    const threads = be.getThreads();
    const peers = values.runc ? [
      runcPeer(values.runc, peerDir, '-Ofast', ['-Ofast', '-fopenmp'], threads, steps),
      runcPeer(values.runc, peerDir, '-Ofast -march=native', ['-Ofast', '-fopenmp', '-march=native'], threads, steps),
    ] : [];
    console.log(`greedy decoding, ${steps} positions from BOS | backend ${be.name}, ${threads} threads | peer: llama2.c run.c, fp32, 2 threads (figures measured for the plan${peers.length ? `; and built here, ${threads} OpenMP threads` : ''})`);
    for (const n of names) runCase(cases[n]!, steps, peers, values.profile ?? false);
  } finally {
    if (peerDir) rmSync(peerDir, { recursive: true, force: true });
  }
}
