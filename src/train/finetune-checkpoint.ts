/**
 * Checkpoints of a fine-tuning run (`<out>/checkpoints/step-N/`): only what training
 * changes, so a LoRA run's checkpoint is adapter-sized and a resume rebuilds the rest from
 * `--model`:
 * - trainable.safetensors   the trainable parameters (LoRA A/B and the head, or every
 *                           parameter for full fine-tuning) under the model's names
 * - optimizer.safetensors   AdamW moments `exp_avg.<name>` / `exp_avg_sq.<name>`, step in metadata
 * - trainer_state.json      step, seed, loss, the run's options (what `--resume` restores)
 * Written into a temporary sibling and renamed, as src/io/checkpoint.ts does.
 *
 * @example
 * saveFinetuneCheckpoint(dir, { model, optimizer, state });
 * const state = loadFinetuneCheckpoint(dir, model, optimizer); // weights and moments restored
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Module } from '../nn/module.ts';
import type { AdamW } from '../optim/index.ts';
import { loadSafetensors, saveSafetensors, toFloat32, type SafetensorsTensor } from '../io/safetensors.ts';
import { LlmtsError } from '../util/errors.ts';

/** trainer_state.json of a fine-tuning checkpoint. */
export interface FinetuneState {
  step: number;
  seed: number;
  tokens: number;
  elapsedSec: number;
  valLoss: number | null;
  loss: number | null;
  /** Best validation loss so far and evaluations since it improved (early stopping). */
  bestValLoss: number | null;
  sinceBest: number;
  /** The run's options (JSON), restored by --resume. */
  options: Record<string, unknown>;
}

/** Writes a checkpoint of the trainable parameters, the optimizer and the state; replaces `dir`. */
export function saveFinetuneCheckpoint(dir: string, c: { model: Module; optimizer: AdamW; state: FinetuneState }): void {
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const weights: Record<string, SafetensorsTensor> = {};
  for (const [name, p] of c.model.trainableParameters()) weights[name] = { dtype: 'F32', shape: [...p.shape], data: p.data };
  saveSafetensors(join(tmp, 'trainable.safetensors'), weights, { format: 'pt', producer: 'llmts' });
  const names = new Map(c.model.namedParameters().map(([n, p]) => [p as object, n]));
  const st = c.optimizer.stateDict();
  const opt: Record<string, SafetensorsTensor> = {};
  c.optimizer.params().forEach((p, i) => {
    const name = names.get(p)!;
    const shape = [...(p.shape ?? [p.data.length])];
    opt[`exp_avg.${name}`] = { dtype: 'F32', shape, data: st.m[i]! };
    opt[`exp_avg_sq.${name}`] = { dtype: 'F32', shape, data: st.v[i]! };
  });
  saveSafetensors(join(tmp, 'optimizer.safetensors'), opt, { optimizer: 'AdamW', step: String(st.step) });
  writeFileSync(join(tmp, 'trainer_state.json'), JSON.stringify(c.state, null, 2) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/** Reads trainer_state.json of a fine-tuning checkpoint; a missing or malformed one is E_CHECKPOINT. */
export function readFinetuneState(dir: string): FinetuneState {
  const path = join(dir, 'trainer_state.json');
  let s: unknown;
  try {
    s = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LlmtsError('E_CHECKPOINT', `cannot read ${path}`, { where: path, hint: 'the checkpoint is incomplete; delete it to resume from the one before', cause: err });
  }
  const st = s as FinetuneState | null;
  if (typeof st?.step !== 'number' || typeof st.seed !== 'number' || typeof st.options !== 'object' || st.options === null) {
    throw new LlmtsError('E_CHECKPOINT', `${path} lacks step, seed or options`, { where: path, hint: 'this is not a fine-tuning checkpoint (llmts finetune writes one)' });
  }
  return st;
}

/** Restores the trainable parameters and the optimizer of `model` from `dir`; returns its state. */
export function loadFinetuneCheckpoint(dir: string, model: Module, optimizer: AdamW): FinetuneState {
  const state = readFinetuneState(dir);
  const wPath = join(dir, 'trainable.safetensors'), oPath = join(dir, 'optimizer.safetensors');
  for (const p of [wPath, oPath]) {
    if (!existsSync(p)) throw new LlmtsError('E_CHECKPOINT', `${p} is missing`, { where: p, hint: 'the checkpoint is incomplete; delete it to resume from the one before' });
  }
  const { tensors } = loadSafetensors(wPath);
  const params = new Map(model.trainableParameters());
  for (const [name, p] of params) {
    const t = tensors[name];
    if (!t || t.data.length !== p.data.length) {
      throw new LlmtsError('E_CHECKPOINT', `${wPath} has no tensor of ${p.data.length} values for '${name}'`, { where: wPath, hint: 'resume with the --model, --task and LoRA options of the run' });
    }
    p.data.set(toFloat32(t));
  }
  const { tensors: moments, metadata } = loadSafetensors(oPath);
  const step = Number(metadata.step);
  const names = new Map(model.namedParameters().map(([n, p]) => [p as object, n]));
  const m: Float32Array[] = [], v: Float32Array[] = [];
  for (const p of optimizer.params()) {
    const name = names.get(p)!;
    const a = moments[`exp_avg.${name}`], b = moments[`exp_avg_sq.${name}`];
    if (!a || !b || a.data.length !== p.data.length || b.data.length !== p.data.length || !Number.isInteger(step)) {
      throw new LlmtsError('E_CHECKPOINT', `${oPath}: no moments for '${name}'`, { where: oPath, hint: 'the optimizer state comes from another run' });
    }
    m.push(toFloat32(a));
    v.push(toFloat32(b));
  }
  optimizer.loadStateDict({ step, m, v });
  return state;
}
