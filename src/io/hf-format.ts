/**
 * Hugging Face `transformers` files for any registered model family, through the
 * family's `hf` mapping (src/models/model.ts `HfMapping`; the decoder's is
 * src/models/decoder/hf.ts):
 * - `toHfConfig` / `fromHfConfig`: config.json fields (`model_type` picks the family);
 * - `toHfTensors` / `fromHfTensors`: tensor names and layout of model.safetensors;
 * - `checkHfAgreement`: an llm.ts config.json carries both HF fields and an `llmts` block;
 *   transformers reads the HF fields, we read the block, so they must describe one model;
 * - `checkTensorShapes`: a weights file's header against the config, before any model is
 *   allocated (a config.json claiming `n_layer: 100000` is refused here, not after 4 GB).
 *
 * @example
 * const hf = toHfConfig(model.config);            // { model_type: 'gpt2', n_embd: 128, ... }
 * const cfg = fromHfConfig(JSON.parse(text), 'ckpt/config.json');
 * checkTensorShapes(cfg, readSafetensorsHeader(file).tensors, 'hf', file);
 */
import type { Json } from '../models/model.ts';
import { hfFamily, modelArchs, modelFamily, parameterShapes, type ModelConfig } from '../models/registry.ts';
import type { StateEntry } from '../nn/module.ts';
import { LlmtsError } from '../util/errors.ts';

/** The HF config.json fields for `c`, or null when HF cannot express the model. */
export function toHfConfig(c: ModelConfig): Json | null {
  return modelFamily(c.arch).hf?.toConfig(c) ?? null;
}

/** Reads an HF config.json object into our config; errors name `path` and the field. */
export function fromHfConfig(json: Json, path: string): ModelConfig {
  const family = hfFamily(json.model_type);
  if (!family?.hf) {
    throw new LlmtsError('E_CHECKPOINT', `${path}: model_type ${JSON.stringify(json.model_type)} is not supported`, {
      where: `${path}: model_type`, hint: `llm.ts loads ${modelArchs().map((a) => JSON.stringify(a)).join(', ')} checkpoints` });
  }
  return family.hf.fromConfig(json, path);
}

/** Our named parameters -> the tensors HF's model class saves. */
export function toHfTensors(c: ModelConfig, params: ReadonlyMap<string, StateEntry>): Map<string, StateEntry> {
  const hf = modelFamily(c.arch).hf;
  return hf ? hf.toTensors(c, params) : new Map(params);
}

/** HF tensors (as `save_pretrained` writes them) -> our parameter names and layout. */
export function fromHfTensors(c: ModelConfig, tensors: ReadonlyMap<string, StateEntry>): Map<string, StateEntry> {
  const hf = modelFamily(c.arch).hf;
  return hf ? hf.fromTensors(c, tensors) : new Map(tensors);
}

/**
 * Refuses a config.json whose HF fields describe another model than its `llmts` block
 * (`config`): transformers would build the one, llm.ts the other. Names both fields.
 * A config.json without HF fields (a model HF cannot express) passes.
 */
export function checkHfAgreement(json: Json, config: ModelConfig, path: string): void {
  if (json.model_type === undefined) return;
  const hf = toHfConfig(config);
  if (!hf) {
    throw new LlmtsError('E_CHECKPOINT', `${path}: model_type ${JSON.stringify(json.model_type)} is set, but llmts.model (${config.arch}) has no Hugging Face form`, {
      where: `${path}: model_type`, hint: 'remove the Hugging Face fields or the llmts block; the two must describe one model' });
  }
  for (const [key, want] of Object.entries(hf)) {
    if (key === 'architectures' || key === 'torch_dtype' || !(key in json)) continue;
    const got = json[key];
    if (JSON.stringify(got) === JSON.stringify(want)) continue;
    const field = modelFamily(config.arch).hf?.fieldNames[key];
    throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} = ${JSON.stringify(got)} disagrees with llmts.model${field ? `.${field}` : ''} (which means ${key} = ${JSON.stringify(want)})`, {
      where: `${path}: ${key}`, hint: 'transformers reads the Hugging Face fields and llm.ts the llmts block; make them agree (or delete one of them)' });
  }
}

/**
 * Checks a weights file's tensor shapes (its header: name -> shape, in `layout`) against
 * the parameters `config` makes, before any model is allocated: every missing, unexpected
 * or misshapen tensor is named, with the file.
 */
export function checkTensorShapes(config: ModelConfig, fileShapes: Record<string, { shape: readonly number[] }>, layout: 'hf' | 'llmts', path: string): void {
  const raw = new Map<string, readonly number[]>(Object.entries(fileShapes).map(([n, t]) => [n, t.shape]));
  const hf = modelFamily(config.arch).hf;
  const have = layout === 'hf' && hf ? hf.fromShapes(config, raw) : new Map([...raw].map(([n, s]) => [n, [...s]]));
  const want = parameterShapes(config);
  const missing = [...want.keys()].filter((n) => !have.has(n));
  const unexpected = [...have.keys()].filter((n) => !want.has(n));
  const misshapen = [...want].filter(([n, s]) => have.has(n) && !sameShape(have.get(n)!, s))
    .map(([n, s]) => `${n} is (${have.get(n)!.join(', ')}), the config needs (${s.join(', ')})`);
  if (missing.length + unexpected.length + misshapen.length === 0) return;
  const parts = [
    misshapen.length ? `${misshapen.slice(0, 5).join('; ')}${misshapen.length > 5 ? `; ... (${misshapen.length} in all)` : ''}` : '',
    missing.length ? `missing [${list(missing)}]` : '',
    unexpected.length ? `unexpected [${list(unexpected)}]` : '',
  ].filter((p) => p);
  throw new LlmtsError('E_CHECKPOINT', `${path} does not match its config.json: ${parts.join('; ')}`, {
    where: path, hint: 'the weights and config.json come from different models; use a complete checkpoint' });
}

function list(names: string[]): string {
  return `${names.slice(0, 8).join(', ')}${names.length > 8 ? `, ... (${names.length} in all)` : ''}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
