/**
 * The model side of a fine-tuning run: what trains, and what is written at the end.
 * - `prepareFinetuneModel`: the loaded language model as it is (`lm`, `sft`) or with a
 *   sequence-classification head on its trunk (`classify`, HF's `score`); with LoRA,
 *   adapters on the target modules (peft's defaults per architecture) and everything else
 *   frozen but the head (`modules_to_save: ['score']`); AdamW over the trainable
 *   parameters only (matrices decayed, vectors not).
 * - `writeFinetuneOutput`: with LoRA an adapter directory in peft's format
 *   (adapter_config.json + adapter_model.safetensors, task_type CAUSAL_LM or SEQ_CLS; a
 *   classifier also gets classifier.json: its labels, pooling and pad id); without, a
 *   full model directory (a checkpoint that --model loads, or a classifier directory,
 *   src/io/classifier-dir.ts). The files are moved into `out`, whose run files (metrics,
 *   checkpoints) stay.
 *
 * @example
 * const ft = prepareFinetuneModel(model, { task: 'sft', lora: { r: 8, alpha: 16, dropout: 0, rsLora: false }, seed: 1, ... });
 * ... train ft.trainable with ft.optimizer ...
 * writeFinetuneOutput(ft, out, { tokenizer, baseModel: 'runs/base' });
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { saveCheckpoint } from '../io/checkpoint.ts';
import { saveClassifier, type ClassifierHeadInfo } from '../io/classifier-dir.ts';
import { saveAdapter } from '../io/peft.ts';
import { classificationHead, withHead, type ModelWithHead, type Pooling } from '../models/heads.ts';
import type { AnyModel, ModelConfig } from '../models/registry.ts';
import { applyLora, type LoraState } from '../nn/lora.ts';
import type { Module } from '../nn/module.ts';
import { AdamW, decayGroups } from '../optim/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** The fine-tuning tasks. */
export type FinetuneTask = 'lm' | 'sft' | 'classify';

/** LoRA hyper-parameters (peft's LoraConfig). */
export interface LoraSettings {
  r: number;
  alpha: number;
  dropout: number;
  /** Target modules (default: peft's for the architecture), or 'all-linear'. */
  targets?: string[] | 'all-linear';
  rsLora: boolean;
  /** Modules trained in full beside the adapters (peft's modules_to_save, e.g. ['embed_tokens']); a classifier's 'score' is always added. */
  modulesToSave?: string[];
}

/** What `prepareFinetuneModel` needs. */
export interface ModelSettings {
  task: FinetuneTask;
  lora: LoraSettings | null;
  seed: number;
  lr: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
  /** classify: the label names (by id), the pooling and the pad id rows are padded with. */
  labels?: readonly string[];
  pooling?: Pooling;
  padId?: number;
}

/** The model being fine-tuned and its optimizer. */
export interface FinetuneModel {
  task: FinetuneTask;
  /** The module trained: the language model, or the model with its classification head. */
  trainable: (AnyModel | ModelWithHead<ModelConfig>) & Module;
  /** The language model (the trunk's owner). */
  base: AnyModel;
  /** The classifier (classify only). */
  classifier: ModelWithHead<ModelConfig> | null;
  lora: LoraState | null;
  optimizer: AdamW;
  head: ClassifierHeadInfo | null;
}

/** See the module comment. */
export function prepareFinetuneModel(base: AnyModel, s: ModelSettings): FinetuneModel {
  base.train();
  let classifier: ModelWithHead<ModelConfig> | null = null;
  let head: ClassifierHeadInfo | null = null;
  if (s.task === 'classify') {
    const labels = s.labels ?? [];
    const pooling = s.pooling ?? 'last';
    classifier = withHead(base, classificationHead({ numLabels: labels.length, pooling, padId: s.padId }), { seed: s.seed });
    classifier.train();
    head = { kind: 'sequence-classification', numLabels: labels.length, labels: [...labels], pooling, padId: s.padId ?? null };
  }
  const trainable = classifier ?? base;
  const lora = s.lora
    ? applyLora(trainable, {
      r: s.lora.r, alpha: s.lora.alpha, dropout: s.lora.dropout, rsLora: s.lora.rsLora, targetModules: s.lora.targets,
      modulesToSave: saveList(s.task, s.lora.modulesToSave), seed: s.seed,
    })
    : null;
  const optimizer = new AdamW(decayGroups(trainable.trainableParameters(), { weightDecay: s.weightDecay }), { lr: s.lr, betas: [s.beta1, s.beta2], weightDecay: s.weightDecay });
  return { task: s.task, trainable, base, classifier, lora, optimizer, head };
}

/** modules_to_save of a run: the ones asked for, and a classifier's head. */
function saveList(task: FinetuneTask, asked: readonly string[] | undefined): string[] | undefined {
  const list = [...(asked ?? []), ...(task === 'classify' && !asked?.includes('score') ? ['score'] : [])];
  return list.length > 0 ? list : undefined;
}

/** Moves every file of `from` into `to` (replacing same-named files) and removes `from`. */
function moveInto(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) renameSync(join(from, f), join(to, f));
  rmSync(from, { recursive: true, force: true });
}

/** Writes the fine-tuned model into `out` (see the module comment); returns what was written, in words. */
export function writeFinetuneOutput(ft: FinetuneModel, out: string, o: { tokenizer: Tokenizer; baseModel: string }): string {
  if (ft.lora) {
    saveAdapter(ft.trainable, out, { taskType: ft.task === 'classify' ? 'SEQ_CLS' : 'CAUSAL_LM', baseModel: o.baseModel });
    if (ft.head) writeFileAtomic(join(out, 'classifier.json'), (put) => put(JSON.stringify(ft.head, null, 2) + '\n'));
    return `a LoRA adapter (peft format, task_type ${ft.task === 'classify' ? 'SEQ_CLS' : 'CAUSAL_LM'}; base ${o.baseModel})`;
  }
  if (ft.classifier && ft.head) {
    saveClassifier(out, { model: ft.classifier, tokenizer: o.tokenizer, labels: ft.head.labels, pooling: ft.head.pooling, padId: ft.head.padId ?? undefined });
    return `a classifier directory (${ft.head.numLabels} labels, score.weight)`;
  }
  const tmp = join(dirname(out), `.${basename(out)}.model-tmp-${process.pid}`);
  ft.base.eval();
  saveCheckpoint(tmp, { model: ft.base, tokenizer: o.tokenizer });
  moveInto(tmp, out);
  return 'a full model directory (model.safetensors, config.json, tokenizer.json)';
}
