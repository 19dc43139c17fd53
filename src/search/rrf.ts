/**
 * Reciprocal-rank fusion (Cormack, Clarke & Buettcher 2009): each ranked list gives a
 * document 1 / (k + rank) (rank from 1), the fused score is the sum over the lists that
 * hold it. Scores of the lists are not compared, only ranks, so BM25 and cosine mix
 * without any calibration. k = 60 as in the paper. `weights` scale each list's share
 * (weighted RRF, as search engines offer it); default 1 each.
 *
 * @example
 * rrf([[{ doc: 3, score: 9 }, { doc: 1, score: 2 }], [{ doc: 1, score: 0.9 }]], 2);
 * // [{ doc: 1, score: 1/62 + 1/61 }, { doc: 3, score: 1/61 }]
 */
import type { Hit } from './bm25.ts';

/** Fuses ranked lists (best first) into the `limit` best by RRF (ties: lower doc first). */
export function rrf(lists: readonly (readonly Hit[])[], limit: number, k = 60, weights?: readonly number[]): Hit[] {
  const fused = new Map<number, number>();
  lists.forEach((list, l) => {
    const w = weights?.[l] ?? 1;
    list.forEach((h, i) => fused.set(h.doc, (fused.get(h.doc) ?? 0) + w / (k + i + 1)));
  });
  return [...fused].map(([doc, score]) => ({ doc, score })).sort((a, b) => b.score - a.score || a.doc - b.doc).slice(0, limit);
}
