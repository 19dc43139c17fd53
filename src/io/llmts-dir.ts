/**
 * The parts every one of our small model directories shares (Tree-LSTM, HAN, linear text
 * classifier): a config.json holding `{ "llmts": { "format": ..., ... } }` beside
 * `model.safetensors`. Opening checks that the files exist and that config.json is JSON
 * of that format; `readCheckedTensors` checks the weights' names, shapes and values
 * against what the config needs. Every problem is one `E_CHECKPOINT` naming the file.
 *
 * @example
 * const d = openLlmtsDir(dir, 'llmts-han', 'HAN model', 'give a directory written by llmts train-han');
 * const config = parseHanConfig(d.meta.model, `${d.cfgPath}: llmts.model`);
 * const weights = readCheckedTensors(d.file('model.safetensors'), hanParameterShapes(config));
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmtsError } from '../util/errors.ts';
import { loadSafetensors, toFloat32 } from './safetensors.ts';

/** An opened model directory: its files, config.json's path and its `llmts` block. */
export interface LlmtsDir {
  /** The path of a file of the directory; a missing file is `E_CHECKPOINT`. */
  file(name: string): string;
  cfgPath: string;
  meta: Record<string, unknown>;
}

/**
 * Opens `dir` as a directory of `format` (`what` names it for people: 'HAN model'; `hint`
 * says how such a directory is made). `version`, when given, must equal llmts.version.
 */
export function openLlmtsDir(dir: string, format: string, what: string, hint: string, version?: number): LlmtsDir {
  const file = (name: string): string => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new LlmtsError('E_CHECKPOINT', `${p} is missing`, { where: p, hint });
    return p;
  };
  const cfgPath = file('config.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new LlmtsError('E_CHECKPOINT', `${cfgPath} is not JSON: ${(e as Error).message}`, { where: cfgPath, hint });
  }
  const meta = (json as { llmts?: unknown } | null)?.llmts as Record<string, unknown> | undefined;
  if (typeof meta !== 'object' || meta === null || meta.format !== format) {
    throw new LlmtsError('E_CHECKPOINT', `${cfgPath} is not a ${what} (no llmts.format "${format}")`, { where: cfgPath, hint });
  }
  if (version !== undefined && meta.version !== version) {
    throw new LlmtsError('E_CHECKPOINT', `${cfgPath}: llmts.version ${JSON.stringify(meta.version)} is not ${version}`, { where: `${cfgPath}: llmts.version`, hint: `this llmts reads version ${version}` });
  }
  return { file, cfgPath, meta };
}

/**
 * The tensors `want` names (name -> shape) from a safetensors file, as float32: each must
 * be present, of that shape and finite (other tensors in the file are ignored).
 */
export function readCheckedTensors(weightsPath: string, want: ReadonlyMap<string, readonly number[]> | readonly (readonly [string, readonly number[]])[]): Map<string, { shape: number[]; data: Float32Array }> {
  const { tensors } = loadSafetensors(weightsPath);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of want) {
    const t = tensors[name];
    const hint = 'the weights do not belong to this config.json';
    if (!t) throw new LlmtsError('E_CHECKPOINT', `${weightsPath} has no tensor ${name}`, { where: weightsPath, hint });
    if (t.shape.join(',') !== shape.join(',')) {
      throw new LlmtsError('E_CHECKPOINT', `${weightsPath}: tensor ${name} has shape [${t.shape}], the config needs [${shape}]`, { where: weightsPath, hint });
    }
    const data = toFloat32(t);
    if (!data.every(Number.isFinite)) {
      throw new LlmtsError('E_CHECKPOINT', `${weightsPath}: tensor ${name} has a value that is not finite`, { where: weightsPath, hint: 'the file is damaged; use the model.safetensors saved with the model' });
    }
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}
