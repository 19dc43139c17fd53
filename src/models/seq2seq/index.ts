/**
 * The encoder-decoder family: BART-style Transformers (Hugging Face's
 * `BartForConditionalGeneration`). Code outside this folder uses `seq2seqFamily` through
 * the registry and holds a loaded model as a `Seq2SeqLM` (`asSeq2Seq`): the teacher-forced
 * `forwardSeq2Seq` the seq2seq objective trains, and the decoding steps src/infer runs
 * (encode once, cross keys/values once, one cached token per step, beam reorders), so
 * infer never reads tensor names or branches on families.
 *
 * @example
 * const bart = asSeq2Seq(createModel(parseModelConfig({ arch: 'bart', vocabSize: 8000, nLayer: 3, nHead: 4, nEmbd: 256 })), 'translate');
 * const st = bart.startDecoding({ ids, B: 1, S: ids.length }, { expand: 4 });
 */
import type { Tensor } from '../../tensor/index.ts';
import { LlmtsError } from '../../util/errors.ts';
import type { LanguageModel, Model, ModelFamily } from '../model.ts';
import { bartConfig, parseSeq2SeqConfig, SEQ2SEQ_ARCHS, SEQ2SEQ_SCHEMA, type Seq2SeqConfig } from './config.ts';
import type { Seq2SeqDecodeState, StartDecodingOptions } from './decode.ts';
import { seq2seqHf } from './hf.ts';
import { seq2seqInfo, seq2seqParameterShapes } from './info.ts';
import type { SourceBatch } from './layers.ts';
import { EncoderDecoder, type TeacherForcedBatch } from './seq2seq.ts';

/** See the module comment. */
export const seq2seqFamily: ModelFamily<Seq2SeqConfig, EncoderDecoder> = {
  name: 'seq2seq',
  archs: SEQ2SEQ_ARCHS,
  schema: SEQ2SEQ_SCHEMA,
  parseConfig: parseSeq2SeqConfig,
  create: (config, opts = {}) => new EncoderDecoder(config, opts),
  describe: (c) => `${c.arch}: ${c.nLayer} + ${c.nDecoderLayer} layers, ${c.nHead} heads, ${c.nEmbd} wide, MLP ${c.intermediateSize} (${c.hiddenAct}), ${c.blockSize} positions, vocab ${c.vocabSize}`
    + `, ${c.shareEmbeddings ? 'shared' : 'separate'} embeddings, ${c.tieEmbeddings ? 'tied' : 'own'} output projection`,
  info: seq2seqInfo,
  parameterShapes: seq2seqParameterShapes,
  hf: seq2seqHf,
  exampleConfigs: () => [
    bartConfig({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 }),
    bartConfig({ vocabSize: 32, blockSize: 16, nLayer: 1, nDecoderLayer: 2, nHead: 4, nEmbd: 16, intermediateSize: 24, tieEmbeddings: false, scaleEmbedding: true, hiddenAct: 'gelu_new' }),
    bartConfig({ vocabSize: 32, blockSize: 16, nLayer: 2, nDecoderLayer: 1, nHead: 2, nEmbd: 16, shareEmbeddings: false, padId: 0, bosId: 1, eosId: 2, decoderStartId: 1 }),
  ],
};

/** An encoder-decoder held by its contract: training and the decoding steps (see the module comment). */
export interface Seq2SeqLM extends LanguageModel<Seq2SeqConfig> {
  /** Teacher forcing: logits (rows, T, V) and the mean cross-entropy over labels that are not -100. */
  forwardSeq2Seq(batch: TeacherForcedBatch): { logits: Tensor; loss: Tensor | null };
  /** The encoder's hidden states (B, S, C) of a padded source. */
  encode(src: SourceBatch): Tensor;
  /** Encodes the source once, computes the cross keys/values once, makes an empty self-attention cache. */
  startDecoding(src: SourceBatch, o?: StartDecodingOptions): Seq2SeqDecodeState;
  /** One token per decoder row -> logits (rows, V) of the next one; the cache advances. */
  decodeStep(st: Seq2SeqDecodeState, ids: Int32Array): Float32Array;
  /** The whole prefix (rows, T) without the cache -> logits (rows, V) of the next token. */
  decodeAll(st: Seq2SeqDecodeState, ids: Int32Array, T: number): Float32Array;
  /** Row r of the cache takes row parents[r] (beam search). */
  reorderRows(st: Seq2SeqDecodeState, parents: Int32Array): void;
}

/** `model` as a `Seq2SeqLM`, or an E_MODEL error naming `where` (another family was given). */
export function asSeq2Seq(model: Model<{ arch: string }, never>, where: string): Seq2SeqLM {
  if (!(model instanceof EncoderDecoder)) {
    throw new LlmtsError('E_MODEL', `${where}: the model is a ${model.config.arch}, not an encoder-decoder`, {
      where, hint: 'pass a sequence-to-sequence model (a bart checkpoint or a HF BartForConditionalGeneration directory)' });
  }
  return model;
}

/** True when `config` is an encoder-decoder's (arch 'bart'). */
export function isSeq2Seq(config: { arch: string }): config is Seq2SeqConfig {
  return (SEQ2SEQ_ARCHS as readonly string[]).includes(config.arch);
}

export { bartConfig, parseSeq2SeqConfig, validateSeq2SeqConfig, SEQ2SEQ_ARCHS, SEQ2SEQ_SCHEMA, type Seq2SeqConfig } from './config.ts';
export type { Seq2SeqDecodeState, StartDecodingOptions } from './decode.ts';
export type { SourceBatch } from './layers.ts';
export type { TeacherForcedBatch } from './seq2seq.ts';
export { seq2seqInfo, seq2seqParameterShapes } from './info.ts';
