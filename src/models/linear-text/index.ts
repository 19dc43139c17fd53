/**
 * The linear text classifier family (NBSVM over hashed word uni- and bigrams): features,
 * the model and its training. Its directory format (config.json + model.safetensors) is
 * src/io/linear-text-dir.ts, beside the other model directories.
 *
 * @example
 * import { trainLinearText, linearTextProbs } from '../models/linear-text/index.ts';
 */
export { fnv1a, textFeatures, wordNgrams } from './features.ts';
export { linearTextProbs, trainLinearText, type LinearTextConfig, type LinearTextExample, type LinearTextModel, type LinearTextTrainOptions } from './model.ts';
