// HDBSCAN (src/topics/hdbscan.ts): the same partition as scikit-learn's HDBSCAN on point
// sets written by scripts/fixtures/make-hdbscan.py, and the edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hdbscan } from '../../src/topics/hdbscan.ts';
import { LlmtsError } from '../../src/util/errors.ts';

interface Case { name: string; d: number; minClusterSize: number; minSamples: number; points: number[]; labels: number[] }
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/hdbscan/cases.json', import.meta.url), 'utf8')) as { cases: Case[] };

/**
 * Points the two labellings place differently: noise in one and not the other, or in another
 * cluster under the best matching of cluster numbers (each of a's clusters to the b cluster
 * most of its points are in); Infinity when two clusters of a match one of b. Where several
 * MST edges have the same length (a mutual reachability is often a core distance), this
 * module splits at all of them at once and a part too small to be a cluster is noise;
 * scikit-learn takes them one by one in the order of an unstable sort and may put that part
 * in one of the new clusters: such points may differ.
 */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const counts = new Map<number, Map<number, number>>();
  let wrong = 0;
  for (let i = 0; i < a.length; i++) {
    if ((a[i] === -1) !== (b[i] === -1)) wrong++;
    if (a[i] === -1 || b[i] === -1) continue;
    const row = counts.get(a[i]!) ?? new Map<number, number>();
    row.set(b[i]!, (row.get(b[i]!) ?? 0) + 1);
    counts.set(a[i]!, row);
  }
  const match = new Map([...counts].map(([x, row]) => [x, [...row].sort((p, q) => q[1] - p[1])[0]![0]]));
  if (new Set(match.values()).size !== match.size) return Infinity; // two clusters matched to one
  for (let i = 0; i < a.length; i++) if (a[i] !== -1 && b[i] !== -1 && match.get(a[i]!) !== b[i]) wrong++;
  return wrong;
}

for (const c of cases) {
  test(`hdbscan matches scikit-learn: ${c.name}`, () => {
    const n = c.points.length / c.d;
    const fit = hdbscan(Float64Array.from(c.points), n, c.d, { minClusterSize: c.minClusterSize, minSamples: c.minSamples });
    assert.equal(fit.k, new Set(c.labels.filter((l) => l >= 0)).size);
    // the same clusters; at most 1% of the points placed otherwise (ties, see mismatches)
    assert.ok(mismatches(fit.labels, c.labels) <= Math.floor(n / 100), `labels differ from scikit-learn's: ${[...fit.labels].join(',')}`);
    for (let i = 0; i < n; i++) {
      if (fit.labels[i] === -1) assert.equal(fit.membership[i], 0);
      else assert.ok(fit.membership[i]! > 0 && fit.membership[i]! <= 1);
    }
  });
}

test('mismatches: a renumbering is 0, a moved point 1, a point noise in one only 1, two clusters in one Infinity', () => {
  assert.equal(mismatches([0, 0, 1, 1, -1], [1, 1, 0, 0, -1]), 0);
  assert.equal(mismatches([0, 0, 0, 1, 1, 1], [1, 1, 0, 0, 0, 0]), 1);
  assert.equal(mismatches([0, 0, 1, 1, -1], [0, 0, 1, -1, 1]), 2);
  assert.equal(mismatches([0, 0, 1, 1], [0, 0, 0, 0]), Infinity);
});

test('hdbscan numbers clusters by their first point and is deterministic', () => {
  const c = cases[0]!;
  const n = c.points.length / c.d, pts = Float64Array.from(c.points);
  const a = hdbscan(pts, n, c.d, { minClusterSize: 10 }), b = hdbscan(pts, n, c.d, { minClusterSize: 10 });
  assert.deepEqual(a.labels, b.labels);
  const firsts = Array.from({ length: a.k }, (_, k) => a.labels.indexOf(k));
  assert.deepEqual(firsts, [...firsts].sort((x, y) => x - y));
});

test('hdbscan: too few points for two clusters is all noise; duplicates do not break it; bad settings are E_TOPICS', () => {
  const few = hdbscan(Float64Array.of(0, 1, 2, 3, 4), 5, 1, { minClusterSize: 3 });
  assert.equal(few.k, 0);
  assert.deepEqual([...few.labels], [-1, -1, -1, -1, -1]);
  // two groups of 6 identical points: distances of 0 inside each group
  const dup = hdbscan(Float64Array.of(...Array(6).fill(0), ...Array(6).fill(5)), 12, 1, { minClusterSize: 3, minSamples: 2 });
  assert.equal(dup.k, 2);
  assert.deepEqual([...dup.labels], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  assert.throws(() => hdbscan(Float64Array.of(0, 1), 2, 1, { minClusterSize: 1 }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_TOPICS');
  assert.throws(() => hdbscan(Float64Array.of(0, 1), 2, 1, { minClusterSize: 2, minSamples: 0 }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_TOPICS');
});
