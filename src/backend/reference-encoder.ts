/**
 * The reference backend's encoder-inference kernels (see `Backend`): packed attention over
 * the rows of variable-length sequences, bias + exact GELU, bias + residual + LayerNorm.
 * Plain loops over float32 or float64 buffers; the oracle of native/src/kernels/encoder.c.
 *
 * @example
 * refAddLayerNorm(rows, C, 1e-12, y, bias, x, w, b, out); // out = LayerNorm(x + (y + bias))
 */
import { erf } from '../util/erf.ts';

type Buf = Float32Array | Float64Array;

/** Packed bidirectional attention (see `Backend.packedAttention`). */
export function refPackedAttention(S: number, nh: number, hs: number, scale: number, rowStart: Int32Array, nKeys: Int32Array,
  qkv: Buf, out: Buf): void {
  const C = nh * hs, ld = 3 * C;
  for (let s = 0; s < S; s++) {
    const r0 = rowStart[s]!, r1 = rowStart[s + 1]!, nk = nKeys[s]!;
    const p = new Float64Array(nk);
    for (let h = 0; h < nh; h++) {
      for (let i = r0; i < r1; i++) {
        const o = i * C + h * hs;
        if (nk === 0) {
          for (let d = 0; d < hs; d++) out[o + d] = 0;
          continue;
        }
        let mx = -Infinity;
        for (let j = 0; j < nk; j++) {
          let dot = 0;
          for (let d = 0; d < hs; d++) dot += qkv[i * ld + h * hs + d]! * qkv[(r0 + j) * ld + C + h * hs + d]!;
          p[j] = dot * scale;
          mx = Math.max(mx, p[j]!);
        }
        let sum = 0;
        for (let j = 0; j < nk; j++) {
          p[j] = Math.exp(p[j]! - mx);
          sum += p[j]!;
        }
        for (let d = 0; d < hs; d++) {
          let acc = 0;
          for (let j = 0; j < nk; j++) acc += p[j]! * qkv[(r0 + j) * ld + 2 * C + h * hs + d]!;
          out[o + d] = acc / sum;
        }
      }
    }
  }
}

/** out[r, c] = geluErf(x[r, c] + bias[c]). */
export function refBiasGeluErf(rows: number, cols: number, x: Buf, bias: Buf, out: Buf): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = x[r * cols + c]! + bias[c]!;
      out[r * cols + c] = 0.5 * v * (1 + erf(v * Math.SQRT1_2));
    }
  }
}

/** out = LayerNorm(residual + (x + bias)) per row of C (bias may be null). */
export function refAddLayerNorm(rows: number, C: number, eps: number, x: Buf, bias: Buf | null, residual: Buf,
  w: Buf, b: Buf, out: Buf): void {
  const u = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let m = 0;
    for (let c = 0; c < C; c++) {
      u[c] = residual[o + c]! + (x[o + c]! + (bias ? bias[c]! : 0));
      m += u[c]!;
    }
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (u[c]! - m) ** 2;
    const s = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) out[o + c] = (u[c]! - m) * s * w[c]! + b[c]!;
  }
}
