/**
 * llama.cpp as a decoding peer, through node-llama-cpp (a dev dependency, pinned at 3.21.1;
 * its prebuilt linux-x64 CPU binary): greedy decoding speed of a GGUF file from BOS, the
 * way `npm run bench -- generate` times ours (tokens/s after the first token).
 *
 * llama.cpp runs with its own defaults (F16 KV cache, its CPU kernels for the file's
 * types) and exactly `threads` threads; each token crosses from the native sampler into
 * JavaScript (node-llama-cpp's async generator), a cost of microseconds per token that
 * shows only on very small models. On a heavily loaded machine llama.cpp's threads wait
 * for each other at every barrier (with 2 threads on 2 busy cores it fell to ~1 tok/s),
 * so each timed run stops at `maxSeconds` and says how many tokens it decoded.
 *
 * @example
 * const peer = await loadLlamaCpp();
 * if (typeof peer !== 'string') await peer.decode('m.q8_0.gguf', 256, 1); // tok/s
 */
import { readFileSync } from 'node:fs';

/** The part of node-llama-cpp's API the bench uses. */
interface Sequence { evaluate(tokens: number[], o: { temperature: number; yieldEogToken: boolean }): AsyncGenerator<number> }
interface Context { getSequence(): Sequence; dispose(): Promise<void> }
interface Model {
  createContext(o: { contextSize: number; threads: { ideal: number; min: number }; batchSize: number }): Promise<Context>;
  dispose(): Promise<void>;
}
interface Llama { loadModel(o: { modelPath: string }): Promise<Model>; dispose(): Promise<void> }
interface NodeLlamaCpp { getLlama(o: { gpu: false; build: 'never'; logLevel: string; maxThreads: number }): Promise<Llama> }

/** llama.cpp loaded once for a bench run. */
export interface LlamaCppPeer {
  /** Package name and version, for the header line. */
  version: string;
  /**
   * Best tok/s of `runs` greedy decodes of `steps` positions from BOS (id `bos`) on `file`,
   * each stopped after `maxSeconds` (default 30); `tokens` is what the best run decoded.
   */
  decode(file: string, steps: number, threads: number, opts?: { bos?: number; runs?: number; maxSeconds?: number }): Promise<{ tps: number; tokens: number }>;
  /** Unloads `file` (decode loads each file once and keeps it). */
  release(file: string): Promise<void>;
  dispose(): Promise<void>;
}

/** Loads node-llama-cpp, or returns why it cannot run here. */
export async function loadLlamaCpp(maxThreads: number): Promise<LlamaCppPeer | string> {
  const name = 'node-llama-cpp';
  let llama: Llama;
  let version = name;
  try {
    const mod = (await import(name)) as NodeLlamaCpp;
    llama = await mod.getLlama({ gpu: false, build: 'never', logLevel: 'error', maxThreads });
  } catch (err) {
    return `node-llama-cpp is not usable here (${(err as Error).message.split('\n')[0]}); npm install gets the dev dependency`;
  }
  try { // its package.json is not exported: read it beside the entry point (dist/index.js)
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve(name)), 'utf8')) as { version: string };
    version = `${name} ${pkg.version}`;
  } catch {
    // the version is only for the header line
  }
  const models = new Map<string, Model>();
  const timeOnce = async (model: Model, steps: number, threads: number, bos: number, maxMs: number): Promise<{ tps: number; tokens: number }> => {
    const ctx = await model.createContext({ contextSize: steps + 8, threads: { ideal: threads, min: threads }, batchSize: 32 });
    try {
      let n = 0;
      let first = 0;
      const start = performance.now();
      for await (const _token of ctx.getSequence().evaluate([bos], { temperature: 0, yieldEogToken: true })) {
        if (n++ === 0) first = performance.now();
        if (n >= steps || performance.now() - start > maxMs) break;
      }
      return { tps: n > 1 ? (n - 1) / ((performance.now() - first) / 1000) : 0, tokens: n };
    } finally {
      await ctx.dispose();
    }
  };
  return {
    version,
    async decode(file, steps, threads, opts = {}) {
      let model = models.get(file);
      if (!model) {
        model = await llama.loadModel({ modelPath: file });
        models.set(file, model);
      }
      const bos = opts.bos ?? 1;
      const maxMs = (opts.maxSeconds ?? 30) * 1000;
      await timeOnce(model, Math.min(32, steps), threads, bos, Math.min(maxMs, 5000)); // warm-up
      let best = { tps: 0, tokens: 0 };
      for (let r = 0; r < (opts.runs ?? 2); r++) {
        const run = await timeOnce(model, steps, threads, bos, maxMs);
        if (run.tps > best.tps) best = run;
      }
      return best;
    },
    async release(file) {
      await models.get(file)?.dispose();
      models.delete(file);
    },
    async dispose() {
      for (const m of models.values()) await m.dispose();
      await llama.dispose();
    },
  };
}
