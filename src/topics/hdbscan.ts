/**
 * HDBSCAN (Campello, Moulavi and Sander 2013; as the `hdbscan` library builds it, McInnes et
 * al. 2017): density-based clusters of points in R^d, the number of clusters found from the
 * data, and points in no dense region labelled -1 (noise: BERTopic's outlier topic).
 * 1. core distance of a point: the Euclidean distance to its `minSamples`-th nearest
 *    neighbour (the point itself counted first, as the library does);
 * 2. mutual reachability of a and b: max(core(a), core(b), d(a, b)); its minimum spanning
 *    tree (Prim on the dense graph, O(n^2 d): fine for the few thousand documents topics take);
 * 3. the single-linkage tree of the MST edges (ascending), condensed: walking down from the
 *    root, a split where two or more parts hold >= `minClusterSize` points makes new clusters;
 *    a part smaller than that is points falling out of the cluster at lambda = 1 / distance.
 *    Merges at the same distance count as one split of several parts, so equal distances
 *    (common: a mutual reachability is often a core distance) give the same clusters in
 *    whatever order the MST lists them (scikit-learn takes equal distances one by one, in the
 *    order of an unstable sort, and may put a small part that falls out at a split into one
 *    of the new clusters: a point or two of a few hundred differ from its labels);
 * 4. each cluster's stability: the sum over its points of (lambda they leave - lambda the
 *    cluster was born); clusters chosen by excess of mass (a cluster is kept when its
 *    stability is at least its chosen descendants' total), never the root; every point of a
 *    chosen cluster gets its label, the others -1.
 * Deterministic, and independent of the order of equal distances (see 3).
 *
 * @example
 * const { labels, k } = hdbscan(points, n, d, { minClusterSize: 15 }); // labels in -1..k-1
 */
import { LlmtsError } from '../util/errors.ts';

/** Settings of `hdbscan`. */
export interface HdbscanOptions {
  /** Smallest cluster (default 10). */
  minClusterSize?: number;
  /** Neighbours of the core distance (default minClusterSize). */
  minSamples?: number;
}

/** A clustering: labels -1 (noise) or 0..k-1, clusters numbered by their first point. */
export interface HdbscanFit {
  /** (n) cluster of each point, or -1. */
  labels: Int32Array;
  k: number;
  /** (n) 0..1: how long the point stayed in its cluster, relative to the cluster's most persistent point (0 for noise). */
  membership: Float64Array;
}

/** Euclidean distance of rows i and j (d wide). */
function dist(p: ArrayLike<number>, i: number, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const x = p[i * d + t]! - p[j * d + t]!;
    s += x * x;
  }
  return Math.sqrt(s);
}

/** Core distance of every point: distance to its m-th nearest point, itself the first. */
function coreDistances(p: ArrayLike<number>, n: number, d: number, m: number): Float64Array {
  const core = new Float64Array(n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[j] = i === j ? 0 : dist(p, i, j, d);
    row.sort();
    core[i] = row[Math.min(m, n) - 1]!;
  }
  return core;
}

/** MST of the mutual-reachability graph (Prim): n - 1 edges (a, b, weight), in the order Prim adds them. */
function mutualReachabilityMst(p: ArrayLike<number>, n: number, d: number, core: Float64Array): { a: Int32Array; b: Int32Array; w: Float64Array } {
  const inTree = new Uint8Array(n), best = new Float64Array(n).fill(Infinity), from = new Int32Array(n).fill(-1);
  const a = new Int32Array(n - 1), b = new Int32Array(n - 1), w = new Float64Array(n - 1);
  let cur = 0;
  inTree[0] = 1;
  for (let e = 0; e < n - 1; e++) {
    let next = -1;
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const mr = Math.max(core[cur]!, core[j]!, dist(p, cur, j, d));
      if (mr < best[j]!) { best[j] = mr; from[j] = cur; }
      if (next < 0 || best[j]! < best[next]!) next = j;
    }
    a[e] = from[next]!;
    b[e] = next;
    w[e] = best[next]!;
    inTree[next] = 1;
    cur = next;
  }
  return { a, b, w };
}

/** A node of the single-linkage tree: leaves are points 0..n-1, merges n..2n-2. */
interface Linkage { left: Int32Array; right: Int32Array; height: Float64Array; size: Int32Array }

/** Single-linkage tree from the MST edges taken in ascending weight (union-find). */
function singleLinkage(n: number, mst: { a: Int32Array; b: Int32Array; w: Float64Array }): Linkage {
  const order = Array.from({ length: n - 1 }, (_, e) => e).sort((x, y) => mst.w[x]! - mst.w[y]! || x - y);
  const parent = Int32Array.from({ length: 2 * n - 1 }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) { parent[x] = parent[parent[x]!]!; x = parent[x]!; }
    return x;
  };
  const left = new Int32Array(n - 1), right = new Int32Array(n - 1), height = new Float64Array(n - 1);
  const size = new Int32Array(2 * n - 1).fill(1);
  order.forEach((e, m) => {
    const ra = find(mst.a[e]!), rb = find(mst.b[e]!), node = n + m;
    left[m] = ra;
    right[m] = rb;
    height[m] = mst.w[e]!;
    size[node] = size[ra]! + size[rb]!;
    parent[ra] = node;
    parent[rb] = node;
  });
  return { left, right, height, size };
}

/** Points under a node of the linkage tree. */
function leavesOf(t: Linkage, n: number, node: number): number[] {
  const out: number[] = [], stack = [node];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x < n) out.push(x);
    else stack.push(t.left[x - n]!, t.right[x - n]!);
  }
  return out;
}

/** A cluster of the condensed tree. */
interface Condensed { parent: number; birth: number; children: number[]; stability: number; points: { point: number; lambda: number }[] }

/** The condensed tree (see the module comment); cluster 0 is the root. */
function condense(t: Linkage, n: number, minSize: number): Condensed[] {
  const clusters: Condensed[] = [{ parent: -1, birth: 0, children: [], stability: 0, points: [] }];
  // a merge at distance 0 (duplicate points) gets the largest finite lambda instead of infinity
  let minHeight = Infinity;
  for (const h of t.height) if (h > 0) minHeight = Math.min(minHeight, h);
  const lambdaOf = (h: number): number => (h > 0 ? 1 / h : Number.isFinite(minHeight) ? 1 / minHeight : 1);
  // (linkage node, the cluster it belongs to); n >= 2 so the root is a merge
  const stack: [number, number][] = [[2 * n - 2, 0]];
  while (stack.length > 0) {
    const [node, c] = stack.pop()!;
    const h = t.height[node - n]!, lambda = lambdaOf(h);
    // merges at the same height are one: the parts are the subtrees joined below h, whatever
    // the order of the equal MST edges (a binary split of a tie could make a cluster of no life)
    const parts: number[] = [];
    const expand = (x: number): void => {
      if (x >= n && t.height[x - n] === h) { expand(t.left[x - n]!); expand(t.right[x - n]!); } else parts.push(x);
    };
    expand(t.left[node - n]!);
    expand(t.right[node - n]!);
    const big = (x: number): boolean => t.size[x]! >= minSize;
    const split = parts.filter(big).length >= 2;
    for (const part of parts) {
      if (!big(part)) { // a part smaller than minSize falls out (all of them: the cluster ends here)
        for (const q of leavesOf(t, n, part)) clusters[c]!.points.push({ point: q, lambda });
      } else if (split) { // two or more big parts: each a new cluster
        clusters.push({ parent: c, birth: lambda, children: [], stability: 0, points: [] });
        clusters[c]!.children.push(clusters.length - 1);
        stack.push([part, clusters.length - 1]);
      } else { // the one big part goes on as this cluster
        stack.push([part, c]);
      }
    }
  }
  // stability: each point from the cluster's birth to the lambda it falls out at, and the points
  // of a child cluster from the birth to the split (hdbscan's compute_stability)
  for (const cl of clusters) {
    cl.stability = cl.points.reduce((s, q) => s + q.lambda - cl.birth, 0);
    for (const ch of cl.children) cl.stability += subtreeSize(clusters, ch) * (clusters[ch]!.birth - cl.birth);
  }
  return clusters;
}

/** Points in a condensed cluster and its descendants. */
function subtreeSize(clusters: Condensed[], c: number): number {
  const cl = clusters[c]!;
  return cl.points.length + cl.children.reduce((s, ch) => s + subtreeSize(clusters, ch), 0);
}

/** Density-based clusters of n points (rows of `points`, d wide); see the module comment. */
export function hdbscan(points: ArrayLike<number>, n: number, d: number, o: HdbscanOptions = {}): HdbscanFit {
  const minSize = o.minClusterSize ?? 10, minSamples = o.minSamples ?? minSize;
  if (!Number.isInteger(minSize) || minSize < 2) {
    throw new LlmtsError('E_TOPICS', `a smallest cluster of ${minSize} points is out of range`, { where: '--min-cluster-size', hint: 'use an integer of at least 2' });
  }
  if (!Number.isInteger(minSamples) || minSamples < 1) {
    throw new LlmtsError('E_TOPICS', `${minSamples} neighbours for the core distance is out of range`, { where: '--min-samples', hint: 'use a positive integer' });
  }
  const labels = new Int32Array(n).fill(-1), membership = new Float64Array(n);
  if (n < 2 * minSize) return { labels, k: 0, membership };
  const core = coreDistances(points, n, d, minSamples);
  const tree = condense(singleLinkage(n, mutualReachabilityMst(points, n, d, core)), n, minSize);

  // excess of mass, bottom-up (children always come after their parent in `tree`)
  const selected = new Uint8Array(tree.length), best = new Float64Array(tree.length);
  for (let c = tree.length - 1; c >= 1; c--) {
    const cl = tree[c]!;
    const below = cl.children.reduce((s, ch) => s + best[ch]!, 0);
    if (cl.children.length === 0 || cl.stability >= below) {
      selected[c] = 1;
      best[c] = cl.stability;
    } else {
      best[c] = below;
    }
  }
  // keep the chosen clusters nearest the root; number them by their first point
  const chosen: number[] = [];
  const walk = (c: number): void => {
    if (c > 0 && selected[c]) { chosen.push(c); return; }
    for (const ch of tree[c]!.children) walk(ch);
  };
  walk(0);
  const groups = chosen.map((c) => {
    const pts: { point: number; lambda: number }[] = [];
    const collect = (x: number): void => { pts.push(...tree[x]!.points); for (const ch of tree[x]!.children) collect(ch); };
    collect(c);
    return pts;
  }).sort((x, y) => Math.min(...x.map((q) => q.point)) - Math.min(...y.map((q) => q.point)));
  groups.forEach((pts, label) => {
    const top = Math.max(...pts.map((q) => q.lambda));
    for (const q of pts) {
      labels[q.point] = label;
      membership[q.point] = top > 0 && Number.isFinite(top) ? q.lambda / top : 1;
    }
  });
  return { labels, k: groups.length, membership };
}
