/**
 * Scores of a topic model against its corpus and against known classes:
 * - `npmi`: topic coherence as normalised pointwise mutual information (Bouma 2009; Aletras
 *   & Stevenson 2013) of every pair of a topic's top words, with probabilities counted over
 *   the corpus's documents: NPMI(a, b) = log(P(a, b) / (P(a) P(b))) / -log P(a, b), -1 for a
 *   pair that never occurs together and 1 for a pair in every document. A topic's coherence
 *   is the mean over its pairs; a model's the mean over its topics.
 * - `purity`: the share of documents whose cluster's most common class is their own class.
 *
 * @example
 * npmi([[0, 1], [2, 3]], docIds) // { perTopic: [0.71, -0.12], mean: 0.295 }
 * purity([0, 0, 1], ['a', 'b', 'b'])  // 2/3
 */

/** NPMI coherence of each topic (its top term ids) over `docs` (term ids), and their mean. */
export function npmi(topics: readonly (readonly number[])[], docs: readonly Int32Array[]): { perTopic: number[]; mean: number } {
  const wanted = new Set(topics.flat());
  const postings = new Map<number, Set<number>>(); // term -> documents holding it
  for (const t of wanted) postings.set(t, new Set());
  docs.forEach((d, i) => {
    for (const t of d) postings.get(t)?.add(i);
  });
  const D = docs.length;
  const perTopic = topics.map((terms) => {
    let sum = 0, pairs = 0;
    for (let a = 0; a < terms.length; a++) {
      for (let b = a + 1; b < terms.length; b++) {
        const A = postings.get(terms[a]!)!, B = postings.get(terms[b]!)!;
        let both = 0;
        const [small, big] = A.size <= B.size ? [A, B] : [B, A];
        for (const i of small) if (big.has(i)) both++;
        sum += pairNpmi(A.size / D, B.size / D, both / D);
        pairs++;
      }
    }
    return pairs === 0 ? 0 : sum / pairs;
  });
  const mean = perTopic.length === 0 ? 0 : perTopic.reduce((x, y) => x + y, 0) / perTopic.length;
  return { perTopic, mean };
}

/** NPMI of one pair from its document probabilities (see the module comment). */
export function pairNpmi(pa: number, pb: number, pab: number): number {
  if (pab === 0) return -1;
  if (pab === 1) return 1;
  return Math.log(pab / (pa * pb)) / -Math.log(pab);
}

/** Cluster purity: sum over clusters of their most common class's count, over n (see the module comment). */
export function purity(clusters: ArrayLike<number>, classes: ArrayLike<string | number>): number {
  const n = clusters.length;
  if (n === 0) return 0;
  const counts = new Map<number, Map<string | number, number>>();
  for (let i = 0; i < n; i++) {
    const c = clusters[i]!;
    if (!counts.has(c)) counts.set(c, new Map());
    const m = counts.get(c)!;
    m.set(classes[i]!, (m.get(classes[i]!) ?? 0) + 1);
  }
  let sum = 0;
  for (const m of counts.values()) sum += Math.max(...m.values());
  return sum / n;
}
