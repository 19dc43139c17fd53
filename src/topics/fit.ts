/**
 * Topics of a document collection from its embeddings, as BERTopic builds them: the
 * embeddings reduced (PCA to `dims`), clustered (k-means, k given or chosen by the best
 * silhouette in [kMin, kMax]; or HDBSCAN, `cluster: 'hdbscan'`, which finds the number of
 * dense clusters itself and leaves the documents in none to an outlier topic), each cluster
 * named by its c-TF-IDF words and shown by its documents nearest the centre; topics numbered
 * by size, largest first, the outlier topic (when there is one) last, with `outlier: true`,
 * its words and NPMI kept (as BERTopic's topic -1) but left out of the mean NPMI. Beside them: each
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
import { hdbscan } from './hdbscan.ts';
import { chooseK, kmeans } from './kmeans.ts';
import { pca } from './pca.ts';
import { topicTrends, type TrendPeriod, type Trends } from './trends.ts';
import { corpusTerms } from './words.ts';

/** Settings of `fitTopics`. */
export interface TopicSettings {
  /** 'kmeans' (default) or 'hdbscan' (density clusters and an outlier topic). */
  cluster?: TopicClustering;
  /** Number of topics (k-means); undefined: chosen by silhouette in [kMin, kMax]. */
  k?: number;
  kMin?: number;
  kMax?: number;
  /** HDBSCAN's smallest cluster (default 10, as BERTopic) and core-distance neighbours (default the same). */
  minClusterSize?: number;
  minSamples?: number;
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

/** How documents are clustered into topics. */
export type TopicClustering = 'kmeans' | 'hdbscan';

/** One topic. */
export interface Topic {
  id: number;
  /** The documents HDBSCAN put in no cluster (always the last topic). */
  outlier?: boolean;
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
  /** Topics found, the outlier topic not counted. */
  k: number;
  clustering: TopicClustering;
  /** Documents in the outlier topic (0 with k-means). */
  outliers: number;
  /** The silhouette of each k tried, when k was chosen. */
  kScores?: { k: number; silhouette: number }[];
  dims: number;
  vocabularySize: number;
  /** Mean NPMI of the topics (the outlier topic left out). */
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
  if (s.cluster !== 'hdbscan' && s.k === undefined && n < 3) throw new LlmtsError('E_TOPICS', `${n} documents are too few to choose a number of topics`, { where: 'FILES', hint: 'give at least 3 documents, or pass --k' });
  const reduced = pca(rows, n, dim, s.dims ?? 5, { seed });
  const m = reduced.m, points = reduced.projected; // (n, m)
  const clustering = s.cluster ?? 'kmeans';
  const fit = clustering === 'hdbscan' ? densityClusters(points, n, m, s) : centroidClusters(points, n, m, s, seed);
  const k = fit.k, slots = fit.outliers > 0 ? k + 1 : k; // the outlier topic, when there is one, is slot k

  // topics numbered by size, largest first (ties: the cluster of the earlier document); outliers last
  const sizes = new Array<number>(slots).fill(0), first = new Array<number>(slots).fill(n);
  fit.labels.forEach((c, i) => { sizes[c]!++; first[c] = Math.min(first[c]!, i); });
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => sizes[b]! - sizes[a]! || first[a]! - first[b]!);
  if (slots > k) order.push(k);
  const rank = new Int32Array(slots);
  order.forEach((c, r) => { rank[c] = r; });
  const labels = Int32Array.from(fit.labels, (c) => rank[c]!);
  const centroids = clusterMeans(points, n, m, fit.labels, slots); // (slots, m)

  const { vocab, ids } = corpusTerms(docs.map((d) => d.text), { minDf: s.minDf });
  const V = vocab.terms.length;
  const weights = classTfidf(ids, labels, slots, V); // (slots, V)
  const topN = s.topWords ?? 10;
  const termLists = Array.from({ length: slots }, (_, t) => topTerms(weights, t, V, topN));
  const coherence = npmi(termLists.map((l) => l.map((w) => w.term)), ids);
  const meanNpmi = coherence.perTopic.slice(0, k).reduce((a, x) => a + x, 0) / k;

  const map = pca(points, n, m, 2, { seed }); // (n, 2) or (n, 1) when m = 1
  const topics: Topic[] = order.map((c, t) => {
    const members = [...labels.keys()].filter((i) => labels[i] === t);
    const d2 = (i: number): number => {
      let sum = 0;
      for (let j = 0; j < m; j++) sum += (points[i * m + j]! - centroids[c * m + j]!) ** 2;
      return sum;
    };
    members.sort((a, b) => d2(a) - d2(b) || a - b);
    return {
      id: t,
      ...(c === k ? { outlier: true } : {}),
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
    documents: n, k, clustering, outliers: fit.outliers, ...(fit.kScores ? { kScores: fit.kScores } : {}), dims: m, vocabularySize: V, coherence: meanNpmi,
    topics, docs: placed,
    ...(dated.length > 0 ? { trends: topicTrends(dated.map((x) => x.date), dated.map((x) => x.topic), slots, s.period ?? 'auto') } : {}),
  };
}

/** A clustering of the reduced points: labels 0..k-1, and k for an outlier (HDBSCAN's noise). */
interface Clusters { labels: Int32Array; k: number; outliers: number; kScores?: { k: number; silhouette: number }[] }

/** k-means with k given, or chosen by silhouette. */
function centroidClusters(points: Float64Array, n: number, m: number, s: TopicSettings, seed: number): Clusters {
  if (s.k === undefined) {
    const chosen = chooseK(points, n, m, { kMin: s.kMin, kMax: s.kMax, seed });
    return { labels: chosen.fit.labels, k: chosen.k, outliers: 0, kScores: chosen.scores };
  }
  return { labels: kmeans(points, n, m, s.k, { seed }).labels, k: s.k, outliers: 0 };
}

/** HDBSCAN clusters; its noise points get label k (the outlier topic). */
function densityClusters(points: Float64Array, n: number, m: number, s: TopicSettings): Clusters {
  const minClusterSize = s.minClusterSize ?? 10;
  const fit = hdbscan(points, n, m, { minClusterSize, minSamples: s.minSamples });
  if (fit.k === 0) {
    throw new LlmtsError('E_TOPICS', `HDBSCAN found no cluster of at least ${minClusterSize} documents among ${n}`, {
      where: '--min-cluster-size', hint: 'lower --min-cluster-size, give more documents, or cluster with --cluster kmeans' });
  }
  let outliers = 0;
  const labels = Int32Array.from(fit.labels, (c) => (c < 0 ? (outliers++, fit.k) : c));
  return { labels, k: fit.k, outliers };
}

/** (slots, m) mean of the points of each label. */
function clusterMeans(points: Float64Array, n: number, m: number, labels: Int32Array, slots: number): Float64Array {
  const sums = new Float64Array(slots * m), counts = new Int32Array(slots);
  for (let i = 0; i < n; i++) {
    counts[labels[i]!]++;
    for (let j = 0; j < m; j++) sums[labels[i]! * m + j] += points[i * m + j]!;
  }
  for (let c = 0; c < slots; c++) for (let j = 0; j < m; j++) sums[c * m + j] /= Math.max(1, counts[c]!);
  return sums;
}
