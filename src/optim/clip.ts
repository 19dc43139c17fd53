/**
 * Global-norm gradient clipping: if the L2 norm of all gradients together exceeds
 * `maxNorm`, scale every gradient by maxNorm / norm. Returns the norm before clipping
 * (useful for logging and NaN detection: a non-finite norm leaves gradients untouched).
 *
 * @example
 * const norm = clipGradNorm(model.parameters(), 1.0);
 */
import { backend } from '../backend/index.ts';
import type { OptimParam } from './param.ts';

export function clipGradNorm(params: Iterable<OptimParam>, maxNorm: number): number {
  const be = backend();
  const grads: Float32Array[] = [];
  for (const p of params) if (p.grad) grads.push(p.grad);
  let sumSq = 0;
  for (const g of grads) sumSq += be.sumSquares(g.length, g);
  const norm = Math.sqrt(sumSq);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const g of grads) be.scale(g.length, s, g, g);
  }
  return norm;
}
