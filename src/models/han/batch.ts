/**
 * A batch of documents for the hierarchical model: every sentence of every document as
 * one row of word ids padded to the batch's longest sentence (T), and the documents as
 * rows of sentences padded to the batch's most sentences (S). Only real sentences go
 * through the word encoder; `sentSource` / `sentRow` put their vectors into the (B * S)
 * grid, padding slots reading a zero row (source 1).
 *
 * @example
 * const b = batchDocuments([[[4, 7, 9], [3]], [[5, 2]]], [1, 0]);
 * b.sentences; // 3 rows of word ids, T = 3; b.docs = 2, S = 2
 */
import { LlmtsError } from '../../util/errors.ts';

/** A document: its sentences, each a list of word ids. */
export type DocIds = readonly (readonly number[])[];

/** See the module comment. */
export interface DocBatch {
  /** Documents (B). */
  docs: number;
  /** Most sentences of a document in the batch (S). */
  maxSentences: number;
  /** Most words of a sentence in the batch (T). */
  maxWords: number;
  /** Real sentences (rows of `wordIds`), documents in order. */
  sentences: number;
  /** (sentences, T) word ids, 0 after each sentence's end. */
  wordIds: Int32Array;
  /** Words of each sentence (sentences). */
  wordLens: Int32Array;
  /** Sentences of each document (B). */
  sentLens: Int32Array;
  /** Per (doc, slot) of the (B, S) grid: 0 = a real sentence (row `sentRow`), 1 = padding. */
  sentSource: Int32Array;
  sentRow: Int32Array;
  /** Document labels (B), or -1 where unknown. */
  labels: Int32Array;
  /** Words in the batch (for tokens/s). */
  words: number;
}

/** Builds a batch (see the module comment); every document needs a sentence and every sentence a word. */
export function batchDocuments(docs: readonly DocIds[], labels?: readonly number[]): DocBatch {
  if (docs.length === 0) throw new LlmtsError('E_INPUT', 'a batch needs at least one document', { where: 'batchDocuments', hint: 'give at least one document' });
  let S = 0, T = 0, n = 0, words = 0;
  docs.forEach((d, i) => {
    if (d.length === 0) throw new LlmtsError('E_INPUT', `document ${i} has no sentences`, { where: 'batchDocuments', hint: 'drop documents with no words before batching' });
    S = Math.max(S, d.length);
    for (const s of d) {
      if (s.length === 0) throw new LlmtsError('E_INPUT', `document ${i} has an empty sentence`, { where: 'batchDocuments', hint: 'drop empty sentences when splitting the text' });
      T = Math.max(T, s.length);
      words += s.length;
    }
    n += d.length;
  });
  const wordIds = new Int32Array(n * T), wordLens = new Int32Array(n), sentLens = new Int32Array(docs.length);
  const sentSource = new Int32Array(docs.length * S).fill(1), sentRow = new Int32Array(docs.length * S);
  let row = 0;
  docs.forEach((d, i) => {
    sentLens[i] = d.length;
    d.forEach((s, k) => {
      wordIds.set(s, row * T);
      wordLens[row] = s.length;
      sentSource[i * S + k] = 0;
      sentRow[i * S + k] = row;
      row++;
    });
  });
  return {
    docs: docs.length, maxSentences: S, maxWords: T, sentences: n, wordIds, wordLens, sentLens, sentSource, sentRow,
    labels: Int32Array.from(labels ?? docs.map(() => -1)), words,
  };
}
