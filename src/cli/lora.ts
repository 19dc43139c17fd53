/**
 * `llmts lora`: LoRA adapters (peft's format, src/io/peft.ts). One subcommand so far:
 *
 *   llmts lora merge --model BASE --adapter ADAPTER_DIR --out MERGED_DIR
 *
 * writes one model directory with the adapter folded into the weights (peft's
 * merge_and_unload): model.safetensors, config.json and tokenizer.json, which loads
 * wherever --model is taken and, for GPT-2 and HF-layout Llama, in transformers. A
 * sequence-classification adapter (task_type SEQ_CLS, its `score` head in
 * modules_to_save) gives a classifier directory instead (src/io/classifier-dir.ts, what
 * `finetune --task classify` writes; transformers' AutoModelForSequenceClassification).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { saveCheckpoint } from '../io/checkpoint.ts';
import { loadAdapterClassifier, saveClassifier } from '../io/classifier-dir.ts';
import { loadModel } from '../io/load-model.ts';
import { readAdapterConfig } from '../io/peft.ts';
import { describeModel } from '../models/registry.ts';
import { LlmtsError } from '../util/errors.ts';
import { parseFlags } from './flags.ts';

const HELP = `usage: llmts lora merge --model M --adapter A --out DIR [--tokenizer T] [--overwrite]

Folds a LoRA adapter (adapter_config.json + adapter_model.safetensors, made by peft or by
llm.ts) into its base model and writes one merged model directory (model.safetensors,
config.json, tokenizer.json) that --model takes and transformers loads. A SEQ_CLS adapter
(a classifier's, with its score head) gives a classifier directory (config.json with
GPT2ForSequenceClassification / LlamaForSequenceClassification and the labels of the
adapter's classifier.json; a peft-made one without it gets LABEL_0, LABEL_1, ... and the
tokenizer's pad id).

options:
  --model M       the base model: a checkpoint or run directory, an HF GPT-2 / Llama directory,
                  a llama2.c .bin or a GGUF file
  --adapter A     the adapter directory (task_type CAUSAL_LM or SEQ_CLS)
  --out DIR       the directory to write (must not exist, unless --overwrite and it is a model directory)
  --tokenizer T   tokenizer name or file (default: the model's own)
  --overwrite     replace DIR when it holds a model directory already
  -h, --help      this help`;

/** --out: a new directory, or with --overwrite an existing model directory (never any other folder). */
function checkOutDir(out: string | undefined, overwrite: boolean): string {
  if (!out) throw new LlmtsError('E_FLAG', '--out is required', { where: '--out', hint: 'e.g. --out runs/merged' });
  if (!existsSync(out)) return out;
  if (!statSync(out).isDirectory()) throw new LlmtsError('E_FLAG', `${out} exists and is not a directory`, { where: '--out', hint: 'name a new directory' });
  const isModelDir = existsSync(join(out, 'config.json')) && existsSync(join(out, 'model.safetensors'));
  if (overwrite && (isModelDir || readdirSync(out).length === 0)) return out;
  throw new LlmtsError('E_FLAG', `${out} exists${isModelDir ? '' : ' and is not a model directory'}`, {
    where: '--out', hint: isModelDir ? 'pass --overwrite to replace it, or name a new directory' : 'name a new directory' });
}

async function merge(argv: string[]): Promise<number> {
  const { values } = parseFlags('lora merge', argv, {
    model: { type: 'string' }, adapter: { type: 'string' }, out: { type: 'string' }, tokenizer: { type: 'string' },
    overwrite: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_FLAG', 'llmts lora merge needs --model', { where: '--model', hint: 'pass the base model the adapter was trained on' });
  if (!values.adapter) throw new LlmtsError('E_FLAG', 'llmts lora merge needs --adapter', { where: '--adapter', hint: 'pass the adapter directory (adapter_config.json + adapter_model.safetensors)' });
  const out = checkOutDir(values.out, values.overwrite ?? false);
  const adapter = readAdapterConfig(values.adapter);
  const targets = typeof adapter.targetModules === 'string' ? adapter.targetModules : adapter.targetModules.join(', ');
  const merged = `merged LoRA r=${adapter.r}, alpha=${adapter.alpha}${adapter.rsLora ? ' (rsLoRA)' : ''} on ${targets}`;
  if (adapter.taskType === 'SEQ_CLS') {
    const { model: base, tokenizer } = loadModel(values.model, values.tokenizer);
    const { model, head } = loadAdapterClassifier(base, values.adapter, { padId: tokenizer.specialIds.pad });
    saveClassifier(out, { model, tokenizer, labels: head.labels, pooling: head.pooling, padId: head.padId ?? undefined });
    console.log(`wrote ${out}: a classifier directory, ${describeModel(model.config)} with a ${head.numLabels}-label score head (${head.labels.join(', ')}); ${merged}`);
    return 0;
  }
  const { model, tokenizer } = loadModel(values.model, values.tokenizer, { adapter: values.adapter });
  saveCheckpoint(out, { model, tokenizer });
  console.log(`wrote ${out}: ${describeModel(model.config)}; ${merged}`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    console.log(HELP);
    return sub ? 0 : 1;
  }
  if (sub !== 'merge') throw new LlmtsError('E_FLAG', `unknown subcommand 'lora ${sub}'`, { where: 'llmts lora', hint: 'use llmts lora merge' });
  return merge(rest);
}
