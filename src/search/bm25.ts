/**
 * Okapi BM25 over a fixed collection (Robertson et al.; Lucene's idf, which is never
 * negative):
 *
 *   score(q, d) = sum over query terms t of  idf(t) * tf(t, d) * (k1 + 1) / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))
 *   idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
 *
 * tf(t, d) counts t in document d, |d| is d's length in terms, avgdl the mean length, N
 * the number of documents and df(t) those holding t. A query term repeated counts once
 * per occurrence (as a bag of words). Postings are kept per term, so a query touches
 * only the documents that share a term with it.
 *
 * @example
 * const bm = new Bm25(['the cat sat', 'the dog ran']);
 * bm.search('cat', 1); // [{ doc: 0, score: 0.693... }]
 */
import { terms } from './terms.ts';

/** BM25's free parameters. */
export interface Bm25Params {
  /** Term-frequency saturation (default 1.2). */
  k1?: number;
  /** Length normalisation, 0 (none) to 1 (full) (default 0.75). */
  b?: number;
}

/** A scored document. */
export interface Hit {
  /** Index of the document in the collection. */
  doc: number;
  score: number;
}

/** The best `k` of `scores` (higher first, ties by lower index), skipping -Infinity. */
export function topK(scores: ArrayLike<number>, k: number): Hit[] {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i]! > -Infinity) idx.push(i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, k).map((doc) => ({ doc, score: scores[doc]! }));
}

/** A BM25 index of a collection of texts (see the module comment). */
export class Bm25 {
  readonly k1: number;
  readonly b: number;
  /** Documents in the collection. */
  readonly size: number;
  /** Mean document length in terms. */
  readonly avgdl: number;
  private readonly lengths: Int32Array;
  private readonly postings = new Map<string, { docs: number[]; tfs: number[] }>();

  constructor(docs: readonly string[], p: Bm25Params = {}) {
    this.k1 = p.k1 ?? 1.2;
    this.b = p.b ?? 0.75;
    this.size = docs.length;
    this.lengths = new Int32Array(docs.length);
    let total = 0;
    docs.forEach((text, d) => {
      const counts = new Map<string, number>();
      const ts = terms(text);
      for (const t of ts) counts.set(t, (counts.get(t) ?? 0) + 1);
      this.lengths[d] = ts.length;
      total += ts.length;
      for (const [t, tf] of counts) {
        let post = this.postings.get(t);
        if (!post) this.postings.set(t, (post = { docs: [], tfs: [] }));
        post.docs.push(d);
        post.tfs.push(tf);
      }
    });
    this.avgdl = docs.length > 0 ? total / docs.length : 0;
  }

  /** Documents holding `term` (already lower-cased, as `terms` gives it). */
  df(term: string): number {
    return this.postings.get(term)?.docs.length ?? 0;
  }

  /** Lucene's BM25 idf of `term`. */
  idf(term: string): number {
    const df = this.df(term);
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  /** The BM25 score of every document for `query` (0 where no term is shared). */
  scores(query: string): Float64Array {
    const out = new Float64Array(this.size);
    const { k1, b, avgdl } = this;
    for (const t of terms(query)) {
      const post = this.postings.get(t);
      if (!post) continue;
      const idf = this.idf(t);
      for (let i = 0; i < post.docs.length; i++) {
        const d = post.docs[i]!, tf = post.tfs[i]!;
        const norm = avgdl > 0 ? 1 - b + (b * this.lengths[d]!) / avgdl : 1;
        out[d]! += (idf * tf * (k1 + 1)) / (tf + k1 * norm);
      }
    }
    return out;
  }

  /** The `k` best documents for `query` that share at least one term with it. */
  search(query: string, k: number): Hit[] {
    const s = this.scores(query);
    const matched = new Float64Array(s.length).fill(-Infinity);
    const seen = new Set<number>();
    for (const t of terms(query)) for (const d of this.postings.get(t)?.docs ?? []) seen.add(d);
    for (const d of seen) matched[d] = s[d]!;
    return topK(matched, k);
  }
}
