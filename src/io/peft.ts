/**
 * LoRA adapters in Hugging Face peft's format, both ways: an adapter directory holds
 * - adapter_config.json: peft's LoraConfig fields (`peft_type: "LORA"`, `task_type`, `r`,
 *   `lora_alpha`, `lora_dropout`, `target_modules`, `use_rslora`, `fan_in_fan_out`,
 *   `modules_to_save`, `base_model_name_or_path`, `bias: "none"`, ...);
 * - adapter_model.safetensors: `base_model.model.<module path>.lora_A.weight` (r, in) and
 *   `.lora_B.weight` (out, r) for each adapted Linear, and the modules trained in full
 *   (`modules_to_save`, e.g. a classification head) under their own names
 *   (`base_model.model.score.weight`), as peft 0.21 writes them (checked with its wheel:
 *   test/fixtures/peft-adapters/).
 * Layouts: peft's A and B do not depend on GPT-2's Conv1D (`fan_in_fan_out` only says how
 * peft merges into the transposed HF weight); modules_to_save tensors are in HF layout
 * (src/io/hf-format.ts). A Llama built with llama2.c's interleaved RoPE rows (llama2.c and
 * GGUF imports) gets the q/k rows of lora_B permuted from HF's half-split order, and back
 * on save.
 * Loading checks the file against the model before changing it: the first key whose
 * module or shape the model lacks is an `E_ADAPTER` error naming it.
 *
 * @example
 * applyLora(model, { r: 8, alpha: 16 }); ... train ...
 * saveAdapter(model, 'out/adapter', { baseModel: 'gpt2' });
 * loadAdapter(freshBase, 'out/adapter');          // LoRA layers with the saved weights
 * mergeAdapter(freshBase, 'out/adapter');         // ... folded into plain Linears
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../models/registry.ts';
import { Linear } from '../nn/linear.ts';
import { applyLora, loraLayers, loraState, mergeLora, planLora, type LoraOptions, type LoraState } from '../nn/lora.ts';
import type { Module, StateEntry } from '../nn/module.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { LlmtsError } from '../util/errors.ts';
import { permuteToInterleaved } from './gguf-model.ts';
import { fromHfTensors, toHfTensors } from './hf-format.ts';
import { loadSafetensors, saveSafetensors, toFloat32, type SafetensorsTensor } from './safetensors.ts';

/** A model adapters go on: a Module with a registered model config (a LanguageModel, or a model with a head). */
export type AdapterModel = Module & { readonly config: ModelConfig };

/** peft task types this loader knows (what the adapter's head is). */
export const PEFT_TASK_TYPES = ['CAUSAL_LM', 'SEQ_CLS', 'TOKEN_CLS', 'FEATURE_EXTRACTION'] as const;
export type PeftTaskType = (typeof PEFT_TASK_TYPES)[number];

/** adapter_config.json, read and checked. */
export interface AdapterConfig {
  taskType: PeftTaskType | null;
  r: number;
  alpha: number;
  dropout: number;
  rsLora: boolean;
  targetModules: string[] | string;
  excludeModules: string[] | string | null;
  modulesToSave: string[] | null;
  fanInFanOut: boolean;
  baseModel: string | null;
}

const PREFIX = 'base_model.model.';
const CONFIG_FILE = 'adapter_config.json';
const WEIGHTS_FILE = 'adapter_model.safetensors';

function adapterError(where: string, message: string, hint: string): LlmtsError {
  return new LlmtsError('E_ADAPTER', message, { where, hint });
}

/** Reads `dir/adapter_config.json`; an unsupported or malformed field is an E_ADAPTER error naming it. */
export function readAdapterConfig(dir: string): AdapterConfig {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) {
    throw adapterError(path, `${path} is missing`, 'an adapter directory holds adapter_config.json and adapter_model.safetensors (peft save_pretrained, or llmts finetune --lora)');
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LlmtsError('E_ADAPTER', `${path} is not valid JSON`, { where: path, hint: 'the file is truncated or not an adapter config', cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw adapterError(path, `${path} is not a JSON object`, 'write it with peft save_pretrained');
  const j = json as Record<string, unknown>;
  const field = (key: string, want: string): never => {
    throw adapterError(`${path}: ${key}`, `${key} must be ${want}, got ${JSON.stringify(j[key])}`, 'peft writes this field; re-save the adapter');
  };
  const unsupported = (key: string, what: string): never => {
    throw adapterError(`${path}: ${key}`, `${key} = ${JSON.stringify(j[key])} is not supported`, `llm.ts reads plain LoRA adapters (${what}); merge it with peft (merge_and_unload) and load the merged model`);
  };
  if (j.peft_type !== 'LORA') unsupported('peft_type', 'peft_type "LORA"');
  const task = j.task_type ?? null;
  if (task !== null && !(PEFT_TASK_TYPES as readonly unknown[]).includes(task)) unsupported('task_type', PEFT_TASK_TYPES.join(', '));
  const r = j.r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > 65536) field('r', 'an integer in [1, 65536]');
  const alpha = j.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) field('lora_alpha', 'a number > 0');
  const dropout = j.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) field('lora_dropout', 'a number in [0, 1)');
  const rsLora = j.use_rslora ?? false;
  if (typeof rsLora !== 'boolean') field('use_rslora', 'true or false');
  const fanInFanOut = j.fan_in_fan_out ?? false;
  if (typeof fanInFanOut !== 'boolean') field('fan_in_fan_out', 'true or false');
  const names = (key: string, allowNull: boolean): string[] | string | null => {
    const v = j[key] ?? null;
    if (v === null && allowNull) return null;
    if (typeof v === 'string' && v.length > 0) return v;
    if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0)) return v as string[];
    return field(key, `a non-empty list of module names or a regex${allowNull ? ', or null' : ''}`);
  };
  const targetModules = names('target_modules', false)!;
  const excludeModules = names('exclude_modules', true);
  const save = names('modules_to_save', true);
  if (typeof save === 'string') field('modules_to_save', 'a list of module names or null');
  if (j.use_dora === true) unsupported('use_dora', 'no DoRA');
  if ((j.bias ?? 'none') !== 'none') unsupported('bias', 'bias "none"');
  if (j.lora_bias === true) unsupported('lora_bias', 'lora_bias false');
  for (const key of ['rank_pattern', 'alpha_pattern']) {
    const v = j[key];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Object.keys(v).length > 0)) unsupported(key, 'one rank and alpha for every layer');
  }
  for (const key of ['layers_to_transform', 'layer_replication', 'target_parameters', 'trainable_token_indices']) {
    const v = j[key];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) unsupported(key, `no ${key}`);
  }
  const base = j.base_model_name_or_path;
  return {
    taskType: task as PeftTaskType | null, r: r as number, alpha: alpha as number, dropout: dropout as number, rsLora: rsLora as boolean,
    targetModules, excludeModules, modulesToSave: save as string[] | null, fanInFanOut: fanInFanOut as boolean,
    baseModel: typeof base === 'string' ? base : null,
  };
}

/** The LoRA options an adapter config stands for (SEQ_CLS / TOKEN_CLS adapters train their head, as peft adds `classifier` and `score`). */
function loraOptions(c: AdapterConfig, model: Module): LoraOptions {
  let save = c.modulesToSave ?? [];
  if (c.taskType === 'SEQ_CLS' || c.taskType === 'TOKEN_CLS') save = [...save, 'classifier', 'score'];
  const present = new Set(model.namedModules().map(([p]) => p.split('.').pop()));
  // peft skips modules_to_save names the model does not have (a CAUSAL_LM base has no score)
  save = [...new Set(save)].filter((name) => present.has(name.split('.').pop()));
  return { r: c.r, alpha: c.alpha, dropout: c.dropout, rsLora: c.rsLora, targetModules: c.targetModules, excludeModules: c.excludeModules ?? undefined, modulesToSave: save };
}

/** The parameter name of `model`'s token embedding when its output layer is tied to it (no lm_head parameter), else null. */
function tiedEmbeddingName(model: AdapterModel): string | null {
  const c = model.config;
  if (!('tieEmbeddings' in c) || !c.tieEmbeddings) return null;
  const name = ['model.embed_tokens.weight', 'transformer.wte.weight'].find((n) => model.namedParameters().some(([p]) => p === n));
  return name ?? null;
}

/** Heads to permute the rows of `path`'s output by (q/k of a Llama with interleaved RoPE rows), or null. */
function interleavedHeads(config: ModelConfig, path: string): number | null {
  if (config.arch !== 'llama' || !config.ropeInterleaved) return null;
  if (/(^|\.)q_proj$/.test(path)) return config.nHead;
  if (/(^|\.)k_proj$/.test(path)) return config.nKvHead;
  return null;
}

/** Inverse of `permuteToInterleaved`: rows in RoPE pairs (2j, 2j+1) -> HF's half-split order. */
function permuteToHalfSplit(data: Float32Array, heads: number, rows: number, cols: number): Float32Array {
  const hs = rows / heads;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < hs / 2; j++) {
      for (let half = 0; half < 2; half++) {
        const from = (h * hs + 2 * j + half) * cols;
        out.set(data.subarray(from, from + cols), (h * hs + half * (hs / 2) + j) * cols);
      }
    }
  }
  return out;
}

/** Rows of an output-side tensor (lora_B, or a q/k weight / bias) between HF's order and the model's. */
function permuteRows(config: ModelConfig, path: string, t: StateEntry, toModel: boolean): StateEntry {
  const heads = interleavedHeads(config, path);
  if (heads === null) return t;
  const rows = t.shape[0]!, cols = t.shape.length > 1 ? t.shape[1]! : 1;
  return { shape: t.shape, data: toModel ? permuteToInterleaved(t.data, heads, rows, cols) : permuteToHalfSplit(t.data, heads, rows, cols) };
}

/** One modules_to_save tensor from HF layout (its HF name is ours) to the model's layout. */
function savedFromHf(config: ModelConfig, name: string, t: StateEntry): StateEntry {
  const mapped = fromHfTensors(config, new Map([[name, t]])).get(name) ?? t; // a name the family renames is not one of its own (a head): as is
  return permuteRows(config, name.slice(0, name.lastIndexOf('.')), mapped, true);
}

/** One modules_to_save tensor from the model's layout to HF's. */
function savedToHf(config: ModelConfig, name: string, t: StateEntry): StateEntry {
  const hf = toHfTensors(config, new Map([[name, permuteRows(config, name.slice(0, name.lastIndexOf('.')), t, false)]]));
  return hf.get(name) ?? t;
}

const fmt = (s: readonly number[]) => `(${s.join(', ')})`;

/**
 * Puts the adapter in `dir` (peft's or ours) on `model`: LoRA layers as its
 * adapter_config.json says, with the weights of adapter_model.safetensors, and its
 * modules_to_save tensors. The file is checked against the model first: the first key the
 * model has no module or parameter for, a shape that differs, or a LoRA layer the config
 * selects but the file lacks is an `E_ADAPTER` error naming that key (the model is left
 * as it was). Returns the LoRA setup (as `applyLora`'s).
 */
export function loadAdapter(model: AdapterModel, dir: string): LoraState {
  const config = readAdapterConfig(dir);
  const path = join(dir, WEIGHTS_FILE);
  if (!existsSync(path)) {
    const bin = existsSync(join(dir, 'adapter_model.bin'));
    throw adapterError(path, `${path} is missing`, bin ? 'adapter_model.bin (a pickle) is not read: save the adapter with safe_serialization=True' : 'an adapter directory holds adapter_config.json and adapter_model.safetensors');
  }
  const { tensors } = loadSafetensors(path);
  const baseHint = `the adapter was made for another base model${config.baseModel ? ` (its base_model_name_or_path: ${config.baseModel})` : ''}; pass that model`;
  const modules = new Map(model.namedModules());
  const params = new Map(model.namedParameters());
  const lora = new Map<string, { A?: StateEntry; B?: StateEntry }>();
  const saved = new Map<string, StateEntry>();
  for (const [key, t] of Object.entries(tensors)) {
    const where = path;
    if (!key.startsWith(PREFIX)) throw adapterError(where, `key '${key}' does not start with '${PREFIX}'`, 'peft writes every key under base_model.model.; this is not a peft LoRA adapter');
    const name = key.slice(PREFIX.length);
    const entry: StateEntry = { shape: t.shape, data: toFloat32(t) };
    const m = /^(.*)\.lora_([AB])\.weight$/.exec(name);
    if (m) {
      const [, modulePath, which] = m as unknown as [string, string, 'A' | 'B'];
      const target = modules.get(modulePath);
      if (!(target instanceof Linear)) {
        throw adapterError(where, `key '${key}': ${target ? `module '${modulePath}' is a ${target.constructor.name}, not a Linear layer` : `the model has no module '${modulePath}'`}`, baseHint);
      }
      const want = which === 'A' ? [config.r, target.inFeatures] : [target.outFeatures, config.r];
      if (t.shape.length !== 2 || t.shape[0] !== want[0] || t.shape[1] !== want[1]) {
        throw adapterError(where, `key '${key}' has shape ${fmt(t.shape)}, the model's '${modulePath}' with r = ${config.r} needs ${fmt(want)}`, `${baseHint} (or fix r in adapter_config.json)`);
      }
      const slot = lora.get(modulePath) ?? {};
      slot[which] = which === 'B' ? permuteRows(model.config, modulePath, entry, true) : entry;
      lora.set(modulePath, slot);
      continue;
    }
    const tiedTo = name === 'lm_head.weight' ? tiedEmbeddingName(model) : null; // peft's copy of a tied embedding trained in full
    const p = params.get(tiedTo ?? name);
    if (!p) throw adapterError(where, `key '${key}': the model has no parameter '${name}'`, `${baseHint}${/^(score|classifier)\./.test(name) ? '; a SEQ_CLS adapter needs a model with its classification head (withHead)' : ''}`);
    const ours = savedFromHf(model.config, tiedTo ?? name, entry);
    if (ours.shape.length !== p.shape.length || ours.shape.some((d, i) => d !== p.shape[i])) {
      throw adapterError(where, `key '${key}' has shape ${fmt(t.shape)}, the model's '${tiedTo ?? name}' is ${fmt(p.shape)}`, baseHint);
    }
    if (!(tiedTo && saved.has(tiedTo))) saved.set(tiedTo ?? name, ours); // the embedding's own key wins over its lm_head copy
  }
  const opts = loraOptions(config, model);
  const plan = planLora(model, opts);
  const planned = new Set(plan.wrap.map(([p]) => p));
  for (const [modulePath, slot] of lora) {
    if (!planned.has(modulePath)) {
      throw adapterError(path, `key '${PREFIX}${modulePath}.lora_A.weight' adapts '${modulePath}', which target_modules ${JSON.stringify(config.targetModules)} in adapter_config.json does not select`, 'the two files come from different adapters');
    }
    for (const which of ['A', 'B'] as const) {
      if (!slot[which]) throw adapterError(path, `${path} lacks ${PREFIX}${modulePath}.lora_${which}.weight`, 'the file is incomplete; re-save the adapter');
    }
  }
  for (const p of planned) {
    if (!lora.has(p)) throw adapterError(path, `${path} lacks ${PREFIX}${p}.lora_A.weight (adapter_config.json's target_modules select '${p}')`, baseHint);
  }
  const state = applyLora(model, opts);
  for (const [modulePath, l] of loraLayers(model)) {
    const slot = lora.get(modulePath)!;
    l.loraA.weight.data.set(slot.A!.data);
    l.loraB.weight.data.set(slot.B!.data);
  }
  for (const [name, t] of saved) params.get(name)!.data.set(t.data);
  return state;
}

/**
 * `loadAdapter` then `mergeLora`: the model with the adapter folded into its weights
 * (plain Linears, what generation runs). With `task`, an adapter of another task_type
 * (e.g. a SEQ_CLS one, whose head a language model lacks) is an E_ADAPTER error.
 */
export function mergeAdapter(model: AdapterModel, dir: string, opts: { task?: PeftTaskType } = {}): AdapterModel {
  if (opts.task) {
    const type = readAdapterConfig(dir).taskType;
    if (type !== null && type !== opts.task) {
      throw adapterError(`${join(dir, CONFIG_FILE)}: task_type`, `task_type is ${type}; this command runs ${opts.task} adapters`,
        type === 'SEQ_CLS' || type === 'TOKEN_CLS' ? 'a classification adapter needs its head: load it in the library with withHead + loadAdapter' : `use a ${opts.task} adapter`);
    }
  }
  loadAdapter(model, dir);
  mergeLora(model);
  return model;
}

/** Options of `saveAdapter`. */
export interface SaveAdapterOptions {
  /** peft's task_type (default CAUSAL_LM; SEQ_CLS for a classification head). */
  taskType?: PeftTaskType;
  /** base_model_name_or_path: the model the adapter goes on (a hub name or a directory). */
  baseModel?: string | null;
}

/**
 * Writes `model`'s LoRA adapters (and its modules_to_save) to `dir` in peft's format:
 * adapter_config.json and adapter_model.safetensors (keys sorted, F32, metadata
 * format "pt", as peft writes them). Each file is written atomically.
 */
export function saveAdapter(model: AdapterModel, dir: string, opts: SaveAdapterOptions = {}): void {
  const state = loraState(model);
  const layers = loraLayers(model);
  if (!state || layers.length === 0) {
    throw new LlmtsError('E_LORA', 'the model has no LoRA adapters to save', { where: 'saveAdapter', hint: 'call applyLora(model, ...) (or loadAdapter) first' });
  }
  const entries: [string, SafetensorsTensor][] = [];
  for (const [path, l] of layers) {
    const b = permuteRows(model.config, path, { shape: l.loraB.weight.shape, data: l.loraB.weight.data }, false);
    entries.push([`${PREFIX}${path}.lora_A.weight`, { dtype: 'F32', shape: [...l.loraA.weight.shape], data: l.loraA.weight.data }]);
    entries.push([`${PREFIX}${path}.lora_B.weight`, { dtype: 'F32', shape: [...b.shape], data: b.data }]);
  }
  for (const modulePath of state.saved) {
    for (const [pName, p] of model.getModule(modulePath).namedParameters()) {
      const name = `${modulePath}.${pName}`;
      const t = savedToHf(model.config, name, { shape: p.shape, data: p.data });
      entries.push([`${PREFIX}${name}`, { dtype: 'F32', shape: [...t.shape], data: t.data }]);
      // a tied embedding is the output layer too: peft (ensure_weight_tying) saves and expects it under lm_head as well
      if (name === tiedEmbeddingName(model)) entries.push([`${PREFIX}lm_head.weight`, { dtype: 'F32', shape: [...t.shape], data: t.data }]);
    }
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  mkdirSync(dir, { recursive: true });
  saveSafetensors(join(dir, WEIGHTS_FILE), Object.fromEntries(entries), { format: 'pt' });
  const json = peftConfigJson(model, state, opts);
  writeFileAtomic(join(dir, CONFIG_FILE), (put) => put(JSON.stringify(json, null, 2) + '\n'));
}

/** adapter_config.json for `state`: peft 0.21's LoraConfig fields, its defaults where we have no say. */
function peftConfigJson(model: AdapterModel, state: LoraState, opts: SaveAdapterOptions): Record<string, unknown> {
  // peft sets fan_in_fan_out when it wraps GPT-2's Conv1D layers (every GPT-2 projection but lm_head)
  const conv1d = model.config.arch === 'gpt2' && state.wrapped.some((p) => !/(^|\.)lm_head$/.test(p));
  // a tied embedding trained in full is also the output layer: peft keeps the two tied only with ensure_weight_tying
  // (and only for the names it knows, embed_tokens and lm_head: a GPT-2 wte is untied by peft 0.21)
  const embedding = tiedEmbeddingName(model);
  const tied = embedding !== null && state.saved.some((p) => embedding.startsWith(`${p}.`));
  return {
    alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: opts.baseModel ?? null, bias: 'none',
    exclude_modules: state.excludeModules, fan_in_fan_out: conv1d, inference_mode: true, init_lora_weights: true,
    ...(tied ? { ensure_weight_tying: true } : {}), layer_replication: null, layers_pattern: null, layers_to_transform: null, loftq_config: {},
    lora_alpha: state.alpha, lora_bias: false, lora_dropout: state.dropout, megatron_config: null, megatron_core: 'megatron.core',
    modules_to_save: state.modulesToSave, peft_type: 'LORA', r: state.r, rank_pattern: {}, revision: null,
    target_modules: state.targetModules, target_parameters: null, task_type: opts.taskType ?? 'CAUSAL_LM',
    trainable_token_indices: null, use_dora: false, use_rslora: state.rsLora,
  };
}
