/**
 * The hierarchical attention family (Yang et al. 2016): archs `han` (words -> bi-GRU ->
 * attention -> sentence vectors -> bi-GRU -> attention -> document vector -> classifier)
 * and `mean-pool` (the flat baseline: the mean of all word vectors). Input: a `DocBatch`
 * (batch.ts) of documents split into sentences of word ids (document.ts). The GRU
 * recurrence is one op per direction with its backward beside it (src/tensor/gru.ts). Code outside
 * this folder uses `hanFamily` and these functions, never the classes.
 *
 * @example
 * const model = hanFamily.create(hanConfig({ arch: 'han', vocabSize: 1000 }), { seed: 1 });
 * model.forward(batchDocuments(docs, labels)).loss!.backward();
 */
import type { ModelFamily } from '../model.ts';
import { HAN_ARCHS, HAN_SCHEMA, hanConfig, parseHanConfig, type HanConfig } from './config.ts';
import { Han } from './han.ts';
import { hanInfo, hanParameterShapes } from './info.ts';
import { MeanPoolModel } from './mean-pool.ts';

/** A model of this family. */
export type HanModel = Han | MeanPoolModel;

/** See the module comment. */
export const hanFamily: ModelFamily<HanConfig, HanModel> = {
  name: 'han',
  archs: HAN_ARCHS,
  schema: HAN_SCHEMA,
  parseConfig: parseHanConfig,
  create: (config, opts = {}) => (config.arch === 'han' ? new Han(config, opts) : new MeanPoolModel(config, opts)),
  describe: (c) => (c.arch === 'han'
    ? `han: ${c.embedDim}-d words, bi-GRU ${c.wordHidden}+${c.wordHidden} (words) and ${c.sentHidden}+${c.sentHidden} (sentences), attention ${c.attnDim}-d, vocab ${c.vocabSize}, ${c.numLabels} labels, dropout ${c.dropout}`
    : `mean-pool: ${c.embedDim}-d words averaged over the document, tanh ${c.attnDim}-d, vocab ${c.vocabSize}, ${c.numLabels} labels, dropout ${c.dropout}`),
  info: hanInfo,
  parameterShapes: hanParameterShapes,
  exampleConfigs: () => [
    hanConfig({ arch: 'han', vocabSize: 12, embedDim: 5, wordHidden: 3, sentHidden: 4, attnDim: 6, dropout: 0 }),
    hanConfig({ arch: 'mean-pool', vocabSize: 12, embedDim: 4, attnDim: 5, numLabels: 3, dropout: 0.1 }),
  ],
};

export { HAN_ARCHS, HAN_SCHEMA, hanConfig, parseHanConfig, type HanConfig } from './config.ts';
export { hanInfo, hanParameterShapes } from './info.ts';
export { batchDocuments, type DocBatch, type DocIds } from './batch.ts';
export { DOCUMENT_DEFAULTS, documentWords, splitDocument, type DocumentOptions } from './document.ts';
export { predictDocuments, type DocumentClassifier, type DocumentPrediction } from './predict.ts';
export type { HanOutput } from './han.ts';
export { classifyDocument, type DocumentExplanation, type DocumentLabel } from './explain.ts';
