/**
 * Autoregressive sampling from a Decoder with its KV cache: greedy (temperature 0),
 * temperature, top-k. When the cache (blockSize positions) is full, it is refilled with
 * the last blockSize/2 tokens and decoding goes on, so any length can be generated.
 *
 * @example
 * model.generate([0], { maxNewTokens: 100, temperature: 0.8, topK: 40, seed: 1 });
 */
import { noGrad, tidy } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { Decoder } from './decoder.ts';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 = greedy (argmax); default 1. */
  temperature?: number;
  /** Sample only among the k likeliest tokens; 0 = all (default 0). */
  topK?: number;
  /** Seed of the sampler (default 1337). */
  seed?: number;
  /** Called with each new token id as it is produced. */
  onToken?: (id: number) => void;
}

/** Picks the next id from one row of logits (V). Exported for tests. */
export function sampleFrom(logits: Float32Array, temperature: number, topK: number, rng: Rng): number {
  const V = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  let cutoff = -Infinity;
  if (topK > 0 && topK < V) {
    const sorted = Float32Array.from(logits).sort(); // ascending
    cutoff = sorted[V - topK]!;
  }
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i]! >= cutoff && logits[i]! > max) max = logits[i]!;
  const probs = new Float64Array(V);
  let total = 0;
  for (let i = 0; i < V; i++) {
    if (logits[i]! < cutoff) continue;
    probs[i] = Math.exp((logits[i]! - max) / temperature);
    total += probs[i]!;
  }
  let u = rng.uniform() * total;
  for (let i = 0; i < V; i++) {
    u -= probs[i]!;
    if (u < 0 && probs[i]! > 0) return i;
  }
  for (let i = V - 1; i >= 0; i--) if (probs[i]! > 0) return i;
  return 0;
}

/** See the file comment. */
export function generate(model: Decoder, prompt: readonly number[], opts: GenerateOptions): number[] {
  const c = model.config;
  if (prompt.length === 0) {
    throw new LlmtsError('E_PROMPT', 'generate needs at least one prompt token', { where: 'generate', hint: 'start from a newline or BOS token' });
  }
  const temperature = opts.temperature ?? 1;
  const topK = opts.topK ?? 0;
  const rng = new Rng(opts.seed ?? 1337);
  const out = [...prompt];
  const cache = model.newCache(1);
  const last = new Float32Array(c.vocabSize); // logits of the last fed position
  // feeds ids after the cached positions and keeps the last position's logits
  const feed = (ids: number[]): void => {
    tidy(() => {
      const { logits } = model.forward(Int32Array.from(ids), 1, ids.length, null, cache); // (1, T, V)
      last.set(logits.data.subarray((ids.length - 1) * c.vocabSize, ids.length * c.vocabSize));
    });
  };
  const keep = Math.max(1, Math.floor(c.blockSize / 2));
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      feed(out.slice(-c.blockSize));
      for (let i = 0; i < opts.maxNewTokens; i++) {
        const id = sampleFrom(last, temperature, topK, rng);
        out.push(id);
        opts.onToken?.(id);
        if (i === opts.maxNewTokens - 1) break;
        if (cache.length >= c.blockSize) {
          cache.reset(); // full: refill with the most recent tokens
          feed(out.slice(-keep));
        } else {
          feed([id]);
        }
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}
