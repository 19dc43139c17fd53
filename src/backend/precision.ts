/**
 * Mixed precision as a backend choice: `withPrecision(b, 'bf16')` is `b` with `gemm`
 * replaced by `b.gemmBf16` (same arguments: fp32 operands rounded to bf16 as they are
 * packed, bf16 products, fp32 sums and output). Every other kernel (norms, softmax, loss,
 * attention, optimizers) stays fp32, and so do weights, gradients and optimizer state.
 * Model and tensor code do not change: the matmul ops call `backend().gemm` as before.
 *
 * @example
 * import { backend, setBackend } from './index.ts';
 * if (precision === 'bf16') setBackend(withPrecision(backend(), 'bf16'));
 */
import type { Backend } from './backend.ts';
import { LlmtsError } from '../util/errors.ts';

/** What GEMMs multiply in: 'fp32' (the exact path) or 'bf16' (fp32 sums). */
export type Precision = 'fp32' | 'bf16';

/** The precisions `withPrecision` takes. */
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

/** Checks a user-given precision (a config key or flag named `field`). */
export function parsePrecision(value: string, field = 'precision'): Precision {
  if ((PRECISIONS as readonly string[]).includes(value)) return value as Precision;
  throw new LlmtsError('E_PRECISION', `${field} must be one of ${PRECISIONS.join(', ')}, got '${value}'`, {
    where: field, hint: 'use fp32 (exact) or bf16 (bf16 matrix products with fp32 sums)',
  });
}

/** `b` itself for 'fp32'; for 'bf16', a backend whose `gemm` is `b.gemmBf16` and which is otherwise `b`. */
export function withPrecision(b: Backend, precision: Precision): Backend {
  if (precision === 'fp32') return b;
  const mixed = Object.create(b) as Backend;
  Object.defineProperty(mixed, 'name', { value: `${b.name}+bf16`, enumerable: true });
  Object.defineProperty(mixed, 'gemm', { value: b.gemmBf16.bind(b), enumerable: true });
  return mixed;
}
