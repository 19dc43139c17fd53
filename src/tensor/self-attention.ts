/**
 * Self-attention for training straight from the projections: q (B, T, nh*hs), k and v
 * (B, T, nkv*hs) in, (B, T, nh*hs) out, RoPE applied inside, no head transposes, and no
 * (B, nh, T, T) probabilities kept for backward (only each row's log-sum-exp; backward
 * recomputes the probabilities). The same function as `rope` + `transpose12` +
 * `attention` (./attention.ts), which stays the path for KV-cache decoding.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { pool } from './pool.ts';
import { Tensor, fmtShape, gradOf, record } from './tensor.ts';

/** RoPE as `selfAttention` takes it: a cos/sin table from `ropeTable` and the pair layout. */
export interface SelfAttentionRope {
  /** (T, hs/2, 2) cos, sin per position and frequency (at least T rows). */
  cs: Float32Array;
  /** Pairs (2i, 2i+1) (llama2.c / Meta) instead of halves (i, i + hs/2) (Hugging Face). */
  interleaved: boolean;
}

/** Options of `selfAttention`. */
export interface SelfAttentionOptions {
  /** Query heads (nh). */
  nHead: number;
  /** Key/value heads (default nHead; nh % nkv == 0, grouped-query attention). */
  nKvHead?: number;
  /** Row t sees keys j <= t. Default true. */
  causal?: boolean;
  /** Score scale; default 1/sqrt(hs). */
  scale?: number;
  /** (B, T) of 0/1: keys with 0 are hidden (padding). */
  keyMask?: Tensor | Float32Array | null;
  /** Rotate q and k (RoPE) before the scores; null for none. */
  rope?: SelfAttentionRope | null;
}

/**
 * The cos/sin table (T, hs/2, 2) of positions 0..T-1 for `selfAttention`: exactly the
 * factors the `rope` kernel multiplies by (it rotates unit vectors to read them off), for
 * the same theta, inverse frequencies and attention factor.
 *
 * @example
 * const cs = ropeTable(T, 8, { theta: 10000, interleaved: true }); // Float32Array(T * 8)
 */
export function ropeTable(T: number, hs: number, opts: { theta: number; interleaved: boolean; invFreq?: Float32Array | null; attnFactor?: number }): Float32Array {
  const half = hs >> 1;
  const unit = new Float32Array(T * hs); // (1, 1, T, hs): the first element of each pair 1, the second 0
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) unit[t * hs + (opts.interleaved ? 2 * i : i)] = 1;
  }
  backend().rope(1, 1, T, hs, 0, opts.theta, opts.interleaved, false, unit, opts.invFreq ?? null, opts.attnFactor ?? 1);
  const cs = new Float32Array(T * hs); // (T, hs/2, 2): (1, 0) rotated is (cos, sin)
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      cs[(t * half + i) * 2] = unit[t * hs + (opts.interleaved ? 2 * i : i)]!;
      cs[(t * half + i) * 2 + 1] = unit[t * hs + (opts.interleaved ? 2 * i + 1 : i + half)]!;
    }
  }
  return cs;
}

/**
 * softmax(rope(q) rope(k)^T * scale + mask) v per head, q (B, T, nh*hs), k and v
 * (B, T, nkv*hs) with heads side by side in each row (the projections' outputs) ->
 * (B, T, nh*hs), ready for the output projection. A row that sees no key gives zeros.
 *
 * @example
 * const y = selfAttention(q, k, v, { nHead: 8, nKvHead: 4, rope: { cs: ropeTable(T, 8, r), interleaved: true } }); // (B, T, 64)
 */
export function selfAttention(q: Tensor, k: Tensor, v: Tensor, opts: SelfAttentionOptions): Tensor {
  const where = 'selfAttention';
  const nh = opts.nHead, nkv = opts.nKvHead ?? nh;
  if (q.ndim !== 3 || k.ndim !== 3 || v.ndim !== 3 || !Number.isInteger(nh) || !Number.isInteger(nkv) || nh < 1 || nkv < 1 || nh % nkv !== 0) {
    throw new LlmtsError('E_SHAPE', `selfAttention needs 3-D q, k, v and nHead a multiple of nKvHead, got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}, ${nh} / ${nkv} heads`, { where });
  }
  const [B, T, C] = q.shape as [number, number, number];
  const hs = C / nh;
  const kvShape = `${B},${T},${nkv * hs}`;
  if (!Number.isInteger(hs) || k.shape.join(',') !== kvShape || v.shape.join(',') !== kvShape) {
    throw new LlmtsError('E_SHAPE', `selfAttention: q ${fmtShape(q.shape)} with ${nh} heads does not fit k ${fmtShape(k.shape)} / v ${fmtShape(v.shape)} with ${nkv}`, {
      where, hint: 'q is (B, T, nHead * hs), k and v (B, T, nKvHead * hs)' });
  }
  let mask: Float32Array | null = null;
  if (opts.keyMask) {
    mask = opts.keyMask instanceof Tensor ? opts.keyMask.data : opts.keyMask;
    if (mask.length !== B * T) {
      throw new LlmtsError('E_SHAPE', `selfAttention: keyMask has ${mask.length} entries, expected B * T = ${B * T}`, {
        where, hint: 'keyMask is (B, T) of 0/1, 1 = visible key' });
    }
  }
  const rope = opts.rope ?? null;
  if (rope && (hs % 2 !== 0 || rope.cs.length < T * hs)) {
    throw new LlmtsError('E_SHAPE', `selfAttention: the RoPE table has ${rope.cs.length} entries for T ${T} and head size ${hs}`, {
      where, hint: 'make it with ropeTable(T, hs, ...) (hs even)' });
  }
  const cs = rope ? rope.cs.subarray(0, T * hs) : null, interleaved = rope?.interleaved ?? false;
  const causal = opts.causal ?? true;
  const sc = opts.scale ?? 1 / Math.sqrt(hs);
  const be = backend();
  const out = Tensor.empty([B, T, C]); // (B, T, nh*hs)
  const lse = pool.acquire(B * nh * T); // (B, nh, T) saved for backward
  be.selfAttention(B, T, nh, nkv, hs, sc, causal, mask, cs, interleaved, q.data, k.data, v.data, out.data, lse);
  return record(out, 'selfAttention', [q, k, v], [lse], (dout) => {
    const dq = gradOf(q), dk = gradOf(k), dv = gradOf(v);
    const sq = dq ?? pool.acquireZeroed(q.size), sk = dk ?? pool.acquireZeroed(k.size), sv = dv ?? pool.acquireZeroed(v.size);
    be.selfAttentionBackward(B, T, nh, nkv, hs, sc, causal, mask, cs, interleaved, q.data, k.data, v.data, out.data, lse, dout, sq, sk, sv);
    if (!dq) pool.release(sq);
    if (!dk) pool.release(sk);
    if (!dv) pool.release(sv);
  });
}
