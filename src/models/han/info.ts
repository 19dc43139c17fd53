/**
 * Sizes of a HAN family model from its config alone: parameter shapes, counts, FLOPs per
 * word and memory. For this family a "token" is a word of a document and `blockSize` in
 * `InfoOptions` is words per document (default 400, about a SpamAssassin body).
 */
import type { InfoOptions, ModelInfo } from '../model.ts';
import { biGruShapes } from './bigru.ts';
import type { HanConfig } from './config.ts';

/** Name -> shape of every parameter, in construction order (nothing allocated). */
export function hanParameterShapes(c: HanConfig): Map<string, number[]> {
  const D = c.embedDim, A = c.attnDim, Hw = c.wordHidden, Hs = c.sentHidden;
  const attn = (p: string, inF: number): [string, number[]][] => [[`${p}.proj.weight`, [A, inF]], [`${p}.proj.bias`, [A]], [`${p}.context`, [1, A]]];
  if (c.arch === 'mean-pool') {
    return new Map<string, number[]>([
      ['mean.embeddings.weight', [c.vocabSize, D]], ['mean.proj.weight', [A, D]], ['mean.proj.bias', [A]],
      ['classifier.weight', [c.numLabels, A]], ['classifier.bias', [c.numLabels]],
    ]);
  }
  return new Map<string, number[]>([
    ['han.embeddings.weight', [c.vocabSize, D]],
    ...biGruShapes('han.word_gru', D, Hw),
    ...attn('han.word_attn', 2 * Hw),
    ...biGruShapes('han.sent_gru', 2 * Hw, Hs),
    ...attn('han.sent_attn', 2 * Hs),
    ['classifier.weight', [c.numLabels, 2 * Hs]],
    ['classifier.bias', [c.numLabels]],
  ]);
}

/** Parameters, FLOPs per word and memory (see the module comment). */
export function hanInfo(c: HanConfig, o: InfoOptions = {}): ModelInfo {
  const shapes = [...hanParameterShapes(c)];
  const count = (s: number[]): number => s.reduce((p, d) => p * d, 1);
  const params = shapes.reduce((p, [, s]) => p + count(s), 0);
  const matmulParams = params - c.vocabSize * c.embedDim;
  const D = c.embedDim, A = c.attnDim, Hw = c.wordHidden;
  // per word: both directions' input and recurrent products, the attention projection;
  // the sentence level runs once per sentence (~20 words) and is left out
  const forwardFlopsPerToken = c.arch === 'mean-pool' ? 2 * D : 2 * (2 * (3 * Hw * D + 3 * Hw * Hw) + A * 2 * Hw + A);
  const words = (o.batchSize ?? 1) * (o.blockSize ?? 400);
  // kept per word for backward: word vector, both directions' gates (4H each) and outputs, attention u
  const activationBytes = c.arch === 'mean-pool' ? words * 4 * D : words * 4 * (D + 2 * (3 * Hw + 4 * Hw + Hw) + 2 * A);
  return {
    params, matmulParams, forwardFlopsPerToken, trainFlopsPerToken: 3 * forwardFlopsPerToken,
    trainStateBytes: 16 * params, activationBytes, weightBytes: 4 * params, kvCacheBytes: 0,
  };
}
