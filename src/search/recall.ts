/**
 * Retrieval evaluation: recall at k over queries with one relevant document each, for
 * BM25, dense (cosine of embeddings), and their reciprocal-rank fusion, measured on one
 * collection in one call. The embedding function is passed in (the search layer does not
 * run models), so the recipe, the bench and the tests share this code.
 *
 * A retrieved document counts as relevant when its text equals the relevant one's (two
 * candidates with the same text are the same answer). With `chunk`, dense retrieval
 * embeds each document's chunks and scores a document by its best chunk (max cosine), as
 * an index of chunked files does; BM25 scores whole documents.
 *
 * @example
 * const r = evaluateRetrieval({ name: 'en->fr', queries, docs, relevant }, embed);
 * r.recallAt1; // { bm25: 0.05, dense: 0.83, hybrid: 0.81 }
 */
import { LlmtsError } from '../util/errors.ts';
import { Bm25, topK, type Hit } from './bm25.ts';
import { ExactIndex } from './exact.ts';
import { rrf } from './rrf.ts';

/** A retrieval test: each query's relevant document is `docs[relevant[i]]`. */
export interface RetrievalTask {
  name: string;
  queries: readonly string[];
  docs: readonly string[];
  relevant: readonly number[];
}

/** Texts -> unit vectors (one per text, in order); `role` lets a model treat the sides apart. */
export type EmbedTexts = (texts: readonly string[], role: 'query' | 'doc') => Float32Array[];

/** The retrieval modes compared. */
export type RetrievalMode = 'bm25' | 'dense' | 'hybrid';

/** Recall at 1 and 10 of each mode run (dense and hybrid only with an embedding function). */
export interface RetrievalReport {
  name: string;
  queries: number;
  docs: number;
  recallAt1: Partial<Record<RetrievalMode, number>>;
  recallAt10: Partial<Record<RetrievalMode, number>>;
  /** The dense list's weight in the hybrid's RRF (BM25's is 1). */
  denseWeight: number;
  /** Hybrid recall at 1 for each weight of `o.tryWeights`, by weight. */
  hybridAt1ByWeight: Record<string, number>;
}

/** How deep each ranked list goes before fusion. */
export const FUSION_DEPTH = 100;

/** Packs unit vectors (dim each) into one array. */
export function packVectors(vs: readonly Float32Array[]): { data: Float32Array; dim: number } {
  const dim = vs[0]?.length ?? 0;
  const data = new Float32Array(vs.length * dim);
  vs.forEach((v, i) => {
    if (v.length !== dim) throw new LlmtsError('E_INDEX', `vector ${i} has ${v.length} dimensions, vector 0 has ${dim}`, { where: `vectors[${i}]`, hint: 'embed every text with one model' });
    data.set(v, i * dim);
  });
  return { data, dim };
}

/** Best score per document from scores per chunk (`owner[c]` = the chunk's document), -Infinity where none. */
export function maxByDocument(chunkScores: ArrayLike<number>, owner: readonly number[], docs: number): Float64Array {
  const out = new Float64Array(docs).fill(-Infinity);
  for (let c = 0; c < owner.length; c++) out[owner[c]!] = Math.max(out[owner[c]!]!, chunkScores[c]!);
  return out;
}

/** Recall at 1 and 10 of BM25, dense and hybrid on `task`; `chunk` splits documents for dense (see the module comment). */
export function evaluateRetrieval(task: RetrievalTask, embed: EmbedTexts | null, o: { chunk?: (doc: string) => string[]; denseWeight?: number; tryWeights?: readonly number[] } = {}): RetrievalReport {
  const { queries, docs, relevant } = task;
  if (queries.length !== relevant.length || queries.length === 0) {
    throw new LlmtsError('E_DATA', `${task.name}: ${queries.length} queries for ${relevant.length} relevance labels`, { where: task.name, hint: 'one relevant document per query' });
  }
  const bm25 = new Bm25(docs);
  const runs: Partial<Record<RetrievalMode, Hit[][]>> = { bm25: queries.map((q) => bm25.search(q, FUSION_DEPTH)) };
  if (embed) {
    const pieces = o.chunk ? docs.map((d) => o.chunk!(d)) : docs.map((d) => [d]);
    const owner = pieces.flatMap((ps, d) => ps.map(() => d));
    const { data, dim } = packVectors(embed(pieces.flat(), 'doc'));
    const exact = new ExactIndex(data, dim);
    const qv = embed(queries, 'query');
    runs.dense = qv.map((v) => topK(maxByDocument(exact.scores(v), owner, docs.length), FUSION_DEPTH));
    runs.hybrid = runs.dense.map((d, i) => rrf([runs.bm25![i]!, d], FUSION_DEPTH, 60, [1, o.denseWeight ?? 1]));
  }
  const recall = (lists: Hit[][], k: number) => lists.filter((hits, i) => hits.slice(0, k).some((h) => docs[h.doc] === docs[relevant[i]!])).length / lists.length;
  const report: RetrievalReport = { name: task.name, queries: queries.length, docs: docs.length, recallAt1: {}, recallAt10: {}, denseWeight: o.denseWeight ?? 1, hybridAt1ByWeight: {} };
  for (const w of runs.dense ? (o.tryWeights ?? []) : []) {
    report.hybridAt1ByWeight[String(w)] = recall(runs.dense!.map((d, i) => rrf([runs.bm25![i]!, d], FUSION_DEPTH, 60, [1, w])), 1);
  }
  for (const [mode, lists] of Object.entries(runs) as [RetrievalMode, Hit[][]][]) {
    report.recallAt1[mode] = recall(lists, 1);
    report.recallAt10[mode] = recall(lists, 10);
  }
  return report;
}
