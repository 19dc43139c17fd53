/**
 * The model registry: architecture name -> family (../model.ts `ModelFamily`). Loading
 * (`loadModel`, checkpoints, HF and llama2.c files), `llmts model info` and `llmts train`
 * go through it, so none of them imports a family's class. The built-in families register
 * here; another family calls `registerModel(arch, family)` once.
 *
 * @example
 * const config = parseModelConfig({ arch: 'llama', vocabSize: 512, blockSize: 256, nLayer: 5, nHead: 8, nEmbd: 64 });
 * const model = createModel(config, { seed: 0 });        // LanguageModel
 * modelStats(config, { batchSize: 8 }).trainFlopsPerToken;
 * hfFamily('gpt2');                                      // the family reading HF model_type "gpt2"
 */
import { LlmtsError } from '../util/errors.ts';
import { decoderFamily, type DecoderConfig } from './decoder/index.ts';
import { encoderFamily, type EncoderConfig } from './encoder/index.ts';
import { treeFamily } from './tree/index.ts';
import { seq2seqFamily, type Seq2SeqConfig } from './seq2seq/index.ts';
import { withoutInit } from '../nn/parameter.ts';
import type { ConfigSchema, CreateOptions, InfoOptions, LanguageModel, Model, ModelConfigBase, ModelFamily, ModelInfo } from './model.ts';

/** A config of any registered family (grows with the families: `DecoderConfig | EncoderConfig | ...`). */
export type ModelConfig = DecoderConfig | EncoderConfig | Seq2SeqConfig;

/** A model of any registered family, held by its contract. */
export type AnyModel = LanguageModel<ModelConfig>;

// the registry holds families of any config type; each entry is only ever called with its own configs
type AnyFamily = ModelFamily<ModelConfigBase, Model<ModelConfigBase, never>>;
const families = new Map<string, AnyFamily>();

/** Registers `family` under architecture name `arch`; a name registered twice is an error. */
export function registerModel<C extends ModelConfigBase, M extends Model<C, never>>(arch: string, family: ModelFamily<C, M>): void {
  if (families.has(arch)) {
    throw new LlmtsError('E_REGISTRY', `model architecture '${arch}' is registered twice`, { where: 'registerModel', hint: 'give each architecture one family' });
  }
  families.set(arch, family as unknown as AnyFamily);
}

/** Architecture names in registration order. */
export function modelArchs(): string[] {
  return [...families.keys()];
}

/** The family of `arch`; an unknown name is an `E_CONFIG` error naming `where` and the known ones. */
export function modelFamily(arch: unknown, where = 'model.arch'): ModelFamily<ModelConfig, AnyModel> {
  const f = typeof arch === 'string' ? families.get(arch) : undefined;
  if (!f) {
    throw new LlmtsError('E_CONFIG', `${where} ${JSON.stringify(arch)} is not a known model architecture`, { where, hint: `use one of ${modelArchs().join(', ')}` });
  }
  return f as unknown as ModelFamily<ModelConfig, AnyModel>;
}

/** The family reading Hugging Face `model_type` `type`, or undefined. */
export function hfFamily(type: unknown): ModelFamily<ModelConfig, AnyModel> | undefined {
  for (const f of new Set(families.values())) {
    if (typeof type === 'string' && f.hf?.modelTypes.includes(type)) return f as unknown as ModelFamily<ModelConfig, AnyModel>;
  }
  return undefined;
}

/**
 * A plain object -> a checked config of the family its `arch` names (defaults filled,
 * bounds and shape rules checked). Errors are `E_CONFIG` naming `${where}.${field}`.
 */
export function parseModelConfig(raw: unknown, where = 'model'): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new LlmtsError('E_CONFIG', `${where} must be an object of model fields, got ${JSON.stringify(raw)}`, { where, hint: `give at least arch (${modelArchs().join(', ')}) and the sizes` });
  }
  const arch = (raw as Record<string, unknown>).arch;
  if (arch === undefined) {
    throw new LlmtsError('E_CONFIG', `${where}.arch is missing`, { where: `${where}.arch`, hint: `use one of ${modelArchs().join(', ')}` });
  }
  return modelFamily(arch, `${where}.arch`).parseConfig(raw, where);
}

/**
 * Every config field of the family of `arch` (kind, meaning, bounds): what a training
 * config accepts for the model, so it never re-declares them.
 */
export function modelConfigSchema(arch: string): ConfigSchema {
  return modelFamily(arch).schema;
}

/** One line describing `config` (`gpt2: 4 layers, 4 heads (4 kv), 128 wide, ...`). */
export function describeModel(config: ModelConfig): string {
  return modelFamily(config.arch).describe(config);
}

/** Builds a model of `config`'s family with fresh weights (Rng(seed)). */
export function createModel(config: ModelConfig, opts: CreateOptions = {}): AnyModel {
  if (opts.init === false) return withoutInit(() => modelFamily(config.arch).create(config, opts));
  return modelFamily(config.arch).create(config, opts);
}

/** Parameters, FLOPs per token and memory of `config`, nothing allocated (`llmts model info`). */
export function modelStats(config: ModelConfig, o: InfoOptions = {}): ModelInfo {
  return modelFamily(config.arch).info(config, o);
}

/** Name -> shape of every parameter a model of `config` has (our layout); nothing allocated. */
export function parameterShapes(config: ModelConfig): Map<string, number[]> {
  return modelFamily(config.arch).parameterShapes(config);
}

for (const arch of decoderFamily.archs) registerModel(arch, decoderFamily);
for (const arch of encoderFamily.archs) registerModel(arch, encoderFamily);
for (const arch of seq2seqFamily.archs) registerModel(arch, seq2seqFamily);
// Tree-LSTMs take trees, not token ids: built and trained through treeFamily (src/models/tree), not as AnyModel
for (const arch of treeFamily.archs) registerModel(arch, treeFamily);
