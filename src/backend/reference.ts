/**
 * The reference backend: every kernel of `Backend` in plain TypeScript, with clear loops.
 * It is the oracle the native kernels are tested against and the fallback when the addon
 * cannot load. Semantics follow src/backend/backend.ts exactly.
 *
 * Every kernel also accepts Float64Array buffers (the `Buf` type), so tests can run a
 * forward and backward pass entirely in float64 and compare with finite differences.
 *
 * @example
 * const ref = new ReferenceBackend();
 * const x = new Float64Array([1, 2, 3]), y = new Float64Array(3);
 * ref.softmax(1, 3, x, y); // y = [0.090, 0.245, 0.665]
 */
import type { Backend } from './backend.ts';
import { hashUniform } from '../util/rng.ts';
import {
  refDequantizeQ8_0, refFromBf16, refGemmBf16, refGemvBf16, refGemvQ8_0, refQuantizeQ8_0, refToBf16,
} from './reference-lowp.ts';
import { refSelfAttention, refSelfAttentionBackward } from './reference-self-attention.ts';
import { refGelu, refGeluBackward, refGeluErf, refGeluErfBackward } from './reference-gelu.ts';
import { refAddLayerNorm, refBiasGeluErf, refPackedAttention } from './reference-encoder.ts';

/** A float buffer the reference kernels accept: float32 (as in `Backend`) or float64 (for gradchecks). */
export type Buf = Float32Array | Float64Array;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Plain-TypeScript implementation of every kernel (single thread). */
export class ReferenceBackend implements Backend {
  readonly name = 'reference';

  getThreads(): number {
    return 1;
  }

  setThreads(_n: number): void {
    // the reference backend is single-threaded
  }

  // ---------------------------------------------------------------- GEMM
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, a: Buf, lda: number, strideA: number,
    b: Buf, ldb: number, strideB: number,
    beta: number, c: Buf, ldc: number, strideC: number,
    batch: number,
  ): void {
    // C(i, j) = beta C(i, j) + alpha sum_p A(i, p) B(p, j), the sum over p in order, in float64.
    // Loop structure (for speed in plain JS, same result): op(B) is copied a panel of
    // columns at a time into a row-major float64 buffer, and 4 rows of C accumulate at once.
    const NB = 256;
    const panel = new Float64Array(K * Math.min(NB, N));
    const acc = new Float64Array(4 * Math.min(NB, N));
    for (let bi = 0; bi < batch; bi++) {
      const oa = bi * strideA, ob = bi * strideB, oc = bi * strideC;
      const A = (i: number, p: number): number => (transA ? a[oa + p * lda + i] : a[oa + i * lda + p]);
      for (let j0 = 0; j0 < N; j0 += NB) {
        const nb = Math.min(NB, N - j0);
        // panel(p, jj) = op(B)(p, j0 + jj)
        for (let p = 0; p < K; p++) {
          for (let jj = 0; jj < nb; jj++) {
            const j = j0 + jj;
            panel[p * nb + jj] = transB ? b[ob + j * ldb + p] : b[ob + p * ldb + j];
          }
        }
        for (let i0 = 0; i0 < M; i0 += 4) {
          const rows = Math.min(4, M - i0);
          acc.fill(0);
          for (let p = 0; p < K; p++) {
            const a0 = A(i0, p);
            const a1 = rows > 1 ? A(i0 + 1, p) : 0;
            const a2 = rows > 2 ? A(i0 + 2, p) : 0;
            const a3 = rows > 3 ? A(i0 + 3, p) : 0;
            const po = p * nb;
            for (let jj = 0; jj < nb; jj++) {
              const bv = panel[po + jj];
              acc[jj] += a0 * bv;
              acc[nb + jj] += a1 * bv;
              acc[2 * nb + jj] += a2 * bv;
              acc[3 * nb + jj] += a3 * bv;
            }
          }
          for (let r = 0; r < rows; r++) {
            const crow = oc + (i0 + r) * ldc + j0;
            for (let jj = 0; jj < nb; jj++) {
              const v = alpha * acc[r * nb + jj];
              c[crow + jj] = beta === 0 ? v : v + beta * c[crow + jj];
            }
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- bf16 and int8 (reference-lowp.ts)
  toBf16(n: number, x: Float32Array, out: Uint16Array): void {
    refToBf16(n, x, out);
  }

  fromBf16(n: number, x: Uint16Array, out: Float32Array): void {
    refFromBf16(n, x, out);
  }

  gemmBf16(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    a: Float32Array | Uint16Array, lda: number, strideA: number, b: Float32Array | Uint16Array, ldb: number,
    strideB: number, beta: number, c: Float32Array, ldc: number, strideC: number, batch: number): void {
    refGemmBf16(this.gemm.bind(this), transA, transB, M, N, K, alpha, a, lda, strideA, b, ldb, strideB, beta, c,
      ldc, strideC, batch);
  }

  gemvBf16(M: number, N: number, K: number, x: Float32Array, w: Uint16Array, y: Float32Array): void {
    refGemvBf16(M, N, K, x, w, y);
  }

  quantizeQ8_0(n: number, x: Float32Array, out: Uint8Array): void {
    refQuantizeQ8_0(n, x, out);
  }

  dequantizeQ8_0(n: number, q: Uint8Array, out: Float32Array): void {
    refDequantizeQ8_0(n, q, out);
  }

  gemvQ8_0(M: number, N: number, K: number, x: Float32Array, w: Uint8Array, y: Float32Array): void {
    refGemvQ8_0(M, N, K, x, w, y);
  }

  // ---------------------------------------------------------------- elementwise
  add(n: number, a: Buf, b: Buf, out: Buf): void {
    for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  }

  mul(n: number, a: Buf, b: Buf, out: Buf): void {
    for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  }

  mulAcc(n: number, a: Buf, b: Buf, out: Buf): void {
    for (let i = 0; i < n; i++) out[i] += a[i] * b[i];
  }

  scale(n: number, s: number, x: Buf, out: Buf): void {
    for (let i = 0; i < n; i++) out[i] = s * x[i];
  }

  axpy(n: number, alpha: number, x: Buf, y: Buf): void {
    for (let i = 0; i < n; i++) y[i] += alpha * x[i];
  }

  addBias(rows: number, cols: number, x: Buf, bias: Buf, out: Buf): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) out[o + c] = x[o + c] + bias[c];
    }
  }

  addBiasBackward(rows: number, cols: number, dout: Buf, dbias: Buf): void {
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += dout[r * cols + c];
      dbias[c] += s;
    }
  }

  // ---------------------------------------------------------------- reductions
  sumAxis(outer: number, axis: number, inner: number, x: Buf, out: Buf): void {
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        let s = 0;
        for (let a = 0; a < axis; a++) s += x[(o * axis + a) * inner + k];
        out[o * inner + k] = s;
      }
    }
  }

  sumAxisBackward(outer: number, axis: number, inner: number, s: number, dout: Buf, dx: Buf): void {
    for (let o = 0; o < outer; o++) {
      for (let a = 0; a < axis; a++) {
        const base = (o * axis + a) * inner;
        for (let k = 0; k < inner; k++) dx[base + k] += s * dout[o * inner + k];
      }
    }
  }

  sumSquares(n: number, x: Buf): number {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * x[i];
    return s;
  }

  argmax(n: number, x: Buf): number {
    let best = 0;
    for (let i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
  }

  // ---------------------------------------------------------------- layout
  transpose12(d0: number, d1: number, d2: number, d3: number, x: Buf, out: Buf): void {
    for (let i0 = 0; i0 < d0; i0++) {
      for (let i1 = 0; i1 < d1; i1++) {
        for (let i2 = 0; i2 < d2; i2++) {
          const src = ((i0 * d1 + i1) * d2 + i2) * d3;
          const dst = ((i0 * d2 + i2) * d1 + i1) * d3;
          for (let i3 = 0; i3 < d3; i3++) out[dst + i3] = x[src + i3];
        }
      }
    }
  }

  // ---------------------------------------------------------------- softmax / norms / activations
  softmax(rows: number, cols: number, x: Buf, out: Buf): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, x[o + c]);
      let sum = 0;
      for (let c = 0; c < cols; c++) {
        const e = Math.exp(x[o + c] - max);
        out[o + c] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let c = 0; c < cols; c++) out[o + c] *= inv;
    }
  }

  softmaxBackward(rows: number, cols: number, y: Buf, dy: Buf, dx: Buf): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += dy[o + c] * y[o + c];
      for (let c = 0; c < cols; c++) dx[o + c] += y[o + c] * (dy[o + c] - dot);
    }
  }

  layerNorm(rows: number, C: number, eps: number, x: Buf, w: Buf, b: Buf, out: Buf, mean: Buf, rstd: Buf): void {
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let m = 0;
      for (let c = 0; c < C; c++) m += x[o + c];
      m /= C;
      let v = 0;
      for (let c = 0; c < C; c++) {
        const d = x[o + c] - m;
        v += d * d;
      }
      v /= C;
      const s = 1 / Math.sqrt(v + eps);
      for (let c = 0; c < C; c++) out[o + c] = (x[o + c] - m) * s * w[c] + b[c];
      mean[r] = m;
      rstd[r] = s;
    }
  }

  layerNormBackward(rows: number, C: number, dout: Buf, x: Buf, w: Buf, mean: Buf, rstd: Buf,
    dx: Buf, dw: Buf, db: Buf): void {
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      const m = mean[r], s = rstd[r];
      // dnorm = dout * w; dx = s * (dnorm - mean(dnorm) - norm * mean(dnorm * norm))
      let dnormMean = 0, dnormNormMean = 0;
      for (let c = 0; c < C; c++) {
        const norm = (x[o + c] - m) * s;
        const dnorm = dout[o + c] * w[c];
        dnormMean += dnorm;
        dnormNormMean += dnorm * norm;
      }
      dnormMean /= C;
      dnormNormMean /= C;
      for (let c = 0; c < C; c++) {
        const norm = (x[o + c] - m) * s;
        const dnorm = dout[o + c] * w[c];
        db[c] += dout[o + c];
        dw[c] += norm * dout[o + c];
        dx[o + c] += s * (dnorm - dnormMean - norm * dnormNormMean);
      }
    }
  }

  rmsNorm(rows: number, C: number, eps: number, x: Buf, w: Buf, out: Buf, rstd: Buf): void {
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let ss = 0;
      for (let c = 0; c < C; c++) ss += x[o + c] * x[o + c];
      const s = 1 / Math.sqrt(ss / C + eps);
      for (let c = 0; c < C; c++) out[o + c] = x[o + c] * s * w[c];
      rstd[r] = s;
    }
  }

  rmsNormBackward(rows: number, C: number, dout: Buf, x: Buf, w: Buf, rstd: Buf, dx: Buf, dw: Buf): void {
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      const s = rstd[r];
      // n = x * s; dn = dout * w; dx = s * (dn - n * mean(dn * n))
      let dnN = 0;
      for (let c = 0; c < C; c++) dnN += dout[o + c] * w[c] * x[o + c] * s;
      dnN /= C;
      for (let c = 0; c < C; c++) {
        const n = x[o + c] * s;
        dw[c] += dout[o + c] * n;
        dx[o + c] += s * (dout[o + c] * w[c] - n * dnN);
      }
    }
  }

  gelu = refGelu;
  geluBackward = refGeluBackward;
  geluErf = refGeluErf;
  geluErfBackward = refGeluErfBackward;

  silu(n: number, x: Buf, out: Buf): void {
    for (let i = 0; i < n; i++) out[i] = x[i] * sigmoid(x[i]);
  }

  siluBackward(n: number, x: Buf, dout: Buf, dx: Buf): void {
    for (let i = 0; i < n; i++) {
      const s = sigmoid(x[i]);
      dx[i] += s * (1 + x[i] * (1 - s)) * dout[i];
    }
  }

  swiglu(n: number, gate: Buf, up: Buf, out: Buf): void {
    for (let i = 0; i < n; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
  }

  swigluBackward(n: number, gate: Buf, up: Buf, dout: Buf, dgate: Buf, dup: Buf): void {
    for (let i = 0; i < n; i++) {
      const g = gate[i];
      const s = sigmoid(g);
      dgate[i] += s * (1 + g * (1 - s)) * up[i] * dout[i];
      dup[i] += g * s * dout[i];
    }
  }

  // ---------------------------------------------------------------- attention
  attention(B: number, nh: number, nkv: number, Tq: number, Tk: number, kvCap: number, hs: number,
    scale: number, causal: boolean, posOffset: number, keyMask: Buf | null,
    q: Buf, k: Buf, v: Buf, out: Buf, att: Buf): void {
    const group = nh / nkv;
    const scores = new Float64Array(Tk);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < nh; h++) {
        const kvBase = (b * nkv + Math.floor(h / group)) * kvCap * hs;
        for (let i = 0; i < Tq; i++) {
          const qo = ((b * nh + h) * Tq + i) * hs;
          const ao = ((b * nh + h) * Tq + i) * Tk;
          const last = causal ? Math.min(Tk - 1, posOffset + i) : Tk - 1;
          let max = -Infinity;
          for (let j = 0; j < Tk; j++) {
            const visible = j <= last && (keyMask === null || keyMask[b * Tk + j] !== 0);
            if (!visible) {
              scores[j] = -Infinity;
              continue;
            }
            let s = 0;
            for (let d = 0; d < hs; d++) s += q[qo + d] * k[kvBase + j * hs + d];
            scores[j] = s * scale;
            if (scores[j] > max) max = scores[j];
          }
          for (let d = 0; d < hs; d++) out[qo + d] = 0;
          if (max === -Infinity) {
            // this query sees no key: zero probabilities, zero output
            for (let j = 0; j < Tk; j++) att[ao + j] = 0;
            continue;
          }
          let sum = 0;
          for (let j = 0; j < Tk; j++) {
            const e = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max);
            scores[j] = e;
            sum += e;
          }
          for (let j = 0; j < Tk; j++) {
            const p = scores[j] / sum;
            att[ao + j] = p;
            if (p === 0) continue;
            for (let d = 0; d < hs; d++) out[qo + d] += p * v[kvBase + j * hs + d];
          }
        }
      }
    }
  }

  attentionBackward(B: number, nh: number, nkv: number, Tq: number, Tk: number, hs: number, scale: number,
    q: Buf, k: Buf, v: Buf, att: Buf, dout: Buf, dq: Buf, dk: Buf, dv: Buf): void {
    const group = nh / nkv;
    const datt = new Float64Array(Tk);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < nh; h++) {
        const kvBase = (b * nkv + Math.floor(h / group)) * Tk * hs;
        for (let i = 0; i < Tq; i++) {
          const qo = ((b * nh + h) * Tq + i) * hs;
          const ao = ((b * nh + h) * Tq + i) * Tk;
          // datt_j = dout_i . v_j ; dv_j += att_ij * dout_i
          let dot = 0;
          for (let j = 0; j < Tk; j++) {
            const p = att[ao + j];
            let s = 0;
            for (let d = 0; d < hs; d++) s += dout[qo + d] * v[kvBase + j * hs + d];
            datt[j] = s;
            dot += p * s;
            if (p === 0) continue;
            for (let d = 0; d < hs; d++) dv[kvBase + j * hs + d] += p * dout[qo + d];
          }
          // dscore_j = att_ij * (datt_j - sum_j att_ij datt_j); dq_i += scale dscore_j k_j; dk_j += scale dscore_j q_i
          for (let j = 0; j < Tk; j++) {
            const p = att[ao + j];
            if (p === 0) continue;
            const ds = p * (datt[j] - dot) * scale;
            for (let d = 0; d < hs; d++) {
              dq[qo + d] += ds * k[kvBase + j * hs + d];
              dk[kvBase + j * hs + d] += ds * q[qo + d];
            }
          }
        }
      }
    }
  }

  attentionQkv(B: number, T: number, nh: number, hs: number, scale: number, causal: boolean,
    keyMask: Buf | null, qkv: Buf, out: Buf, att: Buf): void {
    // the definition: split heads into (B, nh, T, hs) copies, attention, merge heads back
    const [q, k, v] = splitQkv(B, T, nh, hs, qkv);
    const o = like(qkv, q.length);
    this.attention(B, nh, nh, T, T, T, hs, scale, causal, 0, keyMask, q, k, v, o, att);
    mergeHeads(B, T, nh, hs, o, out, 0, nh * hs, false);
  }

  attentionQkvBackward(B: number, T: number, nh: number, hs: number, scale: number,
    qkv: Buf, att: Buf, dout: Buf, dqkv: Buf): void {
    const [q, k, v] = splitQkv(B, T, nh, hs, qkv);
    const n = q.length, C = nh * hs;
    const dq = like(qkv, n), dk = like(qkv, n), dv = like(qkv, n), d = like(qkv, n);
    // dout (B, T, C) -> (B, nh, T, hs)
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < nh; h++) {
          for (let e = 0; e < hs; e++) d[((b * nh + h) * T + t) * hs + e] = dout[(b * T + t) * C + h * hs + e]!;
        }
      }
    }
    this.attentionBackward(B, nh, nh, T, T, hs, scale, q, k, v, att, d, dq, dk, dv);
    mergeHeads(B, T, nh, hs, dq, dqkv, 0, 3 * C, true);
    mergeHeads(B, T, nh, hs, dk, dqkv, C, 3 * C, true);
    mergeHeads(B, T, nh, hs, dv, dqkv, 2 * C, 3 * C, true);
  }

  // encoder inference, forward only: reference-encoder.ts
  packedAttention = refPackedAttention;
  biasGeluErf = refBiasGeluErf;
  addLayerNorm = refAddLayerNorm;

  // training self-attention (the definition, by rope + attention): reference-self-attention.ts
  selfAttention = refSelfAttention;
  selfAttentionBackward = refSelfAttentionBackward;

  rope(B: number, H: number, T: number, hs: number, posOffset: number, theta: number,
    interleaved: boolean, inverse: boolean, x: Buf, invFreq: Float32Array | null = null, attnFactor = 1): void {
    const half = hs >> 1;
    const sign = inverse ? -1 : 1;
    for (let bh = 0; bh < B * H; bh++) {
      for (let t = 0; t < T; t++) {
        const o = (bh * T + t) * hs;
        const pos = posOffset + t;
        for (let i = 0; i < half; i++) {
          const angle = pos * (invFreq ? invFreq[i]! : Math.pow(theta, (-2 * i) / hs));
          const cos = attnFactor * Math.cos(angle), sin = attnFactor * sign * Math.sin(angle);
          const i0 = interleaved ? o + 2 * i : o + i;
          const i1 = interleaved ? o + 2 * i + 1 : o + i + half;
          const x0 = x[i0], x1 = x[i1];
          x[i0] = x0 * cos - x1 * sin;
          x[i1] = x0 * sin + x1 * cos;
        }
      }
    }
  }

  // ---------------------------------------------------------------- embedding / loss
  embedding(n: number, C: number, ids: Int32Array, table: Buf, out: Buf): void {
    for (let i = 0; i < n; i++) {
      const src = ids[i] * C;
      for (let c = 0; c < C; c++) out[i * C + c] = table[src + c];
    }
  }

  embeddingBackward(n: number, C: number, ids: Int32Array, dout: Buf, dtable: Buf): void {
    for (let i = 0; i < n; i++) {
      const dst = ids[i] * C;
      for (let c = 0; c < C; c++) dtable[dst + c] += dout[i * C + c];
    }
  }

  crossEntropy(N: number, V: number, logits: Buf, targets: Int32Array, ignoreIndex: number,
    losses: Buf, lse: Buf): number {
    let counted = 0;
    for (let r = 0; r < N; r++) {
      const o = r * V;
      let max = -Infinity;
      for (let c = 0; c < V; c++) max = Math.max(max, logits[o + c]);
      let sum = 0;
      for (let c = 0; c < V; c++) sum += Math.exp(logits[o + c] - max);
      const l = max + Math.log(sum);
      lse[r] = l;
      const t = targets[r];
      if (t === ignoreIndex) {
        losses[r] = 0;
        continue;
      }
      losses[r] = l - logits[o + t];
      counted++;
    }
    return counted;
  }

  crossEntropyBackward(N: number, V: number, logits: Buf, targets: Int32Array, ignoreIndex: number,
    lse: Buf, dloss: number, dlogits: Buf): void {
    for (let r = 0; r < N; r++) {
      const t = targets[r];
      if (t === ignoreIndex) continue;
      const o = r * V;
      const l = lse[r];
      for (let c = 0; c < V; c++) {
        const p = Math.exp(logits[o + c] - l);
        dlogits[o + c] += dloss * (c === t ? p - 1 : p);
      }
    }
  }

  dropout(n: number, p: number, seed: number, x: Buf, out: Buf, mask: Buf): void {
    const keepScale = p >= 1 ? 0 : 1 / (1 - p);
    for (let i = 0; i < n; i++) {
      mask[i] = hashUniform(seed, i) >= p ? keepScale : 0;
      out[i] = x[i] * mask[i];
    }
  }

  // ---------------------------------------------------------------- optimizers
  adamw(n: number, p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, t: number): void {
    const bc1 = 1 - Math.pow(beta1, t);
    const bc2 = 1 - Math.pow(beta2, t);
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      const mhat = m[i] / bc1;
      const vhat = v[i] / bc2;
      p[i] -= lr * (mhat / (Math.sqrt(vhat) + eps) + weightDecay * p[i]);
    }
  }

  sgd(n: number, p: Buf, g: Buf, buf: Buf, lr: number, momentum: number, weightDecay: number, nesterov: boolean): void {
    for (let i = 0; i < n; i++) {
      const gi = g[i] + weightDecay * p[i];
      buf[i] = momentum * buf[i] + gi;
      p[i] -= lr * (nesterov ? gi + momentum * buf[i] : buf[i]);
    }
  }
}

/** A zeroed buffer of n elements of x's type (float64 inside withFloat64). */
function like(x: Buf, n: number): Buf {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** qkv (B, T, 3C) -> q, k, v copies, each (B, nh, T, hs). */
function splitQkv(B: number, T: number, nh: number, hs: number, qkv: Buf): [Buf, Buf, Buf] {
  const C = nh * hs, n = B * T * C;
  const parts: [Buf, Buf, Buf] = [like(qkv, n), like(qkv, n), like(qkv, n)];
  for (let p = 0; p < 3; p++) {
    const dst = parts[p]!;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < nh; h++) {
          for (let e = 0; e < hs; e++) dst[((b * nh + h) * T + t) * hs + e] = qkv[(b * T + t) * 3 * C + p * C + h * hs + e]!;
        }
      }
    }
  }
  return parts;
}

/** x (B, nh, T, hs) -> columns [off, off + C) of dst (B, T, ld); adds when accumulate. */
function mergeHeads(B: number, T: number, nh: number, hs: number, x: Buf, dst: Buf, off: number, ld: number, accumulate: boolean): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < nh; h++) {
        for (let e = 0; e < hs; e++) {
          const i = (b * T + t) * ld + off + h * hs + e;
          const val = x[((b * nh + h) * T + t) * hs + e]!;
          dst[i] = accumulate ? dst[i]! + val : val;
        }
      }
    }
  }
}
