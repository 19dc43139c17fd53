/**
 * k-means over points in R^d (Lloyd's iterations from seeded k-means++ starts, the best
 * of `restarts` by inertia), the silhouette score, and k chosen by the best silhouette.
 * Points are rows of a flat (n, d) array; everything is deterministic from the seed.
 *
 * @example
 * const { labels } = kmeans(points, n, d, 3, { seed: 1 });
 * const { k } = chooseK(points, n, d, { kMin: 2, kMax: 8, seed: 1 }); // best silhouette
 */
import { Rng } from '../util/rng.ts';
import { LlmtsError } from '../util/errors.ts';

/** One k-means fit. */
export interface KMeansFit {
  /** (n) the cluster of each point, 0..k-1. */
  labels: Int32Array;
  /** (k, d) centroids. */
  centroids: Float64Array;
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
}

/** Squared Euclidean distance of row i of `a` and row j of `b` (both d wide). */
function dist2(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const x = a[i * d + t]! - b[j * d + t]!;
    s += x * x;
  }
  return s;
}

/** k-means++ seeding: the first centre uniformly, each next one with probability ~ D(x)^2. */
function seedCentres(points: ArrayLike<number>, n: number, d: number, k: number, rng: Rng): Float64Array {
  const centres = new Float64Array(k * d);
  const first = rng.int(n);
  for (let t = 0; t < d; t++) centres[t] = points[first * d + t]!;
  const best = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      best[i] = Math.min(best[i]!, dist2(points, i, centres, c - 1, d));
      total += best[i]!;
    }
    let pick = n - 1;
    if (total > 0) {
      let u = rng.uniform() * total;
      for (let i = 0; i < n; i++) {
        u -= best[i]!;
        if (u < 0) { pick = i; break; }
      }
    } else {
      pick = rng.int(n);
    }
    for (let t = 0; t < d; t++) centres[c * d + t] = points[pick * d + t]!;
  }
  return centres;
}

/** Lloyd's iterations from `centres` until no label changes (or `maxIter`). */
function lloyd(points: ArrayLike<number>, n: number, d: number, k: number, centres: Float64Array, maxIter: number): KMeansFit {
  const labels = new Int32Array(n).fill(-1);
  let inertia = 0;
  for (let iter = 0; iter < maxIter; iter++) {
    let changed = false;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let bc = 0, bd = Infinity;
      for (let c = 0; c < k; c++) {
        const dd = dist2(points, i, centres, c, d);
        if (dd < bd) { bd = dd; bc = c; }
      }
      if (labels[i] !== bc) { labels[i] = bc; changed = true; }
      inertia += bd;
    }
    if (!changed) break;
    const sums = new Float64Array(k * d), counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      counts[c]++;
      for (let t = 0; t < d; t++) sums[c * d + t] += points[i * d + t]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue; // an empty cluster keeps its centre
      for (let t = 0; t < d; t++) centres[c * d + t] = sums[c * d + t]! / counts[c]!;
    }
  }
  return { labels, centroids: centres, inertia };
}

/** k-means of n points (rows of `points`, d wide) into k clusters; the best of `restarts` seeded starts. */
export function kmeans(points: ArrayLike<number>, n: number, d: number, k: number, o: { seed?: number; restarts?: number; maxIter?: number } = {}): KMeansFit {
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new LlmtsError('E_TOPICS', `cannot make ${k} clusters of ${n} documents`, { where: '--k', hint: `choose k between 1 and ${n}` });
  }
  const rng = new Rng(o.seed ?? 1);
  let best: KMeansFit | undefined;
  for (let r = 0; r < (o.restarts ?? 4); r++) {
    const fit = lloyd(points, n, d, k, seedCentres(points, n, d, k, rng), o.maxIter ?? 200);
    if (best === undefined || fit.inertia < best.inertia) best = fit;
  }
  return best!;
}

/**
 * Mean silhouette (Rousseeuw 1987) of a labelling: for each point, (b - a) / max(a, b) with
 * a its mean distance to its own cluster and b to the nearest other one; 0 for a point alone
 * in its cluster. Over at most `sample` points (seeded) when n is larger, against all points.
 */
export function silhouette(points: ArrayLike<number>, n: number, d: number, labels: ArrayLike<number>, k: number, o: { sample?: number; seed?: number } = {}): number {
  const sample = o.sample ?? 2000;
  const idx = Array.from({ length: n }, (_, i) => i);
  const chosen = n > sample ? new Rng(o.seed ?? 1).shuffle(idx).slice(0, sample) : idx;
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) sizes[labels[i]!]++;
  let total = 0;
  for (const i of chosen) {
    const own = labels[i]!;
    if (sizes[own]! <= 1) continue; // s(i) = 0
    const sum = new Float64Array(k);
    for (let j = 0; j < n; j++) if (j !== i) sum[labels[j]!] += Math.sqrt(dist2(points, i, points, j, d));
    const a = sum[own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, sum[c]! / sizes[c]!);
    if (b === Infinity) continue;
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / chosen.length;
}

/** The k in [kMin, kMax] whose k-means fit has the best silhouette, with every k's score. */
export function chooseK(points: ArrayLike<number>, n: number, d: number, o: { kMin?: number; kMax?: number; seed?: number } = {}): { k: number; fit: KMeansFit; scores: { k: number; silhouette: number }[] } {
  const kMin = Math.max(2, o.kMin ?? 2), kMax = Math.min(o.kMax ?? 10, n - 1);
  if (kMax < kMin) {
    throw new LlmtsError('E_TOPICS', `${n} documents are too few to choose a number of topics`, { where: 'input', hint: 'give at least 3 documents, or pass --k' });
  }
  let best: { k: number; fit: KMeansFit; s: number } | undefined;
  const scores: { k: number; silhouette: number }[] = [];
  for (let k = kMin; k <= kMax; k++) {
    const fit = kmeans(points, n, d, k, { seed: o.seed });
    const s = silhouette(points, n, d, fit.labels, k, { seed: o.seed });
    scores.push({ k, silhouette: s });
    if (best === undefined || s > best.s) best = { k, fit, s };
  }
  return { k: best!.k, fit: best!.fit, scores };
}
