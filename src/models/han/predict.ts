/**
 * Inference: class probabilities of documents (eval mode, no graph), in batches, and
 * with `explain` each document's sentence and word attention weights (han only): what
 * the scores of `llmts train-han` and `llmts classify-doc --explain` read.
 *
 * @example
 * const [p] = predictDocuments(model, [ids], { explain: true });
 * p.probs;          // Float32Array(numLabels)
 * p.sentWeights![0]; // the first sentence's weight; p.wordWeights![0][k] its k-th word's
 */
import { withEvalMode } from '../../nn/eval-mode.ts';
import { noGrad, tidy } from '../../tensor/index.ts';
import { batchDocuments, type DocIds } from './batch.ts';
import type { HanOutput } from './han.ts';
import type { Module } from '../../nn/module.ts';

/** A model of this family as prediction sees it. */
export interface DocumentClassifier extends Module {
  readonly config: { numLabels: number };
  forward(b: ReturnType<typeof batchDocuments>, withLoss?: boolean): HanOutput;
}

/** One document's prediction. */
export interface DocumentPrediction {
  probs: Float32Array;
  /** Weight of each sentence (sums to 1), with `explain` on a han model. */
  sentWeights: Float32Array | null;
  /** Per sentence, the weight of each of its words (each sums to 1). */
  wordWeights: Float32Array[] | null;
}

function softmaxRow(x: Float32Array, at: number, L: number): Float32Array {
  const p = new Float32Array(L);
  let max = -Infinity, s = 0;
  for (let k = 0; k < L; k++) max = Math.max(max, x[at + k]!);
  for (let k = 0; k < L; k++) s += p[k] = Math.exp(x[at + k]! - max);
  for (let k = 0; k < L; k++) p[k]! /= s;
  return p;
}

/** Predictions for `docs` (see the module comment). */
export function predictDocuments(model: DocumentClassifier, docs: readonly DocIds[], o: { batchSize?: number; explain?: boolean } = {}): DocumentPrediction[] {
  const out: DocumentPrediction[] = [];
  const L = model.config.numLabels, bs = o.batchSize ?? 64;
  withEvalMode(model, () => noGrad(() => {
    for (let at = 0; at < docs.length; at += bs) {
      const b = batchDocuments(docs.slice(at, at + bs));
      tidy(() => {
        const r = model.forward(b, false);
        const logits = r.logits.data;
        let row = 0;
        for (let d = 0; d < b.docs; d++) {
          const S = b.sentLens[d]!;
          const p: DocumentPrediction = { probs: softmaxRow(logits, d * L, L), sentWeights: null, wordWeights: null };
          if (o.explain && r.sentWeights && r.wordWeights) {
            p.sentWeights = r.sentWeights.data.slice(d * b.maxSentences, d * b.maxSentences + S);
            p.wordWeights = Array.from({ length: S }, (_, k) => r.wordWeights!.data.slice((row + k) * b.maxWords, (row + k) * b.maxWords + b.wordLens[row + k]!));
          }
          row += S;
          out.push(p);
        }
      });
    }
  }));
  return out;
}
