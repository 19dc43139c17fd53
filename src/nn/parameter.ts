/**
 * Parameters are leaf `Tensor`s with `requiresGrad: true`; these helpers make them with
 * the usual initialisations from the one seeded PRNG (same seed, same weights).
 *
 * @example
 * const w = Parameter.normal([768, 768], 0.02, rng); // N(0, 0.02^2)
 * const b = Parameter.zeros([768]);
 */
import { Tensor } from '../tensor/index.ts';
import type { Rng } from '../util/rng.ts';

/** A trainable tensor (a leaf that requires grad). */
export type Parameter = Tensor;

export const Parameter = {
  /** Values ~ N(0, std^2). */
  normal(shape: readonly number[], std: number, rng: Rng): Parameter {
    return Tensor.randn(shape, rng, std, { requiresGrad: true });
  },
  /** Values ~ U(-bound, bound). */
  uniform(shape: readonly number[], bound: number, rng: Rng): Parameter {
    return Tensor.uniform(shape, rng, -bound, bound, { requiresGrad: true });
  },
  /** All zeros (biases). */
  zeros(shape: readonly number[]): Parameter {
    return Tensor.zeros(shape, { requiresGrad: true });
  },
  /** All ones (norm gains). */
  ones(shape: readonly number[]): Parameter {
    return Tensor.ones(shape, { requiresGrad: true });
  },
};
