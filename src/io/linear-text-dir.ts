/**
 * Linear text classifier directories (what the sentiment recipe writes; `llmts classify`
 * and the tasks layer read them):
 * - config.json        `{ llmts: { format: 'llmts-linear-text', version: 1,
 *                      model: { arch: 'nbsvm', buckets, numLabels }, labels: [...] } }`
 * - model.safetensors  `scale` (buckets), `weight` (numLabels, buckets), `bias` (numLabels), F32
 * Each file is written to a temp file and renamed (weights first, config last). Loading
 * checks the config, the labels, every tensor's shape and that every value is finite; a
 * missing or damaged file is `E_CHECKPOINT` naming it and the field.
 *
 * @example
 * saveLinearText('runs/sentiment/model', model, ['negative', 'positive']);
 * const { model, labels } = loadLinearText('runs/sentiment/model');
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { saveSafetensors } from './safetensors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { LlmtsError } from '../util/errors.ts';
import { openLlmtsDir, readCheckedTensors } from './llmts-dir.ts';
import type { LinearTextConfig, LinearTextModel } from '../models/linear-text/index.ts';

export const LINEAR_TEXT_FORMAT = 'llmts-linear-text';

const HINT = 'give a directory written by llmts recipe sentiment';
const MAX_BUCKETS = 1 << 24;
const MAX_LABELS = 1024;

/** Writes a model directory (see the module comment). */
export function saveLinearText(dir: string, model: LinearTextModel, labels: readonly string[]): void {
  if (labels.length !== model.config.numLabels) {
    throw new LlmtsError('E_CHECKPOINT', `${labels.length} label names for a model of ${model.config.numLabels} labels`, { where: dir, hint: 'save the labels the model was trained with' });
  }
  mkdirSync(dir, { recursive: true });
  const { buckets: D, numLabels: L } = model.config;
  saveSafetensors(join(dir, 'model.safetensors'), {
    scale: { dtype: 'F32', shape: [D], data: model.scale },
    weight: { dtype: 'F32', shape: [L, D], data: model.weight },
    bias: { dtype: 'F32', shape: [L], data: model.bias },
  });
  const meta = { format: LINEAR_TEXT_FORMAT, version: 1, model: model.config, labels };
  writeFileAtomic(join(dir, 'config.json'), (put) => put(JSON.stringify({ llmts: meta }, null, 2) + '\n'));
}

function bad(where: string, what: string): LlmtsError {
  return new LlmtsError('E_CHECKPOINT', `${where} ${what}`, { where, hint: HINT });
}

/** config.json's `llmts.model`, checked. */
function parseConfig(raw: unknown, where: string): LinearTextConfig {
  const o = raw as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad(where, 'must be { arch, buckets, numLabels }');
  if (o.arch !== 'nbsvm') throw bad(`${where}.arch`, `must be "nbsvm", got ${JSON.stringify(o.arch)}`);
  const int = (k: string, lo: number, hi: number): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(`${where}.${k}`, `must be an integer ${lo}-${hi}, got ${JSON.stringify(v)}`);
    return v;
  };
  return { arch: 'nbsvm', buckets: int('buckets', 1, MAX_BUCKETS), numLabels: int('numLabels', 2, MAX_LABELS) };
}

/** True when `dir` has a config.json naming this format (read by the tasks layer before loading). */
export function isLinearTextConfig(llmts: Record<string, unknown> | undefined): boolean {
  return llmts?.format === LINEAR_TEXT_FORMAT;
}

/** Reads a directory written by `saveLinearText`. */
export function loadLinearText(dir: string): { model: LinearTextModel; labels: string[] } {
  const { file, cfgPath, meta } = openLlmtsDir(dir, LINEAR_TEXT_FORMAT, 'linear text model', HINT, 1);
  const config = parseConfig(meta.model, `${cfgPath}: llmts.model`);
  const labels = meta.labels;
  if (!Array.isArray(labels) || labels.length !== config.numLabels || !labels.every((l) => typeof l === 'string' && l !== '')) {
    throw bad(`${cfgPath}: llmts.labels`, `must be ${config.numLabels} non-empty strings`);
  }
  const want: [string, number[]][] = [['scale', [config.buckets]], ['weight', [config.numLabels, config.buckets]], ['bias', [config.numLabels]]];
  const data = [...readCheckedTensors(file('model.safetensors'), want).values()].map((t) => t.data);
  return { model: { config, scale: data[0]!, weight: data[1]!, bias: data[2]! }, labels: labels as string[] };
}
