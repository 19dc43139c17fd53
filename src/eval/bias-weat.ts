/**
 * The Word Embedding Association Test (Caliskan, Bryson & Narayanan 2017) on any word
 * embedding: with s(w, A, B) = mean_a cos(w, a) - mean_b cos(w, b),
 * - effect size d = (mean_x s(x, A, B) - mean_y s(y, A, B)) / std_{w in X u Y} s(w, A, B)
 *   (the sample standard deviation, n - 1), in [-2, 2]: > 0 when X is closer to A (and Y
 *   to B) than the other way round;
 * - one-sided p-value of the test statistic S = sum_x s(x) - sum_y s(y): the share of
 *   equal-size partitions (Xi, Yi) of X u Y with S(Xi, Yi) > S(X, Y). Every partition is
 *   enumerated when there are at most `permutations` of them (C(16, 8) = 12870 for the
 *   paper's lists), else `permutations` random ones are drawn with the seeded PRNG.
 * The embedding of a word is whatever `embed` returns; `llmts bias probe` passes the
 * mean-pooled final hidden states of the server's /v1/embeddings (infer/embed.ts).
 *
 * A small effect size is not proof of no bias: WEAT measures associations of a few words
 * in one embedding, not behaviour.
 *
 * @example
 * weat(WEAT_TESTS[1], (w) => table.get(w)!); // { effectSize, pValue, ... }
 */
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { WeatTest } from './bias-lists.ts';

/** Options of `weat`. */
export interface WeatOptions {
  /** Enumerate all partitions up to this many, else sample this many. Default 20000. */
  permutations?: number;
  /** Seed of the sampled partitions. Default 0. */
  seed?: number;
}

/** One WEAT's result. */
export interface WeatResult {
  name: string;
  about: string;
  effectSize: number;
  /** S(X, Y, A, B). */
  statistic: number;
  pValue: number;
  /** Partitions counted, and whether they were all of them. */
  permutations: number;
  exact: boolean;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** s(w, A, B) of every target word, X's first. */
function associations(t: WeatTest, embed: (word: string) => Float32Array): number[] {
  const A = t.A.map(embed), B = t.B.map(embed);
  const mean = (w: Float32Array, set: Float32Array[]): number => set.reduce((s, v) => s + cosine(w, v), 0) / set.length;
  return [...t.X, ...t.Y].map((word) => {
    const w = embed(word);
    return mean(w, A) - mean(w, B);
  });
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** The effect size and permutation p-value of one test; see the module comment. */
export function weat(t: WeatTest, embed: (word: string) => Float32Array, opts: WeatOptions = {}): WeatResult {
  const nx = t.X.length, n = nx + t.Y.length;
  if (nx === 0 || t.Y.length === 0 || t.A.length === 0 || t.B.length === 0) {
    throw new LlmtsError('E_EVAL', `WEAT '${t.name}' needs non-empty X, Y, A and B`, { where: t.name, hint: 'give every word list at least one word' });
  }
  const s = associations(t, embed);
  const total = s.reduce((a, v) => a + v, 0);
  const statOf = (sumX: number): number => sumX - (total - sumX); // S = sum_X - sum_Y
  const sumX = s.slice(0, nx).reduce((a, v) => a + v, 0);
  const stat = statOf(sumX);
  const mean = total / n;
  const sd = Math.sqrt(s.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const effectSize = (sumX / nx - (total - sumX) / (n - nx)) / sd;
  const limit = opts.permutations ?? 20000;
  const all = binomial(n, nx);
  let above = 0, count = 0;
  if (all <= limit) {
    // every nx-subset of the n words as Xi (indices in increasing order)
    const idx = Array.from({ length: nx }, (_, i) => i);
    for (;;) {
      let sx = 0;
      for (const i of idx) sx += s[i]!;
      if (statOf(sx) > stat) above++;
      count++;
      let k = nx - 1;
      while (k >= 0 && idx[k] === n - nx + k) k--;
      if (k < 0) break;
      idx[k]!++;
      for (let j = k + 1; j < nx; j++) idx[j] = idx[j - 1]! + 1;
    }
  } else {
    const rng = new Rng(opts.seed ?? 0);
    const order = Array.from({ length: n }, (_, i) => i);
    for (; count < limit; count++) {
      for (let i = n - 1; i > 0; i--) { // Fisher-Yates
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      let sx = 0;
      for (let i = 0; i < nx; i++) sx += s[order[i]!]!;
      if (statOf(sx) > stat) above++;
    }
  }
  return { name: t.name, about: t.about, effectSize, statistic: stat, pValue: above / count, permutations: count, exact: all <= limit };
}
