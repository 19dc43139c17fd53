/**
 * Perplexity over one long stream through a sliding KV window with attention sinks
 * (src/infer/kv-window.ts): the ids are fed in chunks into one cache of `window` positions;
 * when a chunk does not fit, the cache is shifted (its first `keep` positions stay, half of
 * the rest goes), so every prediction sees the sinks plus up to window - keep recent tokens,
 * and memory stays that of one cache however long the stream is. This is how `generate` and
 * `serve` run past the context, measured: compare it with the non-overlapping windows of
 * `scoreIds` (src/eval/perplexity.ts) at the same window.
 *
 * Reported beside the loss: the KV cache's bytes (fixed by the window) and the process's
 * resident memory sampled at every shift (first, smallest and largest), to show it flat.
 *
 * @example
 * const r = scoreStream(model, ids, { window: 256, keep: 4 });
 * r.perplexity; r.kvBytes; r.rss.max - r.rss.first;
 */
import type { LanguageModel } from '../models/model.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkTokenIds } from '../util/token-ids.ts';
import { inferenceScope } from './inference-scope.ts';
import { DEFAULT_SINK_TOKENS, KVWindow } from './kv-window.ts';

/** Options of `scoreStream`. */
export interface StreamOptions {
  /** KV cache positions (default: the model's blockSize). */
  window?: number;
  /** Sink positions kept at the start (default 4). */
  keep?: number;
  /** Tokens per forward pass (default 64, at most half of window - keep). */
  chunk?: number;
  /** Score at most this many predictions (default: all). */
  maxTokens?: number;
  /** Called after each chunk with (predictions scored, predictions to score). */
  onProgress?: (done: number, total: number) => void;
}

/** Result of `scoreStream`. */
export interface StreamResult {
  tokens: number;
  totalNats: number;
  loss: number;
  perplexity: number;
  /** Cache shifts made. */
  shifts: number;
  /** Bytes of the KV cache (keys and values, every layer). */
  kvBytes: number;
  /** Resident set size in bytes: at the first shift, smallest and largest over all shifts (0 without shifts). */
  rss: { first: number; min: number; max: number };
}

/** -log softmax(logits)[target] of one row, in float64. */
function nll(logits: Float32Array, off: number, V: number, target: number): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[off + v]!);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[off + v]! - max);
  return Math.log(sum) + max - logits[off + target]!;
}

/** See the module comment. */
export function scoreStream(model: LanguageModel, ids: readonly number[], opts: StreamOptions = {}): StreamResult {
  const window = opts.window ?? model.config.blockSize;
  const keep = opts.keep ?? DEFAULT_SINK_TOKENS;
  if (!(Number.isInteger(window) && window >= 4)) throw new LlmtsError('E_EVAL', `window = ${window} is out of range`, { where: 'window', hint: 'use an integer >= 4' });
  if (!(Number.isInteger(keep) && keep >= 0 && keep <= window / 2)) {
    throw new LlmtsError('E_EVAL', `keep = ${keep} is out of range for a window of ${window}`, { where: 'keep', hint: `use 0 to ${Math.floor(window / 2)} sink tokens (e.g. 4)` });
  }
  const chunk = Math.min(opts.chunk ?? 64, Math.max(1, Math.floor((window - keep) / 2)));
  const w = new KVWindow(model, { keep });
  if (!w.canShift) {
    throw new LlmtsError('E_EVAL', `a ${model.config.arch} model has learned positions: its KV cache cannot slide`, { where: '--stream', hint: 'stream evaluation needs a RoPE model (Llama)' });
  }
  checkTokenIds(ids, model.config.vocabSize, { code: 'E_EVAL', where: 'tokenizer', hint: 'use the tokenizer the model was trained with' });
  const total = Math.min(ids.length - 1, opts.maxTokens ?? Infinity);
  if (total < 1) throw new LlmtsError('E_EVAL', 'the stream is too short to score: it needs at least two tokens', { where: 'text', hint: 'evaluate a longer text' });
  const cache = model.newCache(1, window);
  const V = model.config.vocabSize;
  const rss = { first: 0, min: Infinity, max: 0 };
  let nats = 0, shifts = 0;
  for (let pos = 0; pos < total; pos += chunk) {
    const n = Math.min(chunk, total - pos);
    while (cache.length + n > cache.capacity) {
      w.shift(cache);
      shifts++;
      const r = process.memoryUsage().rss;
      if (rss.first === 0) rss.first = r;
      rss.min = Math.min(rss.min, r);
      rss.max = Math.max(rss.max, r);
    }
    inferenceScope(model, () => { // one scope per chunk: its tensors are freed before the next
      const { logits } = model.forward(Int32Array.from(ids.slice(pos, pos + n)), 1, n, null, cache); // (1, n, V)
      for (let t = 0; t < n; t++) nats += nll(logits.data, t * V, V, ids[pos + t + 1]!);
    });
    opts.onProgress?.(pos + n, total);
  }
  if (shifts === 0) rss.min = 0;
  const kvBytes = cache.keys.reduce((s, k) => s + k.data.byteLength, 0) + cache.values.reduce((s, v) => s + v.data.byteLength, 0);
  const loss = nats / total;
  return { tokens: total, totalNats: nats, loss, perplexity: Math.exp(loss), shifts, kvBytes, rss };
}
