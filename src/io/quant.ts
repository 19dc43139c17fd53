/**
 * Weight encodings of GGUF files and `llmts quantize` (GGML type names), built on the
 * number formats the low-precision kernels use (src/backend/lowp-format.ts), so there is
 * one F16 / BF16 / Q8_0 implementation in the project:
 * - F16: IEEE half, round to nearest even (overflow -> inf, subnormals kept);
 * - BF16: the top 16 bits of the float32, round to nearest even;
 * - Q8_0: blocks of 32 weights -> 34 bytes: the scale d = max|x| / 127 as an fp16, then 32
 *   int8 q = roundf(x / d), as ggml's quantize_row_q8_0_ref (id = 1/d in float32,
 *   q = roundf(x * id), ties away from zero; an all-zero block has d = 0 and q = 0).
 * The bytes equal the `gguf` Python package's (test/fixtures/gguf-q8/).
 *
 * @example
 * const q = encodeWeights('Q8_0', weights);          // Uint8Array(34 * weights.length / 32)
 * const back = decodeWeights('Q8_0', q, weights.length);
 */
import { bf16Round, f16Round, f16ToFloat, q8_0Bytes, quantizeQ8_0Block, Q8_0_BLOCK, Q8_0_BYTES } from '../backend/lowp-format.ts';
import { LlmtsError } from '../util/errors.ts';

export { Q8_0_BLOCK };

/** The weight encodings we read and write (GGML type names). */
export type WeightType = 'F32' | 'F16' | 'BF16' | 'Q8_0';

/** float32 weights (length a multiple of 32) -> Q8_0 blocks. */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  if (x.length % Q8_0_BLOCK !== 0) {
    throw new LlmtsError('E_QUANT', `Q8_0 needs a multiple of ${Q8_0_BLOCK} weights per row, got ${x.length}`, { where: 'quantizeQ8_0', hint: 'keep such tensors in F16 (as llama.cpp\'s convert script does)' });
  }
  const out = new Uint8Array(q8_0Bytes(x.length));
  for (let b = 0; b < x.length / Q8_0_BLOCK; b++) quantizeQ8_0Block(x, b * Q8_0_BLOCK, out, b * Q8_0_BYTES);
  return out;
}

/** fp16 bits -> float32, for every bits pattern (built on first use). */
let f16Table: Float32Array | undefined;
function f16Values(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToFloat(h);
  }
  return f16Table;
}

/** Q8_0 blocks -> n float32 weights (q * d, d widened from fp16; the product is exact). */
export function dequantizeQ8_0(bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f16 = f16Values();
  const nb = n / Q8_0_BLOCK, size = Q8_0_BYTES; // locals: the loop stays tight
  for (let b = 0, o = 0, i = 0; b < nb; b++, o += size) {
    const d = f16[bytes[o]! | (bytes[o + 1]! << 8)]!;
    for (let j = 2; j < size; j++) out[i++] = q[o + j]! * d;
  }
  return out;
}

/** Bytes that n weights take in `type` (n a multiple of 32 for Q8_0). */
export function weightBytes(type: WeightType, n: number): number {
  if (type === 'Q8_0') return q8_0Bytes(n);
  return type === 'F32' ? 4 * n : 2 * n;
}

/** float32 weights -> their little-endian bytes in `type`. */
export function encodeWeights(type: WeightType, x: Float32Array): Uint8Array {
  if (type === 'Q8_0') return quantizeQ8_0(x);
  if (type === 'F32') return new Uint8Array(new Float32Array(x).buffer); // little-endian on every platform Node runs on
  const half = new Uint16Array(x.length);
  const conv = type === 'F16' ? f16Round : bf16Round;
  for (let i = 0; i < x.length; i++) half[i] = conv(x[i]!);
  return new Uint8Array(half.buffer);
}

/** Little-endian bytes of n weights in `type` -> float32. */
export function decodeWeights(type: WeightType, bytes: Uint8Array, n: number): Float32Array {
  if (type === 'Q8_0') return dequantizeQ8_0(bytes, n);
  // an aligned copy of the bytes, viewed as the element type (little-endian platforms)
  const copy = new Uint8Array(weightBytes(type, n));
  copy.set(bytes.subarray(0, copy.length));
  if (type === 'F32') return new Float32Array(copy.buffer);
  const half = new Uint16Array(copy.buffer);
  const out = new Float32Array(n);
  if (type === 'F16') {
    const f16 = f16Values();
    for (let i = 0; i < n; i++) out[i] = f16[half[i]!]!;
  } else {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = half[i]! << 16; // bf16 is the top half of an fp32
  }
  return out;
}
