/**
 * Exact nearest neighbours by cosine over L2-normalised vectors: one dot product per
 * stored vector (N x dim multiply-adds per query), the right index for small collections
 * (a few thousand chunks answer in well under a millisecond each) and the oracle the ANN
 * index is measured against.
 *
 * @example
 * const ix = new ExactIndex(vectors, 128); // vectors: Float32Array(N * 128), rows of norm 1
 * ix.search(query, 5);                      // [{ doc, score: cosine }, ...] best first
 */
import { LlmtsError } from '../util/errors.ts';
import { topK, type Hit } from './bm25.ts';

/** Exact cosine search over stored unit vectors (see the module comment). */
export class ExactIndex {
  /** Stored vectors. */
  readonly size: number;

  constructor(readonly vectors: Float32Array, readonly dim: number) {
    if (!Number.isInteger(dim) || dim < 1 || vectors.length % dim !== 0) {
      throw new LlmtsError('E_INDEX', `${vectors.length} numbers do not make vectors of dimension ${dim}`, { where: 'vectors', hint: 'store N * dim numbers' });
    }
    this.size = vectors.length / dim;
  }

  /** Cosine of `query` (unit norm, dim) with every stored vector. */
  scores(query: Float32Array): Float64Array {
    if (query.length !== this.dim) throw new LlmtsError('E_INDEX', `query has ${query.length} dimensions; the index has ${this.dim}`, { where: 'query', hint: 'embed the query with the model the index was built with' });
    const { dim, vectors } = this;
    const out = new Float64Array(this.size);
    for (let n = 0; n < this.size; n++) {
      let s = 0;
      const o = n * dim;
      for (let i = 0; i < dim; i++) s += vectors[o + i]! * query[i]!;
      out[n] = s;
    }
    return out;
  }

  /** The `k` stored vectors nearest `query` by cosine, best first. */
  search(query: Float32Array, k: number): Hit[] {
    return topK(this.scores(query), k);
  }
}
