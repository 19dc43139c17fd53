/**
 * Approximate nearest neighbours for large collections: an HNSW graph (Malkov & Yashunin)
 * from the `usearch` package (Unum; Apache-2.0; a prebuilt Node-API addon shipped inside
 * the npm package), cosine metric over our unit vectors. Vectors are added in one call on
 * one thread, so the same vectors always give the same graph and the same answers.
 *
 * The graph is saved in usearch's own file format. Its loader trusts the bytes, so the
 * index directory records the file's size and SHA-256 and `AnnIndex.load` is only called
 * after they match (index-dir.ts): a damaged file is an E_INDEX error, never a crash.
 *
 * When the addon cannot load (a platform without a prebuild), `annAvailable()` is false
 * and indexes use exact search (exact.ts).
 *
 * @example
 * const ann = AnnIndex.build(vectors, 128);  // vectors: Float32Array(N * 128), unit rows
 * ann.search(query, 10);                     // [{ doc, score: cosine }, ...] best first
 * ann.save('idx/ann.usearch');
 */
import { createRequire } from 'node:module';
import type { Index } from 'usearch';
import { LlmtsError } from '../util/errors.ts';
import type { Hit } from './bm25.ts';

type Usearch = typeof import('usearch');

let loaded: Usearch | null | undefined;

/** The usearch module, or null when its addon does not load here. */
function usearch(): Usearch | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('usearch') as Usearch;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** True when the HNSW addon loads on this machine. */
export function annAvailable(): boolean {
  return usearch() !== null;
}

/** HNSW settings: links per node (M) and the candidate list sizes while adding and searching. */
export interface AnnParams {
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}

/** usearch's defaults raised a little for recall on our sizes. */
export const DEFAULT_ANN: AnnParams = { connectivity: 16, expansionAdd: 128, expansionSearch: 64 };

/** An HNSW index over unit vectors (see the module comment). */
export class AnnIndex {
  private constructor(private readonly index: Index, readonly dim: number, readonly params: AnnParams) {}

  private static create(dim: number, p: AnnParams): Index {
    const u = usearch();
    if (!u) throw new LlmtsError('E_INDEX', 'the HNSW addon (usearch) does not load on this machine', { where: 'ann', hint: 'build the index with --ann off (exact search)' });
    return new u.Index({ dimensions: dim, metric: u.MetricKind.Cos, quantization: u.ScalarKind.F32, connectivity: p.connectivity, expansion_add: p.expansionAdd, expansion_search: p.expansionSearch, multi: false });
  }

  /** Builds the graph over `vectors` (N * dim, unit rows); key n is row n. */
  static build(vectors: Float32Array, dim: number, p: AnnParams = DEFAULT_ANN): AnnIndex {
    const index = AnnIndex.create(dim, p);
    const n = vectors.length / dim;
    if (n > 0) index.add(BigUint64Array.from({ length: n }, (_, i) => BigInt(i)), vectors, 1);
    return new AnnIndex(index, dim, p);
  }

  /** Loads a graph saved by `save` (check the file's digest first: index-dir.ts). */
  static load(file: string, dim: number, p: AnnParams): AnnIndex {
    const index = AnnIndex.create(dim, p);
    index.load(file);
    return new AnnIndex(index, dim, p);
  }

  /** Vectors in the graph. */
  get size(): number {
    return Number(this.index.size());
  }

  /** Writes the graph to `file` (usearch's format). */
  save(file: string): void {
    this.index.save(file);
  }

  /** About the `k` nearest stored vectors to `query` by cosine, best first. */
  search(query: Float32Array, k: number): Hit[] {
    if (query.length !== this.dim) throw new LlmtsError('E_INDEX', `query has ${query.length} dimensions; the index has ${this.dim}`, { where: 'query', hint: 'embed the query with the model the index was built with' });
    const kk = Math.min(k, this.size);
    if (kk === 0) return [];
    const m = this.index.search(query, kk, 1);
    const hits: Hit[] = [];
    for (let i = 0; i < m.keys.length; i++) hits.push({ doc: Number(m.keys[i]!), score: 1 - m.distances[i]! });
    return hits.sort((a, b) => b.score - a.score || a.doc - b.doc);
  }
}
