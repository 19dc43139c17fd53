/**
 * Weight encodings shared by GGUF export/import and `llmts quantize`, bit for bit as ggml
 * computes them (and as the `gguf` Python package does, which matches ggml):
 * - F16: IEEE half, round to nearest even (overflow -> inf, subnormals kept);
 * - BF16: the top 16 bits of the float32, round to nearest even, NaN kept quiet
 *   (ggml_compute_fp32_to_bf16);
 * - Q8_0: blocks of 32 weights -> 34 bytes: the scale d = max|x| / 127 as an fp16, then 32
 *   int8 q = roundf(x / d) (ggml's quantize_row_q8_0_ref: id = 1/d in float32, q =
 *   roundf(x * id), ties away from zero; an all-zero block has d = 0 and q = 0).
 * Every step rounds to float32 exactly where the C code does (double arithmetic on float32
 * inputs, rounded once, gives the float32 result for + - * /).
 *
 * @example
 * const q = quantizeQ8_0(weights);            // Uint8Array(34 * weights.length / 32)
 * const back = dequantizeQ8_0(q, weights.length); // |back - weights| <= d / 2 per block
 */
import { LlmtsError } from '../util/errors.ts';

/** The weight encodings we read and write (GGML type names). */
export type WeightType = 'F32' | 'F16' | 'BF16' | 'Q8_0';

/** Weights per Q8_0 block. */
export const Q8_0_BLOCK = 32;
/** Bytes per Q8_0 block: an fp16 scale and 32 int8. */
export const Q8_0_BLOCK_BYTES = 34;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE half bits, round to nearest even. @example f32ToF16Bits(1) // 0x3c00 */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const f = u32[0]!;
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // inf / quiet NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    // half subnormal (or zero): k * 2^-24 with k = M >> (14 - e), M the 24-bit significand
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) !== 0)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // a carry may round up to inf: correct
  return sign | h;
}

/** IEEE half bits -> the number. @example f16BitsToF32(0x3c00) // 1 */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 -> bfloat16 bits as ggml_compute_fp32_to_bf16 (round to nearest even, NaN quiet). */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const u = u32[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff; // NaN: force quiet
  return Math.floor((u + (0x7fff + ((u >>> 16) & 1))) / 65536) & 0xffff;
}

/** bfloat16 bits -> the number. */
export function bf16BitsToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/** roundf: nearest integer, ties away from zero. */
function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** float32 weights (length a multiple of 32) -> Q8_0 blocks, as ggml's quantize_row_q8_0_ref. */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  if (x.length % Q8_0_BLOCK !== 0) {
    throw new LlmtsError('E_QUANT', `Q8_0 needs a multiple of ${Q8_0_BLOCK} weights per row, got ${x.length}`, { where: 'quantizeQ8_0', hint: 'keep such tensors in F16 (as llama.cpp\'s convert script does)' });
  }
  const nb = x.length / Q8_0_BLOCK;
  const out = new Uint8Array(nb * Q8_0_BLOCK_BYTES);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(x[base + j]!));
    const d = Math.fround(amax / 127);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    const o = b * Q8_0_BLOCK_BYTES;
    dv.setUint16(o, f32ToF16Bits(d), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) dv.setInt8(o + 2 + j, roundf(Math.fround(x[base + j]! * id)));
  }
  return out;
}

/** Q8_0 blocks -> n float32 weights (q * d, d widened from fp16). */
export function dequantizeQ8_0(bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < n / Q8_0_BLOCK; b++) {
    const o = b * Q8_0_BLOCK_BYTES;
    const d = f16BitsToF32(dv.getUint16(o, true));
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b * Q8_0_BLOCK + j] = dv.getInt8(o + 2 + j) * d;
  }
  return out;
}

/** Bytes that n weights take in `type` (n a multiple of 32 for Q8_0). */
export function weightBytes(type: WeightType, n: number): number {
  if (type === 'Q8_0') return (n / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
  return type === 'F32' ? 4 * n : 2 * n;
}

/** float32 weights -> their little-endian bytes in `type`. */
export function encodeWeights(type: WeightType, x: Float32Array): Uint8Array {
  if (type === 'Q8_0') return quantizeQ8_0(x);
  if (type === 'F32') {
    const copy = new Float32Array(x); // little-endian on every platform Node runs on
    return new Uint8Array(copy.buffer);
  }
  const half = new Uint16Array(x.length);
  const conv = type === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
  for (let i = 0; i < x.length; i++) half[i] = conv(x[i]!);
  return new Uint8Array(half.buffer);
}

/** Little-endian bytes of n weights in `type` -> float32. */
export function decodeWeights(type: WeightType, bytes: Uint8Array, n: number): Float32Array {
  if (type === 'Q8_0') return dequantizeQ8_0(bytes, n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (type === 'F32') {
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  } else {
    const conv = type === 'F16' ? f16BitsToF32 : bf16BitsToF32;
    for (let i = 0; i < n; i++) out[i] = conv(dv.getUint16(2 * i, true));
  }
  return out;
}
