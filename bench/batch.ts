/**
 * `npm run bench -- batch [--only 260k|15m] [--tokens N] [--step]`: aggregate decoding
 * throughput of the serving engine (`InferenceEngine`) with 1, 4, 8 and 16 concurrent
 * greedy requests, and the ratio against 1 request (the peer: the same engine serving one
 * request at a time). Each request starts from BOS and one distinct token and generates
 * `--tokens` new tokens (default 128; no stop token, so every run decodes the same count);
 * tok/s = all generated tokens / wall time from the first submit to the last result
 * (prefills, sampling, event delivery and the event loop included).
 *
 * - 260k: the real stories260K.bin (data/llama2c-stories260k).
 * - 15m: the llama2.c 15M shape with random weights (dim 288, 6 layers, 6 heads, hidden
 *   768, vocab 32000, seq 256), built as in bench/generate.ts.
 *
 * `--step` also times the batched decode step alone (`DecodeStep.runBatch`) for batches of
 * 1-16 rows with each of its product strategies: GEMMs of up to 8 rows (when the backend's
 * small-M GEMM is row-consistent), the matrix-vector product per row, one (N, B) GEMM.
 */
import { parseArgs } from 'node:util';
import { backend } from '../src/backend/index.ts';
import { DecodeStep } from '../src/infer/decode-step.ts';
import { InferenceEngine } from '../src/infer/scheduler.ts';
import { llama2cConfig, loadLlama2c } from '../src/io/llama2c.ts';
import { loadTokenizer } from '../src/tokenizer/load.ts';
import type { AnyTokenizer } from '../src/tokenizer/load.ts';
import { createModel, type AnyModel } from '../src/models/registry.ts';

interface Case {
  name: string;
  load: () => AnyModel;
  /** A tokenizer that decodes every id of the model (the engine streams text). */
  tokenizer: () => AnyTokenizer;
}

const cases: Record<string, Case> = {
  '260k': { name: 'stories260K', load: () => loadLlama2c('data/llama2c-stories260k/stories260K.bin').model, tokenizer: () => loadTokenizer('data/llama2c-stories260k/tok512.bin') },
  '15m': {
    name: '15M shape',
    load: () => createModel(llama2cConfig({ dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6, nKvHeads: 6, vocabSize: 32000, seqLen: 256, sharedClassifier: true, version: 0 }), { seed: 1 }),
    tokenizer: () => loadTokenizer('gpt2'), // 50257 ids: any of the 32000 decodes to bytes
  },
};

const CONCURRENCY = [1, 4, 8, 16];

/** Runs `n` concurrent greedy requests of `tokens` new tokens; returns aggregate tok/s. */
async function throughput(model: AnyModel, tok: AnyTokenizer, n: number, tokens: number): Promise<number> {
  const engine = new InferenceEngine(model, tok, { maxBatch: n, maxQueue: n });
  const t0 = performance.now();
  const handles = Array.from({ length: n }, (_, i) => engine.submit({ prompt: [1, 10 + i], maxTokens: tokens, temperature: 0, stopTokens: [] }));
  const results = await Promise.all(handles.map((h) => h.result));
  const sec = (performance.now() - t0) / 1000;
  await engine.close();
  const total = results.reduce((s, r) => s + r.completionTokens, 0);
  if (total !== n * tokens) throw new Error(`expected ${n * tokens} tokens, got ${total}`);
  return total / sec;
}

type Strategy = 'groups' | 'rows' | 'gemm';

/** Decode-step tok/s for B rows with one product strategy (see DecodeStep.matmul). */
function stepSpeed(model: AnyModel, B: number, strategy: Strategy): number {
  const step = new DecodeStep(model);
  step.rowConsistent = strategy === 'groups';
  step.gemmMinRows = strategy === 'gemm' ? 2 : 1000;
  const V = model.config.vocabSize;
  const caches = Array.from({ length: B }, () => model.newCache(1));
  const ids = Array.from({ length: B }, (_, i) => 10 + i);
  const logits = new Float32Array(B * V);
  const steps = Math.min(64, model.config.blockSize - 1);
  let best = 0;
  for (let run = 0; run < 3; run++) {
    caches.forEach((c) => c.reset());
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) step.runBatch(ids, caches, logits);
    best = Math.max(best, (B * steps) / ((performance.now() - t0) / 1000));
  }
  return best;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { only: { type: 'string' }, tokens: { type: 'string' }, step: { type: 'boolean' } } });
  const names = values.only ? values.only.split(',') : Object.keys(cases);
  for (const n of names) if (!cases[n]) throw new Error(`unknown case '${n}'; use ${Object.keys(cases).join(', ')}`);
  const tokens = values.tokens ? Number(values.tokens) : 128;
  const be = backend();
  console.log(`engine throughput, ${tokens} greedy tokens per request | backend ${be.name}, ${be.getThreads()} threads | peer: the same engine with 1 request`);
  for (const n of names) {
    const c = cases[n]!;
    const model = c.load();
    const tok = c.tokenizer();
    const t = Math.min(tokens, model.config.blockSize - 2);
    // warm-up (JIT, caches)
    for (const w0 = performance.now(); performance.now() - w0 < 500;) await throughput(model, tok, 4, Math.min(16, t));
    const line: string[] = [];
    let base = 0;
    for (const k of CONCURRENCY) {
      const tps = Math.max(await throughput(model, tok, k, t), await throughput(model, tok, k, t));
      if (k === 1) base = tps;
      line.push(`${k}: ${tps.toFixed(0)} tok/s (${(tps / base).toFixed(2)}x)`);
    }
    console.log(`${c.name.padEnd(12)} ${line.join(' | ')}`);
    if (values.step) {
      const consistent = new DecodeStep(model).rowConsistent;
      console.log(`  decode step alone; the backend's GEMM is ${consistent ? '' : 'not '}row-consistent, so the engine uses ${consistent ? 'row groups' : `per-row products below ${new DecodeStep(model).gemmMinRows} rows, one GEMM from there`}`);
      for (const B of [1, 2, 4, 6, 8, 16]) {
        const parts = [`per row ${stepSpeed(model, B, 'rows').toFixed(0)}`, `one (N, B) GEMM ${stepSpeed(model, B, 'gemm').toFixed(0)}`];
        if (consistent) parts.unshift(`groups of <= 8 rows ${stepSpeed(model, B, 'groups').toFixed(0)}`);
        console.log(`  B ${String(B).padStart(2)}: ${parts.join(', ')} tok/s`);
      }
    }
  }
}

