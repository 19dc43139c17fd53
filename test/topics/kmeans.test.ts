// k-means, the silhouette and k chosen by silhouette (src/topics/kmeans.ts), and PCA
// (src/topics/pca.ts): hand examples and planted clusters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { purity } from '../../src/topics/coherence.ts';
import { chooseK, kmeans, silhouette } from '../../src/topics/kmeans.ts';
import { pca } from '../../src/topics/pca.ts';
import { Rng } from '../../src/util/rng.ts';

/** n points in R^d around `centres` (every i-th point around centre i % centres), spread `sd`. */
function blobs(centres: number[][], n: number, sd: number, seed = 1): { points: Float64Array; truth: number[] } {
  const d = centres[0]!.length, rng = new Rng(seed);
  const points = new Float64Array(n * d), truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % centres.length;
    truth.push(c);
    for (let t = 0; t < d; t++) points[i * d + t] = centres[c]![t]! + sd * rng.normal();
  }
  return { points, truth };
}

test('silhouette of a hand example: points 0, 1 | 10, 11 on a line', () => {
  const pts = Float64Array.of(0, 1, 10, 11);
  // point 0: a = 1, b = (10 + 11) / 2 = 10.5; point 1: a = 1, b = 9.5; symmetric for the others
  const expected = ((10.5 - 1) / 10.5 + (9.5 - 1) / 9.5) / 2;
  assert.ok(Math.abs(silhouette(pts, 4, 1, [0, 0, 1, 1], 2) - expected) < 1e-12);
  // a bad split scores lower
  assert.ok(silhouette(pts, 4, 1, [0, 1, 0, 1], 2) < 0);
});

test('k-means finds three planted clusters, and the silhouette chooses k = 3', () => {
  const { points, truth } = blobs([[0, 0], [6, 0], [0, 6]], 90, 0.5);
  const fit = kmeans(points, 90, 2, 3, { seed: 2 });
  assert.equal(purity(fit.labels, truth), 1);
  const chosen = chooseK(points, 90, 2, { kMin: 2, kMax: 6, seed: 2 });
  assert.equal(chosen.k, 3);
  assert.deepEqual(chosen.scores.map((s) => s.k), [2, 3, 4, 5, 6]);
  const five = blobs([[0, 0], [8, 0], [0, 8], [8, 8], [4, 16]], 100, 0.5, 3);
  assert.equal(chooseK(five.points, 100, 2, { kMin: 2, kMax: 8, seed: 1 }).k, 5);
});

test('k-means is deterministic from its seed and refuses k outside 1..n', () => {
  const { points } = blobs([[0, 0], [3, 3]], 40, 1.5);
  assert.deepEqual(kmeans(points, 40, 2, 4, { seed: 9 }).labels, kmeans(points, 40, 2, 4, { seed: 9 }).labels);
  assert.throws(() => kmeans(points, 40, 2, 41), { code: 'E_TOPICS' });
  assert.throws(() => kmeans(points, 40, 2, 0), { code: 'E_TOPICS' });
  assert.throws(() => chooseK(points, 2, 2), { code: 'E_TOPICS' });
});

test('PCA: the first component of points along (1, 1, 0) is that direction, variances largest first', () => {
  const rng = new Rng(4);
  const n = 200, rows = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s = 5 * rng.normal(), e = 0.3 * rng.normal(), f = 0.1 * rng.normal();
    rows.set([s + e, s - e, f], i * 3);
  }
  const p = pca(rows, n, 3, 2);
  assert.equal(p.m, 2);
  assert.ok(p.variances[0]! > 40 && p.variances[1]! < 0.5 && p.variances[1]! > 0.05, `variances ${p.variances}`);
  // projecting on the first component keeps (x + y) / sqrt 2 (up to the centring)
  let mx = 0, my = 0, mp = 0;
  for (let i = 0; i < n; i++) { mx += rows[i * 3]! / n; my += rows[i * 3 + 1]! / n; mp += p.projected[i * 2]! / n; }
  for (let i = 0; i < n; i += 37) {
    const want = (rows[i * 3]! - mx + rows[i * 3 + 1]! - my) / Math.SQRT2;
    assert.ok(Math.abs(Math.abs(p.projected[i * 2]! - mp) - Math.abs(want)) < 0.05, `row ${i}`);
  }
  assert.equal(pca(rows, n, 3, 9).m, 3); // cut to d
});
