/**
 * Inverted dropout with a seeded, counter-based mask (same seed -> same mask, on every backend).
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { pool } from './pool.ts';
import { Tensor, gradFor, record } from './tensor.ts';

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p); element i is
 * kept iff hashUniform(seed, i) >= p. Returns x itself when !training or p == 0.
 * Pass a fresh seed per call (e.g. from the module's Rng) so masks differ between steps.
 *
 * @example
 * dropout(h, 0.1, rng.nextUint32(), this.training); // (B, T, C)
 */
export function dropout(x: Tensor, p: number, seed: number, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) {
    throw new LlmtsError('E_RANGE', `dropout probability ${p} is outside [0, 1]`, { where: 'dropout' });
  }
  if (!training || p === 0) return x;
  const be = backend();
  const out = Tensor.empty(x.shape);
  const mask = pool.acquire(x.size); // (x.size) of 0 or 1/(1-p), saved for backward
  be.dropout(x.size, p, seed >>> 0, x.data, out.data, mask);
  return record(out, 'dropout', [x], [mask], (dout) => {
    const sx = gradFor(x);
    if (sx?.fresh) be.mul(x.size, dout, mask, sx.g);
    else if (sx) be.mulAcc(x.size, dout, mask, sx.g);
  });
}
