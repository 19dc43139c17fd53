/**
 * Sequence-classifier directories (what `llmts finetune --task classify` writes), in the
 * layout transformers' `AutoModelForSequenceClassification.from_pretrained(dir)` reads:
 * - model.safetensors  the trunk under its HF names and layout (`transformer.*` /
 *                      `model.*`; no lm_head) and the head's `score.weight` (num_labels, C)
 * - config.json        the model's HF config with `architectures: [GPT2ForSequenceClassification]`
 *                      (or LlamaForSequenceClassification), `num_labels`, `id2label`,
 *                      `label2id`, `pad_token_id`, and the `llmts` block (model config, tensor
 *                      layout, and `head: { kind, numLabels, labels, pooling, padId }`)
 * - tokenizer.json
 * `loadClassifier` rebuilds the model with its head; a directory without the head block is
 * an `E_CHECKPOINT` error naming config.json. `loadAdapterClassifier` does the same for a
 * LoRA classifier (a SEQ_CLS adapter, ours with its classifier.json or peft's) on its base
 * model; `llmts lora merge` saves that as a classifier directory.
 *
 * @example
 * saveClassifier('runs/sentiment', { model: clf, tokenizer, labels: ['0', '1'], padId: 50256 });
 * const { model, labels } = loadClassifier('runs/sentiment'); // model.forward({ ids, B, T }).logits (B, 2)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { classificationHead, withHead, type ModelWithHead, type Pooling } from '../models/heads.ts';
import { createModel, type AnyModel, type ModelConfig } from '../models/registry.ts';
import type { StateEntry } from '../nn/module.ts';
import { loadTokenizer, type AnyTokenizer } from '../tokenizer/load.ts';
import { saveTokenizer } from '../tokenizer/save.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { CHECKPOINT_FORMAT, readCheckpointConfig } from './checkpoint.ts';
import { fromHfTensors, toHfConfig, toHfTensors } from './hf-format.ts';
import { mergeAdapter } from './peft.ts';
import { loadSafetensors, saveSafetensors, toFloat32, type SafetensorsTensor } from './safetensors.ts';

/** The head block of a classifier's config.json (`llmts.head`). */
export interface ClassifierHeadInfo {
  kind: 'sequence-classification';
  numLabels: number;
  /** Label names by id. */
  labels: string[];
  pooling: Pooling;
  padId: number | null;
}

/** A loaded classifier. */
export interface LoadedClassifier {
  model: ModelWithHead<ModelConfig>;
  tokenizer: AnyTokenizer;
  head: ClassifierHeadInfo;
  dir: string;
}

const HF_CLASS: Record<string, string> = { gpt2: 'GPT2ForSequenceClassification', llama: 'LlamaForSequenceClassification' };

/**
 * Writes `model` (a trunk with a classification head) to `dir`; see the module comment.
 * Files are written into a temporary sibling and moved into `dir`, which may hold other
 * files (a fine-tuning run's metrics and checkpoints) that are left alone.
 */
export function saveClassifier(dir: string, c: { model: ModelWithHead<ModelConfig>; tokenizer: Tokenizer; labels: readonly string[]; pooling?: Pooling; padId?: number }): void {
  const config = c.model.config;
  const trunk = new Map<string, StateEntry>();
  for (const [name, p] of c.model.base.namedParameters()) if (!/^lm_head\./.test(name)) trunk.set(name, { shape: [...p.shape], data: p.data });
  const hf = toHfConfig(config);
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, t] of hf ? toHfTensors(config, trunk) : trunk) tensors[name] = { dtype: 'F32', shape: [...t.shape], data: t.data };
  for (const [name, p] of c.model.head.namedParameters()) tensors[`score.${name}`] = { dtype: 'F32', shape: [...p.shape], data: p.data };
  const head: ClassifierHeadInfo = { kind: 'sequence-classification', numLabels: c.labels.length, labels: [...c.labels], pooling: c.pooling ?? 'last', padId: c.padId ?? null };
  const id2label = Object.fromEntries(c.labels.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(c.labels.map((l, i) => [l, i]));
  const json = {
    ...hf, ...(hf ? { architectures: [HF_CLASS[config.arch] ?? 'ForSequenceClassification'] } : {}),
    num_labels: c.labels.length, id2label, label2id, ...(c.padId !== undefined ? { pad_token_id: c.padId } : {}),
    llmts: { format: CHECKPOINT_FORMAT, version: 2, model: config, tensorLayout: hf ? 'hf' : 'llmts', head },
  };
  const tmp = join(dirname(dir), `.${basename(dir)}.classifier-tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  saveSafetensors(join(tmp, 'model.safetensors'), tensors, { format: 'pt', producer: 'llmts' });
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(json, null, 2) + '\n');
  saveTokenizer(c.tokenizer, join(tmp, 'tokenizer.json'));
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(tmp)) renameSync(join(tmp, f), join(dir, f));
  rmSync(tmp, { recursive: true, force: true });
}

function headError(path: string, message: string): LlmtsError {
  return new LlmtsError('E_CHECKPOINT', `${path}: ${message}`, { where: path, hint: 'a classifier directory is written by llmts finetune --task classify' });
}

/** Reads and checks `llmts.head` of a classifier's config.json. */
function readHead(json: Record<string, unknown>, path: string): ClassifierHeadInfo {
  const head = (json.llmts as Record<string, unknown> | undefined)?.head as Record<string, unknown> | undefined;
  if (typeof head !== 'object' || head === null) throw headError(path, 'llmts.head is missing: this is not a classifier directory (load a language model with --model instead)');
  const { numLabels, labels, pooling, padId } = head;
  if (typeof numLabels !== 'number' || !Number.isInteger(numLabels) || numLabels < 1) throw headError(path, 'llmts.head.numLabels must be an integer >= 1');
  if (!Array.isArray(labels) || labels.length !== numLabels || !labels.every((l) => typeof l === 'string')) throw headError(path, `llmts.head.labels must be ${numLabels} strings`);
  if (pooling !== 'last' && pooling !== 'mean') throw headError(path, "llmts.head.pooling must be 'last' or 'mean'");
  if (padId !== null && (typeof padId !== 'number' || !Number.isInteger(padId) || padId < 0)) throw headError(path, 'llmts.head.padId must be a token id or null');
  return { kind: 'sequence-classification', numLabels, labels: labels as string[], pooling, padId: padId as number | null };
}

/** Loads a classifier directory written by `saveClassifier` (eval mode); see the module comment. */
export function loadClassifier(dir: string): LoadedClassifier {
  const { config, tensorLayout } = readCheckpointConfig(dir);
  const configPath = join(dir, 'config.json');
  const json = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>; // valid: readCheckpointConfig read it
  const head = readHead(json, configPath);
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(weightsPath)) throw headError(weightsPath, 'the file is missing');
  const { tensors } = loadSafetensors(weightsPath);
  const score = tensors['score.weight'];
  if (!score || score.shape.length !== 2 || score.shape[0] !== head.numLabels) throw headError(weightsPath, `score.weight must be (${head.numLabels}, hidden size)`);
  let trunk = new Map<string, StateEntry>();
  for (const [name, t] of Object.entries(tensors)) if (!name.startsWith('score.')) trunk.set(name, { shape: t.shape, data: toFloat32(t) });
  if (tensorLayout === 'hf') trunk = fromHfTensors(config, trunk);
  const base = createModel(config, { seed: 0 }) as AnyModel;
  let report;
  try {
    report = base.loadStateDict(trunk, { strict: false });
  } catch (err) {
    throw new LlmtsError('E_CHECKPOINT', `${weightsPath} does not match ${configPath}: ${(err as Error).message}`, { where: weightsPath, hint: 'the files come from different models', cause: err });
  }
  const missing = report.missing.filter((k) => !k.startsWith('lm_head.'));
  if (missing.length > 0 || report.unexpected.length > 0) {
    throw headError(weightsPath, `tensors do not match the model: missing [${missing.join(', ')}], unexpected [${report.unexpected.join(', ')}]`);
  }
  const model = withHead(base, classificationHead({ numLabels: head.numLabels, pooling: head.pooling, padId: head.padId ?? undefined }));
  if (score.shape[1] !== model.hiddenSize) throw headError(weightsPath, `score.weight is (${score.shape.join(', ')}), the model's hidden size is ${model.hiddenSize}`);
  model.head.namedParameters()[0]![1].data.set(toFloat32(score));
  model.eval();
  const tokenizer = loadTokenizer(join(dir, 'tokenizer.json'));
  return { model, tokenizer, head, dir };
}

/**
 * The head of a SEQ_CLS adapter directory: its classifier.json (written by
 * `llmts finetune --task classify --lora`: labels, pooling, pad id), or for an adapter made
 * by peft (no classifier.json) what transformers' defaults give: as many labels as the rows
 * of the saved `score.weight` (GPT2/LlamaForSequenceClassification's head), named LABEL_0, LABEL_1, ..., pooled
 * at the last non-pad token of `padId` (the last position without one).
 */
export function adapterHeadInfo(adapterDir: string, o: { padId?: number } = {}): ClassifierHeadInfo {
  const path = join(adapterDir, 'classifier.json');
  if (existsSync(path)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new LlmtsError('E_CHECKPOINT', `${path} is not valid JSON`, { where: path, hint: 're-run llmts finetune', cause: err });
    }
    return readHead({ llmts: { head: json } }, path);
  }
  const weights = join(adapterDir, 'adapter_model.safetensors');
  if (!existsSync(weights)) throw headError(weights, 'the file is missing: an adapter directory holds adapter_config.json and adapter_model.safetensors');
  const { tensors } = loadSafetensors(weights);
  const score = Object.entries(tensors).find(([k]) => k === 'base_model.model.score.weight');
  if (!score || score[1].shape.length !== 2) {
    throw new LlmtsError('E_ADAPTER', `${weights} has no base_model.model.score.weight: not a sequence-classification adapter of a GPT-2 or Llama`, { where: weights, hint: 'a SEQ_CLS adapter saves its head (modules_to_save score)' });
  }
  const numLabels = score[1].shape[0]!;
  return { kind: 'sequence-classification', numLabels, labels: Array.from({ length: numLabels }, (_, i) => `LABEL_${i}`), pooling: 'last', padId: o.padId ?? null };
}

/**
 * A classifier from a base model and a LoRA adapter of task SEQ_CLS (adapter_config.json,
 * adapter_model.safetensors with `score.weight` as modules_to_save; the head from
 * `adapterHeadInfo`): the head is put on `base`, the adapter loaded and merged.
 */
export function loadAdapterClassifier(base: AnyModel, adapterDir: string, o: { padId?: number } = {}): { model: ModelWithHead<ModelConfig>; head: ClassifierHeadInfo } {
  const head = adapterHeadInfo(adapterDir, o);
  const model = withHead(base, classificationHead({ numLabels: head.numLabels, pooling: head.pooling, padId: head.padId ?? undefined }));
  mergeAdapter(model, adapterDir, { task: 'SEQ_CLS' });
  model.eval();
  return { model, head };
}
