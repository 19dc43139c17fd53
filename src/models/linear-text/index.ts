/**
 * The linear text classifier family (NBSVM over hashed word uni- and bigrams): features,
 * the model and its training, and its directory format.
 *
 * @example
 * import { trainLinearText, saveLinearText, loadLinearText, linearTextProbs } from '../models/linear-text/index.ts';
 */
export { fnv1a, textFeatures, wordNgrams } from './features.ts';
export { linearTextProbs, trainLinearText, type LinearTextConfig, type LinearTextExample, type LinearTextModel, type LinearTextTrainOptions } from './model.ts';
export { isLinearTextConfig, LINEAR_TEXT_FORMAT, loadLinearText, saveLinearText } from './dir.ts';
