/**
 * Class-based TF-IDF (Grootendorst 2022, BERTopic's ClassTfidfTransformer): all documents
 * of a topic joined into one, then for term t in topic c
 *   W(t, c) = tf(t, c) / sum_t' tf(t', c) * log(1 + A / f(t))
 * where tf counts t in the topic's documents, f(t) counts t over all topics and A is the
 * mean number of words per topic (an integer, truncated as BERTopic's `int(...)` does).
 * A topic's name is its terms of highest weight.
 *
 * @example
 * const w = classTfidf(docIds, labels, k, V);    // (k, V)
 * topTerms(w, 0, V, 5)                           // [{ term: 3, weight: 0.41 }, ...]
 */

/** The (k, V) c-TF-IDF weights of the topics' terms (see the module comment). */
export function classTfidf(docs: readonly Int32Array[], labels: ArrayLike<number>, k: number, V: number): Float64Array {
  const tf = new Float64Array(k * V); // (k, V) term counts per topic
  docs.forEach((d, i) => {
    const c = labels[i]!;
    for (const t of d) tf[c * V + t]++;
  });
  const f = new Float64Array(V), perTopic = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    for (let t = 0; t < V; t++) {
      f[t] += tf[c * V + t]!;
      perTopic[c] += tf[c * V + t]!;
    }
  }
  const A = Math.floor(perTopic.reduce((a, b) => a + b, 0) / k);
  const w = new Float64Array(k * V);
  for (let c = 0; c < k; c++) {
    if (perTopic[c] === 0) continue;
    for (let t = 0; t < V; t++) {
      if (f[t] === 0) continue;
      w[c * V + t] = (tf[c * V + t]! / perTopic[c]!) * Math.log(1 + A / f[t]!);
    }
  }
  return w;
}

/** A term and its weight. */
export interface WeightedTerm {
  term: number;
  weight: number;
}

/** The `n` terms of row `row` of a (rows, V) weight matrix with the highest positive weight (ties: lower id first). */
export function topTerms(weights: ArrayLike<number>, row: number, V: number, n: number): WeightedTerm[] {
  const out: WeightedTerm[] = [];
  for (let t = 0; t < V; t++) {
    const w = weights[row * V + t]!;
    if (w > 0) out.push({ term: t, weight: w });
  }
  out.sort((a, b) => b.weight - a.weight || a.term - b.term);
  return out.slice(0, n);
}
