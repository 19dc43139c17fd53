/**
 * Configuration of the hierarchical attention family (Yang et al. 2016, HAN): words ->
 * a bidirectional GRU -> attention with a learned context vector -> one vector per
 * sentence; sentences -> a second bidirectional GRU -> attention -> one vector per
 * document -> a linear classifier.
 * - `han`: the hierarchical attention network above.
 * - `mean-pool`: the flat baseline the issue compares HAN with: the mean of every word
 *   vector of the document (no sentences, no order) -> a tanh layer -> the classifier.
 *
 * @example
 * const c = hanConfig({ arch: 'han', vocabSize: 20000 }); // 100-d words, 50 + 50 GRU units per level
 */
import { LlmtsError } from '../../util/errors.ts';
import { parseConfigFields, type ConfigSchema } from '../model.ts';

/** The architectures of this family. */
export const HAN_ARCHS: readonly ('han' | 'mean-pool')[] = ['han', 'mean-pool'];

export interface HanConfig {
  arch: 'han' | 'mean-pool';
  /** Word ids (embedding rows; row 0 is the unknown word, by the recipe's convention). */
  vocabSize: number;
  /** Word vector width. */
  embedDim: number;
  /** GRU units per direction of the word encoder (its outputs are 2x this wide). */
  wordHidden: number;
  /** GRU units per direction of the sentence encoder. */
  sentHidden: number;
  /** Width of the attention layers' hidden projection u = tanh(W h + b) (mean-pool: its tanh layer). */
  attnDim: number;
  /** Classes of the document classifier. */
  numLabels: number;
  /** Dropout on word vectors and on the document vector (train mode). */
  dropout: number;
}

type HanConfigInput = Pick<HanConfig, 'arch' | 'vocabSize'> & Partial<HanConfig>;

/** Every field of a HanConfig: kind, meaning, bounds. */
export const HAN_SCHEMA: ConfigSchema = {
  arch: { kind: HAN_ARCHS, doc: "'han' (hierarchical attention) or 'mean-pool' (flat mean of word vectors)", required: true },
  vocabSize: { kind: 'int', min: 1, max: 1 << 24, doc: 'word ids (embedding rows)', required: true },
  embedDim: { kind: 'int', min: 1, max: 1 << 14, doc: 'word vector width (default 100)' },
  wordHidden: { kind: 'int', min: 1, max: 1 << 12, doc: 'word GRU units per direction (default 50)' },
  sentHidden: { kind: 'int', min: 1, max: 1 << 12, doc: 'sentence GRU units per direction (default 50)' },
  attnDim: { kind: 'int', min: 1, max: 1 << 12, doc: 'attention projection width (default 100)' },
  numLabels: { kind: 'int', min: 2, max: 1 << 12, doc: 'document classes (default 2)' },
  dropout: { kind: 'number', min: 0, max: 0.999, doc: 'dropout on word vectors and the document vector, in [0, 1) (default 0.1)' },
};

/** A HAN config; unspecified fields get the defaults above. */
export function hanConfig(c: HanConfigInput): HanConfig {
  return parseHanConfig(c, 'model');
}

/** A plain object -> a checked HanConfig (E_CONFIG errors name `${where}.${field}`). */
export function parseHanConfig(raw: unknown, where: string): HanConfig {
  const f = parseConfigFields(raw, HAN_SCHEMA, where) as Partial<HanConfig>;
  if (!f.arch || f.vocabSize === undefined) {
    throw new LlmtsError('E_CONFIG', `${where}: arch and vocabSize are required`, { where, hint: 'give arch and vocabSize' });
  }
  return {
    arch: f.arch, vocabSize: f.vocabSize, embedDim: f.embedDim ?? 100, wordHidden: f.wordHidden ?? 50, sentHidden: f.sentHidden ?? 50,
    attnDim: f.attnDim ?? 100, numLabels: f.numLabels ?? 2, dropout: f.dropout ?? 0.1,
  };
}
