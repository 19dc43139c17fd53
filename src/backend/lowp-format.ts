/**
 * The low-precision number formats of the bf16 and int8 kernels, bit for bit as the C
 * kernels (native/src/kernels/lowp_common.h) produce them:
 * - bf16: the top 16 bits of an fp32, rounded to nearest even, every NaN -> 0x7FC0
 *   (PyTorch's `.to(torch.bfloat16)`), held in a Uint16Array;
 * - fp16 (IEEE half), rounded to nearest even with subnormals (numpy's `astype(float16)`);
 * - Q8_0 (llama.cpp's `block_q8_0`, GGUF type 8): per block of 32 weights 34 bytes, the
 *   fp16 scale d (little-endian) then 32 int8 q, weight = d * q; d = max|x| / 127 and
 *   q = round(x / d) half away from zero, as llama.cpp's reference quantiser and the `gguf`
 *   Python package compute them.
 *
 * @example
 * const q = new Uint8Array(q8_0Bytes(64));
 * quantizeQ8_0Block(x, 0, q, 0); quantizeQ8_0Block(x, 32, q, Q8_0_BYTES);
 */
import { LlmtsError } from '../util/errors.ts';

/** Weights per Q8_0 block. */
export const Q8_0_BLOCK = 32;
/** Bytes per Q8_0 block (fp16 scale + 32 int8). */
export const Q8_0_BYTES = 34;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Bytes of n weights in Q8_0 (n a multiple of 32). */
export function q8_0Bytes(n: number): number {
  return (n / Q8_0_BLOCK) * Q8_0_BYTES;
}

/** Throws unless K (the length of a Q8_0 row) is a whole number of blocks. */
export function checkQ8_0Row(kernel: string, K: number): void {
  if (K % Q8_0_BLOCK !== 0) {
    throw new LlmtsError('E_Q8_0_SHAPE', `${kernel}: K = ${K} is not a multiple of ${Q8_0_BLOCK}`, {
      where: `backend.${kernel}`,
      hint: `Q8_0 rows are blocks of ${Q8_0_BLOCK} weights; keep such matrices in bf16 or fp32`,
    });
  }
}

/** bf16 bits of x (nearest even; NaN -> 0x7FC0). */
export function bf16Round(x: number): number {
  f32[0] = x;
  const u = u32[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return 0x7fc0;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The fp32 value of bf16 bits h (exact). */
export function bf16ToFloat(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** fp16 bits of x (nearest even, subnormals kept, overflow to infinity). */
export function f16Round(x: number): number {
  f32[0] = x;
  let u = u32[0]!;
  const sign = (u >>> 16) & 0x8000;
  u = (u & 0x7fffffff) >>> 0;
  if (u >= 0x47800000) return sign | (u > 0x7f800000 ? 0x7e00 : 0x7c00);
  if (u < 0x38800000) {
    // subnormal: adding 0.5 puts the half's ulp (2^-24) at the float's, so fround rounds to even
    u32[0] = u;
    f32[0] = Math.fround(f32[0]! + 0.5);
    return sign | (u32[0]! - 0x3f000000);
  }
  const odd = (u >>> 13) & 1;
  return sign | ((((u + 0xc8000fff + odd) >>> 0) >>> 13) & 0xffff);
}

/** The value of fp16 bits h. */
export function f16ToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** round() of C: to nearest, halves away from zero. */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/** One Q8_0 block of x[off .. off + 32) into out[outOff .. outOff + 34). */
export function quantizeQ8_0Block(x: ArrayLike<number>, off: number, out: Uint8Array, outOff: number): void {
  let amax = 0;
  for (let i = 0; i < Q8_0_BLOCK; i++) {
    const a = Math.abs(x[off + i]!);
    if (a > amax) amax = a;
  }
  const d = Math.fround(amax / 127);
  const id = d !== 0 ? Math.fround(1 / d) : 0;
  const dh = f16Round(d);
  out[outOff] = dh & 0xff;
  out[outOff + 1] = dh >>> 8;
  for (let i = 0; i < Q8_0_BLOCK; i++) {
    out[outOff + 2 + i] = roundHalfAway(Math.fround(x[off + i]! * id)) & 0xff;
  }
}

/** The fp32 scale of the Q8_0 block at q[off]. */
export function q8_0Scale(q: Uint8Array, off: number): number {
  return f16ToFloat(q[off]! | (q[off + 1]! << 8));
}
