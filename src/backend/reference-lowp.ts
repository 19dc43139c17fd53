/**
 * The bf16 and int8 kernels of `Backend` in plain TypeScript: the oracle the native
 * kernels (native/src/kernels/lowp_*.c) are tested against and the fallback without the
 * addon. Sums run in float64 over exactly the values the kernels multiply: bf16-rounded
 * operands, Q8_0-quantised weights and activations.
 *
 * @example
 * refGemvQ8_0(1, N, K, x, wq, y); // y (1, N) = x (1, K) . dequantised W (N, K)^T
 */
import type { Backend } from './backend.ts';
import {
  Q8_0_BLOCK, Q8_0_BYTES, bf16Round, bf16ToFloat, checkQ8_0Row, q8_0Bytes, q8_0Scale, quantizeQ8_0Block,
} from './lowp-format.ts';

/** out[i] = bf16 bits of x[i]. */
export function refToBf16(n: number, x: Float32Array, out: Uint16Array): void {
  for (let i = 0; i < n; i++) out[i] = bf16Round(x[i]!);
}

/** out[i] = the value of bf16 bits x[i]. */
export function refFromBf16(n: number, x: Uint16Array, out: Float32Array): void {
  for (let i = 0; i < n; i++) out[i] = bf16ToFloat(x[i]!);
}

/** The values an operand multiplies with: bf16 as floats, fp32 rounded to bf16. */
function bf16Values(x: Float32Array | Uint16Array): Float32Array {
  const out = new Float32Array(x.length);
  if (x instanceof Uint16Array) refFromBf16(x.length, x, out);
  else for (let i = 0; i < x.length; i++) out[i] = bf16ToFloat(bf16Round(x[i]!));
  return out;
}

/** gemmBf16 as the fp32 reference GEMM over the operands' bf16 values. */
export function refGemmBf16(gemm: Backend['gemm'], transA: boolean, transB: boolean, M: number, N: number,
  K: number, alpha: number, a: Float32Array | Uint16Array, lda: number, strideA: number,
  b: Float32Array | Uint16Array, ldb: number, strideB: number, beta: number, c: Float32Array, ldc: number,
  strideC: number, batch: number): void {
  gemm(transA, transB, M, N, K, alpha, bf16Values(a), lda, strideA, bf16Values(b), ldb, strideB, beta, c, ldc,
    strideC, batch);
}

/** y (M, N) = x (M, K) W^T, W (N, K) in bf16. */
export function refGemvBf16(M: number, N: number, K: number, x: Float32Array, w: Uint16Array, y: Float32Array): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[m * K + k]! * bf16ToFloat(w[n * K + k]!);
      y[m * N + n] = s;
    }
  }
}

/** n floats (n % 32 == 0) -> n / 32 Q8_0 blocks. */
export function refQuantizeQ8_0(n: number, x: Float32Array, out: Uint8Array): void {
  checkQ8_0Row('quantizeQ8_0', n);
  for (let b = 0; b < n / Q8_0_BLOCK; b++) quantizeQ8_0Block(x, b * Q8_0_BLOCK, out, b * Q8_0_BYTES);
}

/** n / 32 Q8_0 blocks -> n floats (d * q). */
export function refDequantizeQ8_0(n: number, q: Uint8Array, out: Float32Array): void {
  checkQ8_0Row('dequantizeQ8_0', n);
  for (let b = 0; b < n / Q8_0_BLOCK; b++) {
    const d = q8_0Scale(q, b * Q8_0_BYTES);
    for (let i = 0; i < Q8_0_BLOCK; i++) {
      const v = q[b * Q8_0_BYTES + 2 + i]!;
      out[b * Q8_0_BLOCK + i] = d * (v > 127 ? v - 256 : v);
    }
  }
}

/**
 * y (M, N) = x (M, K) W^T, W (N, K) in Q8_0: each row of x quantised to Q8_0, per block
 * the exact int8 dot product times d_w * d_x (an fp32 product, as llama.cpp's), summed.
 */
export function refGemvQ8_0(M: number, N: number, K: number, x: Float32Array, w: Uint8Array, y: Float32Array): void {
  checkQ8_0Row('gemvQ8_0', K);
  const nb = K / Q8_0_BLOCK;
  const xq = new Uint8Array(q8_0Bytes(M * K));
  refQuantizeQ8_0(M * K, x, xq);
  const s8 = (v: number): number => (v > 127 ? v - 256 : v);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let b = 0; b < nb; b++) {
        const wo = (n * nb + b) * Q8_0_BYTES, xo = (m * nb + b) * Q8_0_BYTES;
        let dot = 0;
        for (let i = 2; i < Q8_0_BYTES; i++) dot += s8(w[wo + i]!) * s8(xq[xo + i]!);
        s += Math.fround(q8_0Scale(w, wo) * q8_0Scale(xq, xo)) * dot;
      }
      y[m * N + n] = s;
    }
  }
}
