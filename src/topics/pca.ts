/**
 * Principal components of row vectors: the rows centred, the (d, d) covariance, and its top
 * m eigenvectors by power iteration with deflation (seeded start, sign fixed so that the
 * largest entry is positive). Used to reduce embeddings before clustering and to place
 * documents on the topic map (m = 2).
 *
 * @example
 * const { projected } = pca(rows, n, d, 2); // (n, 2)
 */
import { Rng } from '../util/rng.ts';

/** A fitted projection. */
export interface Pca {
  /** (n, m) the rows in the components' coordinates. */
  projected: Float64Array;
  /** (m) the variance along each component, largest first. */
  variances: number[];
  m: number;
}

/** The top `m` principal components of n rows d wide (m is cut to d). */
export function pca(rows: ArrayLike<number>, n: number, d: number, m: number, o: { iterations?: number; seed?: number } = {}): Pca {
  m = Math.min(m, d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] += rows[i * d + t]! / n;
  const x = new Float64Array(n * d); // (n, d) centred
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) x[i * d + t] = rows[i * d + t]! - mean[t]!;
  const cov = new Float64Array(d * d); // (d, d)
  for (let i = 0; i < n; i++) {
    const r = i * d;
    for (let a = 0; a < d; a++) {
      const xa = x[r + a]!;
      if (xa === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += xa * x[r + b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= Math.max(1, n - 1);
  const rng = new Rng(o.seed ?? 1);
  const comps: Float64Array[] = [], variances: number[] = [];
  for (let c = 0; c < m; c++) {
    let v = Float64Array.from({ length: d }, () => rng.normal());
    let lambda = 0;
    for (let it = 0; it < (o.iterations ?? 200); it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += cov[a * d + b]! * v[b]!;
        w[a] = s;
      }
      for (const u of comps) { // deflation: stay orthogonal to the components found
        let dot = 0;
        for (let a = 0; a < d; a++) dot += w[a]! * u[a]!;
        for (let a = 0; a < d; a++) w[a] -= dot * u[a]!;
      }
      let ss = 0;
      for (let a = 0; a < d; a++) ss += w[a]! * w[a]!;
      const norm = Math.sqrt(ss);
      if (norm === 0) break;
      for (let a = 0; a < d; a++) w[a] /= norm;
      const done = Math.abs(norm - lambda) <= 1e-10 * Math.max(1, norm);
      lambda = norm;
      v = w;
      if (done) break;
    }
    let big = 0;
    for (let a = 0; a < d; a++) if (Math.abs(v[a]!) > Math.abs(v[big]!)) big = a;
    if (v[big]! < 0) for (let a = 0; a < d; a++) v[a] = -v[a]!;
    comps.push(v);
    variances.push(lambda);
  }
  const projected = new Float64Array(n * m); // (n, m)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < m; c++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += x[i * d + t]! * comps[c]![t]!;
      projected[i * m + c] = s;
    }
  }
  return { projected, variances, m };
}
