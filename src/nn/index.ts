/**
 * `nn`: layers built from tensor ops. `Module` (named parameters and submodules, state
 * dict with stable dotted names, train/eval, freeze/unfreeze by name pattern, replaceModule), `Parameter`, `Linear`, `Embedding`,
 * `LayerNorm`, `RMSNorm`, `MLP` (GELU / SwiGLU), `Attention` (causal / bidirectional,
 * GQA, RoPE, KV cache), `KVCache`, `Dropout`; LoRA (`applyLora`, `mergeLora`: peft's adapters on Linear layers).
 */
export { Module, ModuleList, nameMatcher, type LoadReport, type NamePattern, type StateEntry } from './module.ts';
export { Parameter } from './parameter.ts';
export { Linear, type LinearOptions } from './linear.ts';
export { Embedding } from './embedding.ts';
export { LayerNorm, RMSNorm } from './norm.ts';
export { MLP, type MLPOptions } from './mlp.ts';
export { Attention, type AttentionConfig, type AttentionCall } from './attention.ts';
export { KVCache } from './kv-cache.ts';
export { Dropout } from './dropout.ts';
export { LoraLinear, applyLora, planLora, mergeLora, loraLayers, loraState, matchesModules, PEFT_DEFAULT_TARGETS, ALL_LINEAR,
  type LoraLayerOptions, type LoraOptions, type LoraState, type LoraPlan, type LoraModel } from './lora.ts';
