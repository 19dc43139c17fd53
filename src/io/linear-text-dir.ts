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
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors, toFloat32 } from './safetensors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { LlmtsError } from '../util/errors.ts';
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
  const file = (name: string): string => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new LlmtsError('E_CHECKPOINT', `${p} is missing`, { where: p, hint: HINT });
    return p;
  };
  const cfgPath = file('config.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new LlmtsError('E_CHECKPOINT', `${cfgPath} is not JSON: ${(e as Error).message}`, { where: cfgPath, hint: HINT });
  }
  const meta = (json as { llmts?: unknown } | null)?.llmts as Record<string, unknown> | undefined;
  if (typeof meta !== 'object' || meta === null || meta.format !== LINEAR_TEXT_FORMAT) throw bad(cfgPath, `is not a linear text model (no llmts.format "${LINEAR_TEXT_FORMAT}")`);
  if (meta.version !== 1) throw bad(`${cfgPath}: llmts.version`, `${JSON.stringify(meta.version)} is not 1`);
  const config = parseConfig(meta.model, `${cfgPath}: llmts.model`);
  const labels = meta.labels;
  if (!Array.isArray(labels) || labels.length !== config.numLabels || !labels.every((l) => typeof l === 'string' && l !== '')) {
    throw bad(`${cfgPath}: llmts.labels`, `must be ${config.numLabels} non-empty strings`);
  }
  const weightsPath = file('model.safetensors');
  const { tensors } = loadSafetensors(weightsPath);
  const want: [string, number[]][] = [['scale', [config.buckets]], ['weight', [config.numLabels, config.buckets]], ['bias', [config.numLabels]]];
  const data: Float32Array[] = [];
  for (const [name, shape] of want) {
    const t = tensors[name];
    if (!t) throw bad(weightsPath, `has no tensor ${name}`);
    if (t.shape.join(',') !== shape.join(',')) throw bad(weightsPath, `tensor ${name} has shape [${t.shape}], the config needs [${shape}]`);
    const v = toFloat32(t);
    if (!v.every(Number.isFinite)) throw bad(weightsPath, `tensor ${name} has a value that is not finite`);
    data.push(v);
  }
  return { model: { config, scale: data[0]!, weight: data[1]!, bias: data[2]! }, labels: labels as string[] };
}
