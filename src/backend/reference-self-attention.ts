/**
 * The reference backend's `selfAttention` and its backward, by their definition: rotated
 * (B, heads, T, hs) copies of q and k, the backend's own `attention` /
 * `attentionBackward` on the head transposes, and the heads merged back; lse from the
 * scores. Float32 or float64 buffers (float64: the gradient checks). Installed as methods
 * of the ReferenceBackend (`this` is the backend).
 *
 * @example
 * referenceBackend().selfAttention(B, T, nh, nkv, hs, 1 / Math.sqrt(hs), true, null, null, false, q, k, v, out, lse);
 */
type Buf = Float32Array | Float64Array;

/** The kernels of the backend the definition is built from. */
interface AttentionKernels {
  attention(B: number, nh: number, nkv: number, Tq: number, Tk: number, kvCap: number, hs: number,
    scale: number, causal: boolean, posOffset: number, keyMask: Buf | null, q: Buf, k: Buf, v: Buf, out: Buf, att: Buf): void;
  attentionBackward(B: number, nh: number, nkv: number, Tq: number, Tk: number, hs: number, scale: number,
    q: Buf, k: Buf, v: Buf, att: Buf, dout: Buf, dq: Buf, dk: Buf, dv: Buf): void;
}

/** A zeroed buffer of n elements of x's type. */
function like(x: Buf, n: number): Buf {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** x (BH, T, hs) rotated in place by the cos/sin table cs (T, hs/2, 2); inverse rotates back. */
function rotateHeads(BH: number, T: number, hs: number, cs: Buf, interleaved: boolean, inverse: boolean, x: Buf): void {
  const half = hs >> 1;
  for (let bh = 0; bh < BH; bh++) {
    for (let t = 0; t < T; t++) {
      const o = (bh * T + t) * hs;
      for (let i = 0; i < half; i++) {
        const c = cs[(t * half + i) * 2]!, s = (inverse ? -1 : 1) * cs[(t * half + i) * 2 + 1]!;
        const i0 = interleaved ? o + 2 * i : o + i, i1 = interleaved ? o + 2 * i + 1 : o + i + half;
        const x0 = x[i0]!, x1 = x[i1]!;
        x[i0] = x0 * c - x1 * s;
        x[i1] = x0 * s + x1 * c;
      }
    }
  }
}

/** x (B, T, H*hs) -> (B, H, T, hs) copy. */
function splitHeads(B: number, T: number, H: number, hs: number, x: Buf): Buf {
  const out = like(x, B * H * T * hs);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        for (let e = 0; e < hs; e++) out[((b * H + h) * T + t) * hs + e] = x[(b * T + t) * H * hs + h * hs + e]!;
      }
    }
  }
  return out;
}

/** dst (B, T, H*hs) += x (B, H, T, hs). */
function addMerged(B: number, T: number, H: number, hs: number, x: Buf, dst: Buf): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        for (let e = 0; e < hs; e++) dst[(b * T + t) * H * hs + h * hs + e]! += x[((b * H + h) * T + t) * hs + e]!;
      }
    }
  }
}

/** The (B, heads, T, hs) copies of q, k, v, q and k rotated by cs when given. */
function headsOf(B: number, T: number, nh: number, nkv: number, hs: number, cs: Buf | null, interleaved: boolean,
  q: Buf, k: Buf, v: Buf): [Buf, Buf, Buf] {
  const qh = splitHeads(B, T, nh, hs, q), kh = splitHeads(B, T, nkv, hs, k), vh = splitHeads(B, T, nkv, hs, v);
  if (cs) {
    rotateHeads(B * nh, T, hs, cs, interleaved, false, qh);
    rotateHeads(B * nkv, T, hs, cs, interleaved, false, kh);
  }
  return [qh, kh, vh];
}

/** Backend.selfAttention (see backend.ts). */
export function refSelfAttention(this: AttentionKernels, B: number, T: number, nh: number, nkv: number, hs: number,
  scale: number, causal: boolean, keyMask: Buf | null, cs: Buf | null, interleaved: boolean,
  q: Buf, k: Buf, v: Buf, out: Buf, lse: Buf): void {
  const [qh, kh, vh] = headsOf(B, T, nh, nkv, hs, cs, interleaved, q, k, v);
  const oh = like(q, qh.length);
  this.attention(B, nh, nkv, T, T, T, hs, scale, causal, 0, keyMask, qh, kh, vh, oh, like(q, B * nh * T * T));
  out.fill(0);
  addMerged(B, T, nh, hs, oh, out);
  const group = nh / nkv;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const kvBase = (b * nkv + Math.floor(h / group)) * T * hs;
      for (let i = 0; i < T; i++) {
        const qo = ((b * nh + h) * T + i) * hs;
        const s: number[] = []; // the visible keys' scaled scores
        for (let j = 0; j < (causal ? i + 1 : T); j++) {
          if (keyMask && keyMask[b * T + j] === 0) continue;
          let dot = 0;
          for (let d = 0; d < hs; d++) dot += qh[qo + d]! * kh[kvBase + j * hs + d]!;
          s.push(dot * scale);
        }
        const max = s.reduce((m, x) => Math.max(m, x), -Infinity);
        lse[(b * nh + h) * T + i] = max === -Infinity ? -Infinity : max + Math.log(s.reduce((a, x) => a + Math.exp(x - max), 0));
      }
    }
  }
}

/** Backend.selfAttentionBackward (see backend.ts): the probabilities recomputed by `attention`; out and lse unused. */
export function refSelfAttentionBackward(this: AttentionKernels, B: number, T: number, nh: number, nkv: number, hs: number,
  scale: number, causal: boolean, keyMask: Buf | null, cs: Buf | null, interleaved: boolean,
  q: Buf, k: Buf, v: Buf, _out: Buf, _lse: Buf, dout: Buf, dq: Buf, dk: Buf, dv: Buf): void {
  const [qh, kh, vh] = headsOf(B, T, nh, nkv, hs, cs, interleaved, q, k, v);
  const att = like(q, B * nh * T * T);
  this.attention(B, nh, nkv, T, T, T, hs, scale, causal, 0, keyMask, qh, kh, vh, like(q, qh.length), att);
  const dqh = like(q, qh.length), dkh = like(q, kh.length), dvh = like(q, vh.length);
  this.attentionBackward(B, nh, nkv, T, T, hs, scale, qh, kh, vh, att, splitHeads(B, T, nh, hs, dout), dqh, dkh, dvh);
  if (cs) {
    rotateHeads(B * nh, T, hs, cs, interleaved, true, dqh);
    rotateHeads(B * nkv, T, hs, cs, interleaved, true, dkh);
  }
  addMerged(B, T, nh, hs, dqh, dq);
  addMerged(B, T, nkv, hs, dkh, dk);
  addMerged(B, T, nkv, hs, dvh, dv);
}
