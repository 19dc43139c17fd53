/**
 * The one seeded PRNG of llm.ts. Same seed -> same numbers, on every backend.
 *
 * Two generators:
 * - `Rng`: a sequential xoshiro128** stream (initialisation, shuffling, sampling).
 * - `hashUniform(seed, index)`: a stateless counter-based uniform in [0, 1), used where
 *   C and TypeScript must agree bit for bit on a whole buffer (dropout masks). The C
 *   kernels implement the very same function (see native/src/rng.h).
 */

/** splitmix32 step: used to expand a seed into generator state. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * 32-bit avalanche hash of (seed, index) -> uint32 (lowbias32 on seed-mixed index).
 * Identical to `llmts_hash32` in native/src/rng.h.
 */
export function hash32(seed: number, index: number): number {
  let x = (Math.imul(index >>> 0, 0x9e3779b9) ^ (seed >>> 0)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Uniform in [0, 1) from (seed, index), 24 bits of precision: `(hash32 >>> 8) / 2^24`. */
export function hashUniform(seed: number, index: number): number {
  return (hash32(seed, index) >>> 8) / 16777216;
}

/**
 * Sequential seeded generator (xoshiro128**).
 *
 * @example
 * const rng = new Rng(1337);
 * rng.uniform();   // 0 <= u < 1
 * rng.normal();    // standard normal (Box-Muller)
 * rng.int(10);     // 0..9
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed = 1337) {
    let x = seed >>> 0;
    this.s0 = x = splitmix32(x);
    this.s1 = x = splitmix32(x);
    this.s2 = x = splitmix32(x);
    this.s3 = splitmix32(x);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal N(0, 1) by Box-Muller; caches the second value. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = this.uniform();
    while (u <= 1e-12) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = tmp;
    }
    return arr;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
