/**
 * Fused scaled-dot-product attention (causal or bidirectional, key padding mask, GQA,
 * KV cache with a position offset for decoding) and rotary position embedding.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { pool } from './pool.ts';
import { Tensor, fmtShape, gradFor, gradOf, isGradEnabled, record } from './tensor.ts';

/** Options of `attention`. */
export interface AttentionOptions {
  /** Query i sees keys j <= posOffset + i. Default true. */
  causal?: boolean;
  /** Score scale; default 1/sqrt(hs). */
  scale?: number;
  /** (B, Tk) of 0/1: keys with 0 are hidden (padding). */
  keyMask?: Tensor | Float32Array | null;
  /** Absolute position of query row 0 (decoding with a cache). Default 0. */
  posOffset?: number;
  /**
   * Valid keys when k and v are a KV cache of capacity k.shape[2] (only the first kvLen
   * time steps are read). Default: k.shape[2]. Forward-only (use noGrad).
   */
  kvLen?: number;
}

/**
 * softmax(q k^T * scale + mask) v, per head. q (B, nh, Tq, hs); k, v (B, nkv, Tk, hs)
 * with nh % nkv == 0 (grouped-query attention: query head h uses kv head h / (nh / nkv)).
 * A query row that sees no key gives zeros.
 *
 * @example
 * attention(q, k, v);                                        // causal self-attention, (B, nh, T, hs)
 * attention(q, k, v, { causal: false, keyMask: padMask });   // encoder with padding
 * noGrad(() => attention(q1, kCache, vCache, { posOffset: t, kvLen: t + 1 })); // one decode step
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const where = 'attention';
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4) {
    throw new LlmtsError('E_SHAPE', `attention needs 4-D q, k, v (B, heads, T, hs), got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`, { where });
  }
  const [B, nh, Tq, hs] = q.shape as [number, number, number, number];
  const [kB, nkv, kvCap, khs] = k.shape as [number, number, number, number];
  if (kB !== B || khs !== hs || k.shape.join(',') !== v.shape.join(',') || nkv === 0 || nh % nkv !== 0) {
    throw new LlmtsError('E_SHAPE', `attention: q ${fmtShape(q.shape)} does not fit k ${fmtShape(k.shape)} / v ${fmtShape(v.shape)}`, {
      where, hint: 'k and v must be (B, nkv, T, hs) with the batch and head size of q, and nh a multiple of nkv' });
  }
  const Tk = opts.kvLen ?? kvCap;
  if (!Number.isInteger(Tk) || Tk < 0 || Tk > kvCap) {
    throw new LlmtsError('E_SHAPE', `attention: kvLen ${Tk} is outside the cache capacity ${kvCap}`, { where });
  }
  const needsGrad = isGradEnabled() && (q.requiresGrad || k.requiresGrad || v.requiresGrad);
  if (needsGrad && Tk !== kvCap) {
    throw new LlmtsError('E_UNSUPPORTED', 'attention over a partly filled KV cache (kvLen < capacity) has no backward', {
      where, hint: 'run cached decoding inside noGrad(), or pass full-length k and v for training' });
  }
  let mask: Float32Array | null = null;
  if (opts.keyMask) {
    mask = opts.keyMask instanceof Tensor ? opts.keyMask.data : opts.keyMask;
    if (mask.length !== B * Tk) {
      throw new LlmtsError('E_SHAPE', `attention: keyMask has ${mask.length} entries, expected B * Tk = ${B * Tk}`, {
        where, hint: 'keyMask is (B, Tk) of 0/1, 1 = visible key' });
    }
  }
  const causal = opts.causal ?? true;
  const posOffset = opts.posOffset ?? 0;
  const sc = opts.scale ?? 1 / Math.sqrt(hs);
  const be = backend();
  const out = Tensor.empty([B, nh, Tq, hs]); // (B, nh, Tq, hs)
  const att = pool.acquire(B * nh * Tq * Tk); // (B, nh, Tq, Tk) probabilities, saved for backward
  be.attention(B, nh, nkv, Tq, Tk, kvCap, hs, sc, causal, posOffset, mask, q.data, k.data, v.data, out.data, att);
  return record(out, 'attention', [q, k, v], [att], (dout) => {
    const dq = gradOf(q), dk = gradOf(k), dv = gradOf(v);
    const sq = dq ?? pool.acquireZeroed(q.size), sk = dk ?? pool.acquireZeroed(k.size), sv = dv ?? pool.acquireZeroed(v.size);
    be.attentionBackward(B, nh, nkv, Tq, Tk, hs, sc, q.data, k.data, v.data, att, dout, sq, sk, sv);
    if (!dq) pool.release(sq);
    if (!dk) pool.release(sk);
    if (!dv) pool.release(sv);
  });
}

/** Options of `attentionQkv`. */
export interface AttentionQkvOptions {
  /** Query t sees keys j <= t. Default true. */
  causal?: boolean;
  /** Score scale; default 1/sqrt(hs). */
  scale?: number;
  /** (B, T) of 0/1: keys with 0 are hidden (padding). */
  keyMask?: Tensor | Float32Array | null;
}

/**
 * Self-attention straight from a fused projection, without head transposes or splits:
 * qkv (B, T, 3C) with each row [q | k | v] (C = nHead * hs, heads side by side) ->
 * (B, T, C) with heads side by side. Equal to splitting qkv, `transpose12` of each part
 * to (B, nh, T, hs), `attention`, and transposing back.
 *
 * @example
 * const y = attentionQkv(linear(x, wAttn, bAttn), 12); // (B, T, 2304) -> (B, T, 768)
 */
export function attentionQkv(qkv: Tensor, nHead: number, opts: AttentionQkvOptions = {}): Tensor {
  const where = 'attentionQkv';
  if (qkv.ndim !== 3 || qkv.shape[2]! % (3 * nHead) !== 0 || nHead < 1) {
    throw new LlmtsError('E_SHAPE', `attentionQkv needs qkv (B, T, 3 * nHead * hs) for nHead ${nHead}, got ${fmtShape(qkv.shape)}`, {
      where, hint: 'the last dim holds q, k and v side by side, each nHead * hs wide' });
  }
  const [B, T, C3] = qkv.shape as [number, number, number];
  const C = C3 / 3, hs = C / nHead;
  let mask: Float32Array | null = null;
  if (opts.keyMask) {
    mask = opts.keyMask instanceof Tensor ? opts.keyMask.data : opts.keyMask;
    if (mask.length !== B * T) {
      throw new LlmtsError('E_SHAPE', `attentionQkv: keyMask has ${mask.length} entries, expected B * T = ${B * T}`, {
        where, hint: 'keyMask is (B, T) of 0/1, 1 = visible key' });
    }
  }
  const causal = opts.causal ?? true;
  const sc = opts.scale ?? 1 / Math.sqrt(hs);
  const be = backend();
  const out = Tensor.empty([B, T, C]); // (B, T, C)
  const att = pool.acquire(B * nHead * T * T); // (B, nh, T, T) probabilities, saved for backward
  be.attentionQkv(B, T, nHead, hs, sc, causal, mask, qkv.data, out.data, att);
  return record(out, 'attentionQkv', [qkv], [att], (dout) => {
    const dqkv = gradOf(qkv); // (B, T, 3C)
    if (dqkv) be.attentionQkvBackward(B, T, nHead, hs, sc, qkv.data, att, dout, dqkv);
  }, { readsOutput: false });
}

/** Options of `rope`. */
export interface RopeOptions {
  /** Position of time step 0. Default 0. */
  posOffset?: number;
  /** Base of the frequencies. Default 10000. */
  theta?: number;
  /** Rotate pairs (2i, 2i+1) (llama2.c / Meta) instead of halves (i, i + hs/2) (Hugging Face). Default false. */
  interleaved?: boolean;
  /** Inverse frequencies (hs/2) of a scaled RoPE (src/nn/rope-scaling.ts); default theta^(-2i/hs). */
  invFreq?: Float32Array | null;
  /** Factor on cos and sin (YaRN's attention factor). Default 1. */
  attnFactor?: number;
}

/**
 * Rotary position embedding of x (B, H, T, hs), hs even; returns a rotated copy.
 *
 * @example
 * const qr = rope(q, { posOffset: 0 }); // (B, nh, T, hs)
 */
export function rope(x: Tensor, opts: RopeOptions = {}): Tensor {
  if (x.ndim !== 4 || x.shape[3]! % 2 !== 0) {
    throw new LlmtsError('E_SHAPE', `rope needs x (B, H, T, hs) with even hs, got ${fmtShape(x.shape)}`, { where: 'rope' });
  }
  const [B, H, T, hs] = x.shape as [number, number, number, number];
  const posOffset = opts.posOffset ?? 0, theta = opts.theta ?? 10000, interleaved = opts.interleaved ?? false;
  const invFreq = opts.invFreq ?? null, attnFactor = opts.attnFactor ?? 1;
  const be = backend();
  const out = Tensor.empty(x.shape); // (B, H, T, hs)
  out.data.set(x.data);
  be.rope(B, H, T, hs, posOffset, theta, interleaved, false, out.data, invFreq, attnFactor);
  return record(out, 'rope', [x], [], (dout) => {
    // the rotation (times attnFactor) is orthogonal up to that factor: its backward (the transpose) is the inverse rotation
    const sx = gradFor(x);
    if (!sx) return;
    if (sx.fresh) {
      sx.g.set(dout);
      be.rope(B, H, T, hs, posOffset, theta, interleaved, true, sx.g, invFreq, attnFactor);
      return;
    }
    const dx = sx.g;
    const tmp = pool.acquire(x.size);
    tmp.set(dout);
    be.rope(B, H, T, hs, posOffset, theta, interleaved, true, tmp, invFreq, attnFactor);
    be.axpy(x.size, 1, tmp, dx);
    pool.release(tmp);
  });
}
