/**
 * Models: the contract every family implements (model.ts), the registry of architectures
 * (registry.ts), heads on a shared trunk (heads.ts), the decode plan (decode-plan.ts), and
 * the families (decoder/: GPT-2 and Llama by config; encoder/: BERT), plus named presets.
 *
 * @example
 * import { createModel, getPreset } from './models/index.ts';
 * const model = createModel(getPreset('shakespeare-char').model, { seed: 1337 });
 */
export { parseConfigFields, type ConfigField, type ConfigSchema, type CreateOptions, type FieldKind, type HfMapping, type InfoOptions, type Json,
  type LanguageModel, type LanguageModelConfig, type LMOutput, type Model, type ModelConfigBase, type ModelFamily, type ModelInfo, type TokenInput } from './model.ts';
export { createModel, describeModel, hfFamily, modelArchs, modelConfigSchema, modelFamily, modelStats, parameterShapes, parseModelConfig, registerModel,
  type AnyModel, type ModelConfig } from './registry.ts';
export { Head, ModelWithHead, classificationHead, lmHead, poolingWeights, tokenClassificationHead, withHead, type HeadFactory, type HeadOutput, type Pooling } from './heads.ts';
export type { AttentionWeights, DecodeLayer, DecodePlan, LinearWeights, MlpWeights, NormWeights, RopeSpec } from './decode-plan.ts';
export { asEncoder, bertConfig, encoderFamily, isEncoder, parseEncoderConfig, type EncoderConfig, type EncoderHead, type EncoderInput, type EncoderModel, type EncoderOutput } from './encoder/index.ts';
export { asSeq2Seq, bartConfig, isSeq2Seq, parseSeq2SeqConfig, seq2seqFamily, type Seq2SeqConfig, type Seq2SeqDecodeState, type Seq2SeqLM, type SourceBatch } from './seq2seq/index.ts';
export { decoderFamily, gpt2Config, llamaConfig, validateConfig, parseDecoderConfig, countParams, type DecoderArch, type DecoderConfig } from './decoder/index.ts';
export { presetNames, getPreset, type ModelPreset, type PresetRecipe } from './presets.ts';
