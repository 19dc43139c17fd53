/**
 * The encoder family: BERT-style bidirectional Transformers (Hugging Face's BertModel and
 * its masked-LM and classification heads). Code outside this folder uses
 * `encoderFamily` through the registry (src/models/registry.ts); `isEncoder` tells an
 * encoder's config apart from a decoder's, and `asEncoder` gives a loaded model's
 * padding-masked `encode` / `run` (fill-mask, embeddings) without importing the class.
 *
 * @example
 * const bert = createModel(parseModelConfig({ arch: 'bert', vocabSize: 30522, nLayer: 4, nHead: 4, nEmbd: 256 }));
 */
import type { LanguageModel, LMOutput, Model, ModelFamily } from '../model.ts';
import { LlmtsError } from '../../util/errors.ts';
import { bertConfig, ENCODER_ARCHS, ENCODER_SCHEMA, parseEncoderConfig, type EncoderConfig } from './config.ts';
import { Encoder, type EncoderInput, type EncoderOutput } from './encoder.ts';
import { encoderHf } from './hf.ts';
import { encoderInfo, encoderParameterShapes } from './info.ts';

/** See the module comment. */
export const encoderFamily: ModelFamily<EncoderConfig, Encoder> = {
  name: 'encoder',
  archs: ENCODER_ARCHS,
  schema: ENCODER_SCHEMA,
  parseConfig: parseEncoderConfig,
  create: (config, opts = {}) => new Encoder(config, opts),
  describe: (c) => `${c.arch}: ${c.nLayer} layers, ${c.nHead} heads, ${c.nEmbd} wide, MLP ${c.intermediateSize} (${c.hiddenAct}), ${c.blockSize} positions, vocab ${c.vocabSize}, head ${c.head}${c.head === 'sequence' || c.head === 'token' ? ` (${c.numLabels} labels)` : ''}${c.pooler ? ', pooler' : ''}`,
  info: encoderInfo,
  parameterShapes: encoderParameterShapes,
  hf: encoderHf,
  exampleConfigs: () => [
    bertConfig({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 }),
    bertConfig({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, intermediateSize: 24, head: 'none' }),
    bertConfig({ vocabSize: 32, blockSize: 16, nLayer: 1, nHead: 4, nEmbd: 16, head: 'sequence', numLabels: 3, hiddenAct: 'gelu_new' }),
    bertConfig({ vocabSize: 32, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, head: 'token', numLabels: 5, normEps: 1e-5 }),
  ],
};

/** An encoder held by its contract: `forward` plus the padding-masked `encode` / `run`. */
export interface EncoderModel extends LanguageModel<EncoderConfig> {
  /** The last hidden states (B, T, C) and the pooler's output (B, C) (null without a pooler). */
  encode(input: EncoderInput): EncoderOutput;
  /** `forward` with a padding mask and segment ids. */
  run(input: EncoderInput, targets?: Int32Array | null): LMOutput;
}

/** `model` as an encoder, or an E_MODEL error naming `where` (a decoder was given). */
export function asEncoder(model: Model<{ arch: string }, never>, where: string): EncoderModel {
  if (model instanceof Encoder) return model;
  throw new LlmtsError('E_MODEL', `${where}: the model is a ${model.config.arch} decoder, not an encoder`, {
    where, hint: 'pass a BERT-style encoder (a bert checkpoint or HF BertModel / BertForMaskedLM directory)' });
}

/** True when `config` is an encoder's (arch 'bert'). */
export function isEncoder(config: { arch: string }): config is EncoderConfig {
  return (ENCODER_ARCHS as readonly string[]).includes(config.arch);
}

export { bertConfig, parseEncoderConfig, validateEncoderConfig, ENCODER_ARCHS, ENCODER_HEADS, ENCODER_SCHEMA, type EncoderConfig, type EncoderHead } from './config.ts';
export type { EncoderInput, EncoderOutput } from './encoder.ts';
export { encoderInfo, encoderParameterShapes } from './info.ts';
