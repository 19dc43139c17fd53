/**
 * The model contract: what every model family implements, so that loading, `model info`,
 * training, inference and the HF / llama2.c loaders work with any family without
 * importing its class. A family is one folder (`src/models/decoder/`, later `encoder/`,
 * `seq2seq/`, `tree/`, ...) that exports a `ModelFamily`; `src/models/registry.ts` maps
 * architecture names ('gpt2', 'llama', ...) to families (`registerModel`).
 *
 * The pieces:
 * - `ConfigSchema`: a family's config fields (kind, bounds, meaning) and `parseConfigFields`,
 *   which checks a plain object against it with field-path errors (`model.nLayer ...`);
 *   the family adds its defaults and cross-field rules (`ModelFamily.parseConfig`).
 * - `Model<C, In>`: a `Module` with a config and a trunk, `hiddenStates(input)`, mapping
 *   the family's input `In` (token ids for Transformers; trees for a Tree-LSTM) to
 *   hidden states (B, T, hiddenSize). Heads (`src/models/heads.ts`) sit on the trunk.
 * - `LanguageModel<C>`: a `Model` with a language-model head over token ids: `forward`
 *   (logits and the optional loss), a KV cache and a `DecodePlan` (the typed weights the
 *   fast decode path in src/infer runs).
 * - `ModelFamily<C, M>`: builds (`create` -> M), parses, describes, sizes (`info`,
 *   `parameterShapes`) and maps (`hf`) the models of its architectures, and gives
 *   `exampleConfigs` that the registry tests round-trip.
 * Parameter names are the family's Hugging Face names (dotted `namedParameters()`), so
 * a state dict is a safetensors file as transformers writes it, up to the family's
 * `hf.toTensors` layout changes.
 *
 * @example
 * import { createModel, parseModelConfig } from './registry.ts';
 * const config = parseModelConfig({ arch: 'gpt2', vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 });
 * const model = createModel(config, { seed: 1337 });    // a LanguageModel; no family class imported
 * const { logits, loss } = model.forward(ids, B, T, targets);
 * model.info({ batchSize: 12 }).params;
 */
import type { KVCache } from '../nn/kv-cache.ts';
import type { Module, StateEntry } from '../nn/module.ts';
import type { Tensor } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';
import type { DecodePlan } from './decode-plan.ts';

/** Kind of a config field: integer, number, boolean or one of a list of strings. */
export type FieldKind = 'int' | 'number' | 'boolean' | readonly string[];

/** One config field: its kind, meaning and bounds (inclusive). */
export interface ConfigField {
  kind: FieldKind;
  doc: string;
  min?: number;
  max?: number;
  /** Must be given (no default for it). */
  required?: boolean;
}

/** A family's config fields, by name. */
export type ConfigSchema = Readonly<Record<string, ConfigField>>;

/** What every model config has: the architecture name its family is registered under. */
export interface ModelConfigBase {
  arch: string;
}

/** A config of a model over token ids with a bounded context. */
export interface LanguageModelConfig extends ModelConfigBase {
  vocabSize: number;
  /** Longest sequence the model takes (context length). */
  blockSize: number;
}

/** Options of `info`: the batch and sequence length of the activation estimate. */
export interface InfoOptions {
  batchSize?: number;
  /** Default: the config's context length. */
  blockSize?: number;
}

/** Parameters, FLOPs and memory of a model (what `llmts model info` prints). */
export interface ModelInfo {
  params: number;
  /** Parameters that take part in matrix multiplies (lookup tables not counted; the output head counted). */
  matmulParams: number;
  /** Forward FLOPs per token at full context. */
  forwardFlopsPerToken: number;
  /** Training FLOPs per token (forward + backward = 3x forward; the PaLM / nanoGPT estimate). */
  trainFlopsPerToken: number;
  /** Bytes of weights, gradients and the two AdamW moments (fp32: 16 bytes per parameter). */
  trainStateBytes: number;
  /** Estimated bytes of activations kept for backward at batch B, block T. */
  activationBytes: number;
  /** Bytes of fp32 weights. */
  weightBytes: number;
  /** KV cache bytes for one sequence of blockSize tokens (0 for families without a cache). */
  kvCacheBytes: number;
}

/**
 * Input of a trunk over token ids: ids (B, T) as Int32Array(B*T); with a cache
 * (inference, inside noGrad) the T tokens continue after cache.length and the cache
 * advances by T.
 */
export interface TokenInput {
  ids: Int32Array;
  B: number;
  T: number;
  cache?: KVCache | null;
}

/** Output of `LanguageModel.forward`. */
export interface LMOutput {
  /** (B, T, V) */
  logits: Tensor;
  /** Mean cross-entropy over the targets (ignore index -100), when targets were given. */
  loss: Tensor | null;
}

/**
 * Every model: a Module (named parameters in HF names, state dict, train/eval) with a
 * config and a trunk from the family's input to hidden states.
 */
export interface Model<C extends ModelConfigBase = ModelConfigBase, In = TokenInput> extends Module {
  readonly config: C;
  /** Width of the hidden states the trunk produces (what heads take). */
  readonly hiddenSize: number;
  /** The trunk submodule (embeddings, blocks, final norm) that heads sit on (src/models/heads.ts). */
  readonly trunk: Module;
  /** The trunk's name in the model, HF's: 'transformer' (GPT-2), 'model' (Llama, BERT). */
  readonly trunkName: string;
  /** input -> the final hidden states (B, T, hiddenSize), before any head. */
  hiddenStates(input: In): Tensor;
  /** Parameters, FLOPs and memory of this model. */
  info(o?: InfoOptions): ModelInfo;
}

/** A model over token ids with a language-model head (decoder LMs; the LM head of any trunk). */
export interface LanguageModel<C extends LanguageModelConfig = LanguageModelConfig> extends Model<C, TokenInput> {
  /**
   * ids (B, T) as Int32Array(B*T) -> logits (B, T, V), and the loss when targets
   * (Int32Array(B*T), -100 = ignore) are given. Cache as in `TokenInput`.
   */
  forward(ids: Int32Array, B: number, T: number, targets?: Int32Array | null, cache?: KVCache | null): LMOutput;
  /** An empty KV cache for batch B (capacity defaults to blockSize). */
  newCache(B?: number, capacity?: number): KVCache;
  /** The live weights as typed per-layer arrays for the fast decode step (no copies). */
  decodePlan(): DecodePlan;
}

/** JSON object (a config.json). */
export type Json = Record<string, unknown>;

/** A family's mapping to and from Hugging Face transformers' files. */
export interface HfMapping<C extends ModelConfigBase> {
  /** HF `model_type` values this family reads (e.g. 'gpt2', 'llama'). */
  readonly modelTypes: readonly string[];
  /** HF config field -> the config field it comes from ('n_layer' -> 'nLayer'), for messages. */
  readonly fieldNames: Readonly<Record<string, string>>;
  /** The HF config.json fields for `c`, or null when HF cannot express the model. */
  toConfig(c: C): Json | null;
  /** An HF config.json object -> our config; errors name `path` and the field. */
  fromConfig(json: Json, path: string): C;
  /** Our named parameters -> the tensors HF's model class saves. */
  toTensors(c: C, params: ReadonlyMap<string, StateEntry>): Map<string, StateEntry>;
  /** HF tensors (as `save_pretrained` writes them) -> our names and layout. */
  fromTensors(c: C, tensors: ReadonlyMap<string, StateEntry>): Map<string, StateEntry>;
  /** HF tensor shapes (a file header) -> our names and shapes, reading no data (`fromTensors` on shapes). */
  fromShapes(c: C, shapes: ReadonlyMap<string, readonly number[]>): Map<string, number[]>;
}

/** Options of `ModelFamily.create`. */
export interface CreateOptions {
  /** Seed of the initial weights (default 1337). */
  seed?: number;
  /**
   * false: every weight starts at zero and no random numbers are drawn (for loaders that
   * fill every tensor from a file right after; `createModel` builds inside `withoutInit`).
   * Default true.
   */
  init?: boolean;
}

/**
 * What a family folder exports and the registry holds. `M` is the model type it builds: a
 * `LanguageModel<C>` for decoders; an encoder or a tree model builds a `Model` over its
 * own input (`Model<C, TreeInput>`), and the registry's `AnyModel` grows to hold it.
 */
export interface ModelFamily<C extends ModelConfigBase = ModelConfigBase, M extends Model<C, never> = Model<C, never>> {
  /** The family's name (its folder): 'decoder'. */
  readonly name: string;
  /** Architecture names it builds (each registered with `registerModel`). */
  readonly archs: readonly string[];
  /** Every config field (all archs of the family). */
  readonly schema: ConfigSchema;
  /**
   * A plain object -> a checked config: kinds and bounds (`parseConfigFields`), the
   * arch's defaults for absent fields, cross-field rules. Errors are `E_CONFIG` naming
   * `${where}.${field}`.
   */
  parseConfig(raw: unknown, where: string): C;
  /** Builds a model with fresh weights (all from Rng(seed), in construction order). */
  create(config: C, opts?: CreateOptions): M;
  /** One line describing a config for people: `gpt2: 4 layers, 4 heads (4 kv), 128 wide, ...`. */
  describe(config: C): string;
  /** Parameters, FLOPs and memory from the config alone (nothing allocated). */
  info(config: C, o?: InfoOptions): ModelInfo;
  /** Name -> shape of every parameter `create(config)` makes, in our layout; allocates nothing. */
  parameterShapes(config: C): Map<string, number[]>;
  /** Hugging Face mapping, when the family has an HF form. */
  readonly hf?: HfMapping<C>;
  /**
   * Tiny configs covering the family's variants (each arch, tied/untied, ...): what the
   * registry tests save, load and compare for every registered family.
   */
  exampleConfigs(): C[];
}

/**
 * Checks `raw` against `schema`: an object, no unknown keys, required keys present, each
 * value of its kind and within its bounds. Returns the given fields (defaults are the
 * family's business). Errors: `E_CONFIG` naming `${where}.${key}`, the value and the rule.
 */
export function parseConfigFields(raw: unknown, schema: ConfigSchema, where: string): Record<string, number | boolean | string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new LlmtsError('E_CONFIG', `${where} must be an object of model fields, got ${JSON.stringify(raw)}`, { where, hint: `fields: ${Object.keys(schema).join(', ')}` });
  }
  const out: Record<string, number | boolean | string> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const spec = schema[key];
    if (!spec) {
      throw new LlmtsError('E_CONFIG', `${where}.${key} is not a model field`, { where: `${where}.${key}`, hint: `fields: ${Object.keys(schema).join(', ')}` });
    }
    if (value === undefined) continue;
    out[key] = checkField(value, spec, `${where}.${key}`);
  }
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.required && !(key in out)) {
      throw new LlmtsError('E_CONFIG', `${where}.${key} is missing`, { where: `${where}.${key}`, hint: `${key}: ${spec.doc}` });
    }
  }
  return out;
}

/** One value against its field spec; returns it, or throws E_CONFIG naming `where`. */
function checkField(value: unknown, spec: ConfigField, where: string): number | boolean | string {
  const fail = (want: string): never => {
    throw new LlmtsError('E_CONFIG', `${where} must be ${want}, got ${JSON.stringify(value)}`, { where, hint: spec.doc });
  };
  const kind = spec.kind;
  if (Array.isArray(kind)) {
    if (typeof value !== 'string' || !kind.includes(value)) fail(`one of ${kind.map((k) => JSON.stringify(k)).join(', ')}`);
    return value as string;
  }
  if (kind === 'boolean') {
    if (typeof value !== 'boolean') fail('true or false');
    return value as boolean;
  }
  const bounds = `${spec.min !== undefined ? ` >= ${spec.min}` : ''}${spec.max !== undefined ? `${spec.min !== undefined ? ' and' : ''} <= ${spec.max}` : ''}`;
  const want = `${kind === 'int' ? 'an integer' : 'a finite number'}${bounds}`;
  if (typeof value !== 'number' || !Number.isFinite(value) || (kind === 'int' && !Number.isInteger(value))) fail(want);
  const n = value as number;
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) fail(want);
  return n;
}
