/**
 * Building and querying a search index: chunks of files with one unit vector each
 * (from the caller's embedding function: the search layer runs no model), BM25 over the
 * chunk texts, dense search (exact cosine below `annMinChunks` chunks, the HNSW graph of
 * ann.ts above), and the hybrid: reciprocal-rank fusion of the two top-100 lists.
 *
 * @example
 * const content = buildIndex([{ path: 'a.md', text }], (texts) => embed(m, texts), { model: '/abs/model' });
 * writeIndexDir('runs/idx', content);
 * const ix = SearchIndex.open('runs/idx');
 * ix.search('how do I resume?', queryVector, { k: 5, mode: 'hybrid' });
 */
import { resolve } from 'node:path';
import { LlmtsError } from '../util/errors.ts';
import { AnnIndex, annAvailable, DEFAULT_ANN } from './ann.ts';
import { Bm25, type Hit } from './bm25.ts';
import { chunkText, type Chunk, type ChunkOptions } from './chunk.ts';
import { ExactIndex } from './exact.ts';
import { readIndexDir, type IndexContent, type IndexManifest } from './index-dir.ts';
import { FUSION_DEPTH, packVectors } from './recall.ts';
import { rrf } from './rrf.ts';

/** How results are ranked. */
export type SearchMode = 'hybrid' | 'bm25' | 'dense';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'bm25', 'dense'];

/** Collections of at least this many chunks get an HNSW graph ('auto'). */
export const ANN_MIN_CHUNKS = 10000;

/** Options of `buildIndex`. */
export interface BuildIndexOptions extends ChunkOptions {
  /** The embedding model's path (recorded in the manifest, made absolute). */
  model: string;
  /** 'auto' (HNSW from `ANN_MIN_CHUNKS` chunks when the addon loads), 'on' or 'off'. */
  ann?: 'auto' | 'on' | 'off';
  /** Called with the chunks embedded so far and their total. */
  onProgress?: (done: number, total: number) => void;
}

/** Files -> the content of an index directory (see the module comment). */
export function buildIndex(files: readonly { path: string; text: string }[], embed: (texts: readonly string[]) => Float32Array[], o: BuildIndexOptions): IndexContent {
  const maxWords = o.maxWords ?? 120, overlap = o.overlap ?? 1;
  const chunks = files.flatMap((f) => chunkText(f.text, f.path, { maxWords, overlap }));
  if (chunks.length === 0) throw new LlmtsError('E_INPUT', 'the files hold no text to index', { where: 'FILES', hint: 'pass text files with some words in them' });
  const vs: Float32Array[] = [];
  const step = 256;
  for (let s = 0; s < chunks.length; s += step) {
    vs.push(...embed(chunks.slice(s, s + step).map((c) => c.text)));
    o.onProgress?.(vs.length, chunks.length);
  }
  const { data, dim } = packVectors(vs);
  const mode = o.ann ?? 'auto';
  if (mode === 'on' && !annAvailable()) throw new LlmtsError('E_INDEX', 'the HNSW addon (usearch) does not load on this machine', { where: '--ann', hint: 'use --ann off (exact search)' });
  const useAnn = mode === 'on' || (mode === 'auto' && chunks.length >= ANN_MIN_CHUNKS && annAvailable());
  const graph = useAnn ? AnnIndex.build(data, dim, DEFAULT_ANN) : null;
  return {
    manifest: { model: resolve(o.model), pooling: 'mean', dim, chunks: chunks.length, chunking: { maxWords, overlap }, sources: files.map((f) => f.path) },
    chunks, vectors: data,
    ann: graph ? { params: DEFAULT_ANN, save: (file) => graph.save(file) } : null,
  };
}

/** One result of a search. */
export interface SearchResult {
  /** 1-based rank. */
  rank: number;
  /** Index of the chunk in the index (chunks.jsonl line - 1). */
  id: number;
  chunk: Chunk;
  /** The mode's score: BM25, cosine, or the RRF sum. */
  score: number;
  /** 1-based rank in the BM25 and dense lists (hybrid), null when absent from a list's top 100. */
  bm25Rank?: number | null;
  denseRank?: number | null;
}

/** A loaded index (see the module comment). */
export class SearchIndex {
  readonly bm25: Bm25;
  private readonly dense: ExactIndex | AnnIndex;

  private constructor(readonly dir: string, readonly manifest: IndexManifest, readonly chunks: Chunk[], vectors: Float32Array) {
    this.bm25 = new Bm25(chunks.map((c) => c.text));
    const exact = new ExactIndex(vectors, manifest.dim);
    this.dense = manifest.ann && annAvailable() ? AnnIndex.load(`${dir}/${manifest.ann.file}`, manifest.dim, manifest.ann) : exact;
  }

  /** Reads and checks `dir` (index-dir.ts), builds BM25 and loads the dense index. */
  static open(dir: string): SearchIndex {
    const f = readIndexDir(dir);
    return new SearchIndex(dir, f.manifest, f.chunks, f.vectors);
  }

  /** 'exact' or 'hnsw': how dense search runs. */
  get denseKind(): 'exact' | 'hnsw' {
    return this.dense instanceof AnnIndex ? 'hnsw' : 'exact';
  }

  /** The `k` best chunks for `query` (its unit vector is needed by 'dense' and 'hybrid'; `denseWeight` is the dense list's RRF weight, BM25's being 1). */
  search(query: string, queryVector: Float32Array | null, o: { k: number; mode: SearchMode; denseWeight?: number }): SearchResult[] {
    const { k, mode } = o;
    if (mode !== 'bm25' && queryVector === null) throw new LlmtsError('E_INPUT', `${mode} search needs the query's embedding`, { where: 'query', hint: 'embed the query with the index model, or use --mode bm25' });
    const depth = Math.max(k, FUSION_DEPTH);
    const lex: Hit[] = mode === 'dense' ? [] : this.bm25.search(query, depth);
    const vec: Hit[] = mode === 'bm25' ? [] : this.dense.search(queryVector!, depth);
    const ranked = mode === 'bm25' ? lex : mode === 'dense' ? vec : rrf([lex, vec], depth, 60, [1, o.denseWeight ?? 1]);
    const rankIn = (list: Hit[], id: number) => {
      const i = list.findIndex((h) => h.doc === id);
      return i < 0 ? null : i + 1;
    };
    return ranked.slice(0, k).map((h, i) => ({
      rank: i + 1, id: h.doc, chunk: this.chunks[h.doc]!, score: h.score,
      ...(mode === 'hybrid' ? { bm25Rank: rankIn(lex, h.doc), denseRank: rankIn(vec, h.doc) } : {}),
    }));
  }
}
