/**
 * Size checks of the native backend: the C kernels trust the sizes they are given, so
 * native.ts and native-lowp.ts check every buffer first and throw an `LlmtsError`.
 *
 * @example
 * dims('gemm', { M, N, K }); need('gemm', 'c', c, M * N);
 */
import { LlmtsError } from '../util/errors.ts';

type Arr = Float32Array | Int32Array | Uint16Array | Uint8Array;

/** Throws unless every value is a non-negative integer. */
export function dims(kernel: string, values: Record<string, number>): void {
  // for-in, not Object.entries: no arrays allocated on this per-call path (decoding makes
  // ~100 small kernel calls per token)
  for (const name in values) {
    const v = values[name]!;
    if (!Number.isInteger(v) || v < 0) {
      throw new LlmtsError('E_NATIVE_ARG', `${kernel}: ${name} must be a non-negative integer, got ${v}`, {
        where: `backend.${kernel}`,
        hint: 'pass integer sizes',
      });
    }
  }
}

/** Throws unless buf holds at least n elements. */
export function need(kernel: string, name: string, buf: Arr, n: number): void {
  if (buf.length < n) {
    throw new LlmtsError('E_NATIVE_SIZE', `${kernel}: ${name} has ${buf.length} elements, the shapes need ${n}`, {
      where: `backend.${kernel}`,
      hint: `allocate ${name} with at least ${n} elements (or fix the sizes passed)`,
    });
  }
}

/** Elements spanned by `batch` row-major (rows x cols) matrices with leading dim ld, stride s. */
export function extent(rows: number, cols: number, ld: number, stride: number, batch: number): number {
  if (rows === 0 || cols === 0 || batch === 0) return 0;
  return (batch - 1) * stride + (rows - 1) * ld + cols;
}

/** Throws unless every id is in [0, limit) (ids equal to `skip` are allowed). */
export function ids(kernel: string, name: string, arr: Int32Array, n: number, limit: number, skip?: number): void {
  for (let i = 0; i < n; i++) {
    const v = arr[i]!;
    if (v === skip) continue;
    if (v < 0 || v >= limit) {
      throw new LlmtsError('E_NATIVE_INDEX', `${kernel}: ${name}[${i}] = ${v} is outside [0, ${limit})`, {
        where: `backend.${kernel}`,
        hint: `every ${name} entry must index a row of the table (vocabulary size ${limit})`,
      });
    }
  }
}
