/**
 * Train/validation split by document hash: a document goes to 'val' when a uniform
 * number derived from its 64-bit key (and the seed) is below the ratio. The same text
 * always lands in the same split, whatever the order, the thread count or the other
 * documents; a different seed gives a different split.
 *
 * @example
 * splitOf(key.hi, key.lo, 0.05, 0);   // 'train' (about 95% of documents) or 'val'
 */
import { hash32 } from '../util/rng.ts';

export type Split = 'train' | 'val';

/** Uniform in [0, 1) from a document key and the seed (24 bits). */
export function keyUniform(keyHi: number, keyLo: number, seed: number): number {
  return (hash32((seed ^ keyLo) >>> 0, keyHi >>> 0) >>> 8) / 16777216;
}

export function splitOf(keyHi: number, keyLo: number, valRatio: number, seed: number): Split {
  return keyUniform(keyHi, keyLo, seed) < valRatio ? 'val' : 'train';
}
