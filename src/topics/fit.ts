/**
 * Topics of a document collection from its embeddings, as BERTopic builds them: the
 * embeddings reduced (PCA to `dims`), clustered (k-means, k given or chosen by the best
 * silhouette in [kMin, kMax]), each cluster named by its c-TF-IDF words and shown by its
 * documents nearest the centre; topics numbered by size, largest first. Beside them: each
 * topic's NPMI coherence over the corpus, a 2-D map of the documents (the first two
 * principal components of the reduced embeddings), and with dates each topic's share per
 * period. Everything is deterministic from the seed.
 *
 * @example
 * const result = fitTopics(docs, embedded.rows, embedded.dim, { seed: 1 });
 * result.topics[0].words.slice(0, 3) // [{ word: 'film', weight: 0.061 }, ...]
 */
import { LlmtsError } from '../util/errors.ts';
import { npmi } from './coherence.ts';
import type { DocDate, TopicDoc } from './corpus.ts';
import { classTfidf, topTerms } from './ctfidf.ts';
import { chooseK, kmeans } from './kmeans.ts';
import { pca } from './pca.ts';
import { topicTrends, type TrendPeriod, type Trends } from './trends.ts';
import { corpusTerms } from './words.ts';

/** Settings of `fitTopics`. */
export interface TopicSettings {
  /** Number of topics; undefined: chosen by silhouette in [kMin, kMax]. */
  k?: number;
  kMin?: number;
  kMax?: number;
  /** Dimensions the embeddings are reduced to before clustering (default 5). */
  dims?: number;
  /** Words per topic (default 10). */
  topWords?: number;
  /** Representative documents per topic (default 3). */
  representatives?: number;
  /** Smallest document frequency of a vocabulary word (default 2, 1 under 50 documents). */
  minDf?: number;
  period?: TrendPeriod | 'auto';
  seed?: number;
}

/** One topic. */
export interface Topic {
  id: number;
  size: number;
  /** size / documents. */
  share: number;
  /** Its c-TF-IDF words, best first. */
  words: { word: string; weight: number }[];
  /** NPMI of its top words over the corpus. */
  coherence: number;
  /** Documents nearest the cluster's centre: index into the input and text. */
  representatives: { doc: number; text: string }[];
}

/** One document's place. */
export interface PlacedDoc {
  topic: number;
  /** Topic-map coordinates. */
  x: number;
  y: number;
  source: string;
  date?: DocDate;
}

/** What `fitTopics` finds (the content of topics.json). */
export interface TopicsResult {
  documents: number;
  k: number;
  /** The silhouette of each k tried, when k was chosen. */
  kScores?: { k: number; silhouette: number }[];
  dims: number;
  vocabularySize: number;
  /** Mean NPMI of the topics. */
  coherence: number;
  topics: Topic[];
  docs: PlacedDoc[];
  trends?: Trends;
}

/** Finds the topics of `docs` from their (n, dim) embeddings (see the module comment). */
export function fitTopics(docs: readonly TopicDoc[], rows: Float32Array, dim: number, s: TopicSettings = {}): TopicsResult {
  const n = docs.length, seed = s.seed ?? 1;
  if (rows.length !== n * dim) throw new LlmtsError('E_TOPICS', `${rows.length / dim} embeddings for ${n} documents`, { where: 'embeddings', hint: 'give one embedding per document' });
  if (s.k !== undefined && (!Number.isInteger(s.k) || s.k < 1 || s.k > n)) {
    throw new LlmtsError('E_TOPICS', `cannot make ${s.k} topics of ${n} documents`, { where: '--k', hint: `choose k between 1 and ${n}` });
  }
  if (s.k === undefined && n < 3) throw new LlmtsError('E_TOPICS', `${n} documents are too few to choose a number of topics`, { where: 'FILES', hint: 'give at least 3 documents, or pass --k' });
  const reduced = pca(rows, n, dim, s.dims ?? 5, { seed });
  const m = reduced.m, points = reduced.projected; // (n, m)
  const chosen = s.k === undefined ? chooseK(points, n, m, { kMin: s.kMin, kMax: s.kMax, seed }) : undefined;
  const fit = chosen?.fit ?? kmeans(points, n, m, s.k!, { seed });
  const k = chosen?.k ?? s.k!;

  // topics numbered by size, largest first (ties: the cluster of the earlier document)
  const sizes = new Array<number>(k).fill(0), first = new Array<number>(k).fill(n);
  fit.labels.forEach((c, i) => { sizes[c]!++; first[c] = Math.min(first[c]!, i); });
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => sizes[b]! - sizes[a]! || first[a]! - first[b]!);
  const rank = new Int32Array(k);
  order.forEach((c, r) => { rank[c] = r; });
  const labels = Int32Array.from(fit.labels, (c) => rank[c]!);

  const { vocab, ids } = corpusTerms(docs.map((d) => d.text), { minDf: s.minDf });
  const V = vocab.terms.length;
  const weights = classTfidf(ids, labels, k, V); // (k, V)
  const topN = s.topWords ?? 10;
  const termLists = Array.from({ length: k }, (_, t) => topTerms(weights, t, V, topN));
  const coherence = npmi(termLists.map((l) => l.map((w) => w.term)), ids);

  const map = pca(points, n, m, 2, { seed }); // (n, 2) or (n, 1) when m = 1
  const topics: Topic[] = order.map((c, t) => {
    const members = [...labels.keys()].filter((i) => labels[i] === t);
    const d2 = (i: number): number => {
      let sum = 0;
      for (let j = 0; j < m; j++) sum += (points[i * m + j]! - fit.centroids[c * m + j]!) ** 2;
      return sum;
    };
    members.sort((a, b) => d2(a) - d2(b) || a - b);
    return {
      id: t,
      size: sizes[c]!,
      share: sizes[c]! / n,
      words: termLists[t]!.map((w) => ({ word: vocab.terms[w.term]!, weight: w.weight })),
      coherence: coherence.perTopic[t]!,
      representatives: members.slice(0, s.representatives ?? 3).map((i) => ({ doc: i, text: docs[i]!.text })),
    };
  });
  const placed: PlacedDoc[] = docs.map((d, i) => ({
    topic: labels[i]!, x: map.projected[i * map.m]!, y: map.m > 1 ? map.projected[i * map.m + 1]! : 0, source: d.source,
    ...(d.date ? { date: d.date } : {}),
  }));
  const dated = docs.flatMap((d, i) => (d.date ? [{ date: d.date, topic: labels[i]! }] : []));
  return {
    documents: n, k, ...(chosen ? { kScores: chosen.scores } : {}), dims: m, vocabularySize: V, coherence: coherence.mean, topics, docs: placed,
    ...(dated.length > 0 ? { trends: topicTrends(dated.map((x) => x.date), dated.map((x) => x.topic), k, s.period ?? 'auto') } : {}),
  };
}
