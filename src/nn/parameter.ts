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

/** Depth of `withoutInit` scopes: random initialisers make zeros while > 0. */
let skipInit = 0;

/**
 * Runs `build` with the random initialisers (`normal`, `uniform`) making zeros instead:
 * for loaders that overwrite every weight right after building the model, so that a 110M
 * model does not draw 110M normals first. The Rng is not advanced inside.
 *
 * @example
 * const model = withoutInit(() => createModel(config)); // then copy the file's tensors in
 */
export function withoutInit<T>(build: () => T): T {
  skipInit++;
  try {
    return build();
  } finally {
    skipInit--;
  }
}

export const Parameter = {
  /** Values ~ N(0, std^2) (zeros inside `withoutInit`). */
  normal(shape: readonly number[], std: number, rng: Rng): Parameter {
    if (skipInit > 0) return Tensor.zeros(shape, { requiresGrad: true });
    return Tensor.randn(shape, rng, std, { requiresGrad: true });
  },
  /** Values ~ U(-bound, bound) (zeros inside `withoutInit`). */
  uniform(shape: readonly number[], bound: number, rng: Rng): Parameter {
    if (skipInit > 0) return Tensor.zeros(shape, { requiresGrad: true });
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
