/**
 * The decoder family: decoder-only Transformers, GPT-2 and Llama by config. Code outside
 * this folder uses `decoderFamily` through the registry (src/models/registry.ts) and holds
 * models as `LanguageModel`s; the config helpers are exported for presets and tests.
 *
 * @example
 * const model = decoderFamily.create(gpt2Config({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 }));
 */
import type { LanguageModel, ModelFamily } from '../model.ts';
import { DECODER_ARCHS, DECODER_SCHEMA, gpt2Config, llamaConfig, parseDecoderConfig, type DecoderConfig } from './config.ts';
import { Decoder } from './decoder.ts';
import { decoderHf } from './hf.ts';
import { decoderInfo, decoderParameterShapes } from './info.ts';

/** See the module comment. */
export const decoderFamily: ModelFamily<DecoderConfig, LanguageModel<DecoderConfig>> = {
  name: 'decoder',
  archs: DECODER_ARCHS,
  schema: DECODER_SCHEMA,
  parseConfig: parseDecoderConfig,
  create: (config, opts = {}) => new Decoder(config, opts),
  describe: (c) => `${c.arch}: ${c.nLayer} layers, ${c.nHead} heads (${c.nKvHead} kv), ${c.nEmbd} wide, MLP ${c.intermediateSize}, block ${c.blockSize}, vocab ${c.vocabSize}${c.tieEmbeddings ? ', tied embeddings' : ''}`,
  info: decoderInfo,
  parameterShapes: decoderParameterShapes,
  hf: decoderHf,
  exampleConfigs: () => [
    gpt2Config({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 }),
    gpt2Config({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, tieEmbeddings: false, intermediateSize: 40 }),
    llamaConfig({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 16, intermediateSize: 24 }),
    llamaConfig({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, intermediateSize: 24, tieEmbeddings: true, bias: true, ropeTheta: 500000 }),
    llamaConfig({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, intermediateSize: 24, ropeInterleaved: true }),
  ],
};

export { gpt2Config, llamaConfig, validateConfig, parseDecoderConfig, DECODER_ARCHS, DECODER_SCHEMA, type DecoderArch, type DecoderConfig } from './config.ts';
export { countParams, decoderInfo, decoderParameterShapes } from './info.ts';
