/**
 * Models: one decoder-only Transformer (GPT-2 or Llama style by config) and its presets.
 *
 * @example
 * import { Decoder, getPreset } from './models/index.ts';
 * const model = new Decoder(getPreset('shakespeare-char').model, { seed: 1337 });
 */
export { Block, Trunk, Decoder, type DecoderOutput } from './decoder.ts';
export { gpt2Config, llamaConfig, validateConfig, countParams, type DecoderArch, type DecoderConfig } from './config.ts';
export { presetNames, getPreset, modelStats, type ModelPreset, type PresetRecipe, type ModelStats } from './presets.ts';
