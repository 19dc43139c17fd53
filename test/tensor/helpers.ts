// Shared helpers of the tensor tests: seeded random buffers, central finite differences,
// and a closeness assertion that reports the worst element.
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';

export type F = Float32Array | Float64Array;

/** Float64Array of n normal samples times std. */
export function randn64(rng: Rng, n: number, std = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

/** Float32Array of n normal samples times std. */
export function randn32(rng: Rng, n: number, std = 1): Float32Array {
  return Float32Array.from(randn64(rng, n, std));
}

/** Random integer in [lo, hi]. */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** sum_i a[i] * b[i] in double. */
export function dot(a: F, b: F): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Central finite differences of the scalar f() with respect to x (perturbed in place and
 * restored): g[i] = (f(x + h e_i) - f(x - h e_i)) / 2h. `indices` limits which entries
 * are probed (others stay NaN).
 */
export function numericGrad(f: () => number, x: F, h = 1e-6, indices?: number[]): Float64Array {
  const g = new Float64Array(x.length).fill(NaN);
  const idx = indices ?? [...Array(x.length).keys()];
  for (const i of idx) {
    const x0 = x[i]!;
    x[i] = x0 + h;
    const fp = f();
    x[i] = x0 - h;
    const fm = f();
    x[i] = x0;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Asserts |actual - expected| <= atol + rtol |expected| elementwise (NaN expected = skip). */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!;
    if (Number.isNaN(e)) continue;
    const err = Math.abs(actual[i]! - e) - (atol + rtol * Math.abs(e));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    assert.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

/** A few random indices in [0, n) (all of them when n <= k). */
export function sampleIndices(rng: Rng, n: number, k: number): number[] {
  if (n <= k) return [...Array(n).keys()];
  const s = new Set<number>();
  while (s.size < k) s.add(rng.int(n));
  return [...s];
}
