/**
 * Decoding an encoder-decoder one token at a time, without re-running what does not change:
 * - `startDecoding`: the encoder runs once per source, and each decoder layer's cross
 *   keys/values (B, nh, S, hs) are computed once from its output; with `expand` = k
 *   (beam search) every source row is repeated k times (rows b*k .. b*k+k-1), so the
 *   cross keys/values of a source are shared by its beams and never move;
 * - `decodeStep`: one new token per row through the decoder with the self-attention KV
 *   cache (its length is the position), -> logits (rows, V);
 * - `reorderRows`: beam search's parent pointers move rows of the self-attention cache
 *   (row r takes the cached keys/values of row parents[r]); beams only ever take parents
 *   of their own source, so the cross keys/values stay as they are;
 * - `decodeAll`: the same logits recomputed from the whole prefix without a cache (what the
 *   tests hold the cached path against).
 * Everything runs inside noGrad; the state's tensors live as long as the state.
 *
 * @example
 * const st = startDecoding(model, { ids, B: 1, S }, { expand: 4, capacity: 64 });
 * const logits = decodeStep(model, st, Int32Array.of(2, 2, 2, 2)); // (4, V)
 * reorderRows(st, Int32Array.of(0, 0, 1, 3));
 */
import { KVCache } from '../../nn/kv-cache.ts';
import { noGrad, tidy, Tensor } from '../../tensor/index.ts';
import { LlmtsError } from '../../util/errors.ts';
import type { Seq2SeqConfig } from './config.ts';
import { floatMask, type KeyValues, type SourceBatch } from './layers.ts';

/** What decoding needs of the model (seq2seq.ts's EncoderDecoder). */
export interface DecodingModel {
  readonly config: Seq2SeqConfig;
  encode(src: SourceBatch): Tensor;
  crossKeyValues(memory: Tensor): KeyValues[];
  decode(ids: Int32Array, B: number, T: number, cross: KeyValues[], sourceMask: Float32Array | null, cache?: KVCache | null): Tensor;
  logits(hidden: Tensor): Tensor;
}

/** What `startDecoding` returns and the other functions read and advance. */
export interface Seq2SeqDecodeState {
  /** Decoder rows (B * expand). */
  readonly rows: number;
  /** Source positions. */
  readonly S: number;
  /** Per decoder layer: cross keys/values (rows, nh, S, hs). */
  readonly cross: KeyValues[];
  /** (rows, S) of 0/1, or null (no padding). */
  readonly sourceMask: Float32Array | null;
  /** The decoder's self-attention cache; its length is the number of decoder positions fed. */
  readonly cache: KVCache;
}

/** Options of `startDecoding`. */
export interface StartDecodingOptions {
  /** Decoder rows per source row (beams). Default 1. */
  expand?: number;
  /** Decoder positions to hold (the longest output, start id included). Default blockSize. */
  capacity?: number;
}

/** Rows (B, ...) of x repeated k times each -> (B*k, ...). */
function repeatRows(x: Float32Array, B: number, k: number): Float32Array {
  if (k === 1) return x;
  const n = x.length / B;
  const out = new Float32Array(x.length * k);
  for (let b = 0; b < B; b++) for (let j = 0; j < k; j++) out.set(x.subarray(b * n, (b + 1) * n), (b * k + j) * n);
  return out;
}

/** Encodes `src` once and prepares the cross keys/values and an empty self-attention cache (see the module comment). */
export function startDecoding(model: DecodingModel, src: SourceBatch, o: StartDecodingOptions = {}): Seq2SeqDecodeState {
  const c = model.config;
  const k = o.expand ?? 1;
  const capacity = o.capacity ?? c.blockSize;
  if (!Number.isInteger(k) || k < 1) throw new LlmtsError('E_RANGE', `expand must be an integer >= 1, got ${k}`, { where: 'startDecoding', hint: 'pass the number of beams' });
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > c.blockSize) {
    throw new LlmtsError('E_RANGE', `decoding capacity ${capacity} is outside [1, blockSize ${c.blockSize}]`, { where: 'startDecoding', hint: 'lower maxLength to at most the model\'s blockSize' });
  }
  const mask = floatMask(src.mask);
  return noGrad(() => {
    const memory = model.encode({ ids: src.ids, B: src.B, S: src.S, mask }); // (B, S, C)
    const cross = model.crossKeyValues(memory).map((kv) => ({
      k: new Tensor(repeatRows(kv.k.data.slice(), src.B, k), [src.B * k, ...kv.k.shape.slice(1)]), // (B*k, nh, S, hs)
      v: new Tensor(repeatRows(kv.v.data.slice(), src.B, k), [src.B * k, ...kv.v.shape.slice(1)]), // (B*k, nh, S, hs)
    }));
    const rows = src.B * k;
    const cache = new KVCache(c.nDecoderLayer, rows, c.nHead, capacity, c.nEmbd / c.nHead);
    return { rows, S: src.S, cross, sourceMask: mask ? repeatRows(mask, src.B, k) : null, cache };
  });
}

/** One new token per row (ids: Int32Array(rows)) -> logits (rows, V) of the next token; the cache advances by 1. */
export function decodeStep(model: DecodingModel, st: Seq2SeqDecodeState, ids: Int32Array): Float32Array {
  if (ids.length !== st.rows) throw new LlmtsError('E_SHAPE', `decodeStep: ${ids.length} ids for ${st.rows} rows`, { where: 'decodeStep', hint: 'pass one id per decoder row' });
  let out = new Float32Array(0);
  noGrad(() => tidy(() => {
    const h = model.decode(ids, st.rows, 1, st.cross, st.sourceMask, st.cache); // (rows, 1, C)
    out = model.logits(h).data.slice(); // (rows, V)
  }));
  return out;
}

/** The whole prefix ids (rows, T) without the cache -> logits (rows, V) of the token after it. */
export function decodeAll(model: DecodingModel, st: Seq2SeqDecodeState, ids: Int32Array, T: number): Float32Array {
  const V = model.config.vocabSize;
  const out = new Float32Array(st.rows * V);
  noGrad(() => tidy(() => {
    const h = model.decode(ids, st.rows, T, st.cross, st.sourceMask); // (rows, T, C)
    const logits = model.logits(h).data; // (rows, T, V)
    for (let r = 0; r < st.rows; r++) out.set(logits.subarray((r * T + T - 1) * V, (r * T + T) * V), r * V);
  }));
  return out;
}

/** Row r of the self-attention cache takes the filled positions of row parents[r] (beam search's reorder). */
export function reorderRows(st: Seq2SeqDecodeState, parents: Int32Array): void {
  const { cache, rows } = st;
  if (parents.length !== rows || parents.some((p) => p < 0 || p >= rows)) {
    throw new LlmtsError('E_RANGE', `reorderRows: parents must be ${rows} row indices in [0, ${rows})`, { where: 'reorderRows', hint: 'pass one parent row per decoder row' });
  }
  if (parents.every((p, r) => p === r)) return;
  const nkv = cache.nKvHead, cap = cache.capacity, hs = cache.headSize, len = cache.length;
  const rowSize = nkv * cap * hs;
  // only the rows another row takes are copied aside (their filled positions), before any move
  const sources = [...new Set(parents.filter((p, r) => p !== r))];
  const saved = new Float32Array(sources.length * nkv * len * hs); // (sources, nkv, len, hs)
  for (const buf of [...cache.keys, ...cache.values]) {
    sources.forEach((p, i) => {
      for (let h = 0; h < nkv; h++) saved.set(buf.data.subarray(p * rowSize + h * cap * hs, p * rowSize + h * cap * hs + len * hs), (i * nkv + h) * len * hs);
    });
    for (let r = 0; r < rows; r++) {
      const p = parents[r]!;
      if (p === r) continue;
      const i = sources.indexOf(p);
      for (let h = 0; h < nkv; h++) buf.data.set(saved.subarray((i * nkv + h) * len * hs, (i * nkv + h + 1) * len * hs), r * rowSize + h * cap * hs);
    }
  }
}
