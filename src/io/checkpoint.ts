/**
 * Checkpoint directories: the unit every later stage (eval, generate, chat, export)
 * reads. One directory holds:
 * - model.safetensors      weights, F32, Hugging Face tensor names and layout (src/io/hf-format.ts)
 * - config.json            Hugging Face's config fields (`model_type`, `n_embd` / `hidden_size`, ...)
 *                          plus `llmts: { format: "llmts-checkpoint", version: 2, model: ModelConfig,
 *                          tensorLayout: "hf" | "llmts" }`, so the directory also loads with
 *                          transformers' `AutoModelForCausalLM.from_pretrained(dir)`
 * - tokenizer.json         HF tokenizer.json, or the llmts char-tokenizer file (char.ts)
 * - optimizer.safetensors  AdamW moments `exp_avg.<param>` / `exp_avg_sq.<param>`, step in metadata (training only)
 * - trainer_state.json     step, seed, resolved train config, metrics so far (training only)
 *
 * A training run keeps its checkpoints in `<run>/checkpoints/step-<N>/`; `loadCheckpoint`
 * accepts either a checkpoint directory or a run directory (its newest checkpoint).
 * `loadCheckpoint` also reads version-1 llm.ts checkpoints (config at the top level, our
 * tensor layout) and plain `save_pretrained` directories of GPT-2 and Llama models.
 * Writing is atomic: everything goes to a temporary sibling directory renamed into place,
 * so an interrupted save never leaves a half checkpoint.
 *
 * @example
 * saveCheckpoint('runs/x/checkpoints/step-100', { model, tokenizer, optimizer, trainerState });
 * const { model, tokenizer, config } = loadCheckpoint('runs/x');   // newest step
 * model.generate(tokenizer.encode('\n'), { maxNewTokens: 100, temperature: 0 });
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { StateEntry } from '../nn/module.ts';
import { createModel, parseModelConfig, type AnyModel, type ModelConfig } from '../models/index.ts';
import type { AdamW } from '../optim/index.ts';
import { loadTokenizer, type AnyTokenizer } from '../tokenizer/load.ts';
import { saveTokenizer } from '../tokenizer/save.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkHfAgreement, checkTensorShapes, fromHfConfig, fromHfTensors, toHfConfig, toHfTensors } from './hf-format.ts';
import { loadSafetensors, saveSafetensors, toFloat32, type SafetensorsTensor } from './safetensors.ts';

export const CHECKPOINT_FORMAT = 'llmts-checkpoint';

/** trainer_state.json: what a resumed run needs besides weights and optimizer moments. */
export interface TrainerState {
  /** Optimizer steps completed. */
  step: number;
  /** The run's seed: batches and dropout masks are pure functions of (seed, step), so no RNG state is stored. */
  seed: number;
  /** Tokens trained on so far. */
  tokens: number;
  /** Wall seconds spent training so far (summed over resumes). */
  elapsedSec: number;
  /** Last evaluated validation loss, or null. */
  valLoss: number | null;
  /** Training loss of the step this checkpoint was saved after (absent in older checkpoints). */
  loss?: number | null;
  /** The newest earlier checkpoint saved at a finite, not exploding training loss (what a NaN message points to). */
  lastGood?: { step: number; loss: number | null } | null;
  /** The resolved training config of the run. */
  config: Record<string, unknown>;
}

/** What `saveCheckpoint` writes. */
export interface CheckpointInput {
  model: AnyModel;
  tokenizer: Tokenizer;
  optimizer?: AdamW;
  trainerState?: TrainerState;
}

/** What `loadCheckpoint` returns. */
export interface LoadedCheckpoint {
  /** The checkpoint directory actually read (the newest one when a run directory was given). */
  dir: string;
  /** The model with the saved weights, in eval mode. */
  model: AnyModel;
  config: ModelConfig;
  tokenizer: AnyTokenizer;
  /** trainer_state.json, or null when the checkpoint has none (an exported model). */
  trainerState: TrainerState | null;
}

/** The temporary folder `saveCheckpoint` writes `dir` into before renaming it: `.step-N.tmp-PID`, a sibling of `dir`. */
function tempDirOf(dir: string, pid: number): string {
  return join(dirname(dir), `.${basename(dir)}.tmp-${pid}`);
}

/** Writes a checkpoint directory atomically (see the module comment); replaces an existing one. */
export function saveCheckpoint(dir: string, c: CheckpointInput): void {
  const tmp = tempDirOf(dir, process.pid);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const config = c.model.config;
  const hf = toHfConfig(config);
  const own = new Map<string, StateEntry>(c.model.namedParameters().map(([name, p]) => [name, { shape: [...p.shape], data: p.data }]));
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, t] of hf ? toHfTensors(config, own) : own) tensors[name] = { dtype: 'F32', shape: [...t.shape], data: t.data };
  saveSafetensors(join(tmp, 'model.safetensors'), tensors, { format: 'pt', producer: 'llmts' });
  const meta = { format: CHECKPOINT_FORMAT, version: 2, model: config, tensorLayout: hf ? 'hf' : 'llmts' };
  writeFileSync(join(tmp, 'config.json'), JSON.stringify({ ...hf, llmts: meta }, null, 2) + '\n');
  saveTokenizer(c.tokenizer, join(tmp, 'tokenizer.json'));
  if (c.optimizer) {
    const names = new Map(c.model.namedParameters().map(([n, p]) => [p as object, n]));
    const params = c.optimizer.params();
    const st = c.optimizer.stateDict();
    const opt: Record<string, SafetensorsTensor> = {};
    params.forEach((p, i) => {
      const name = names.get(p);
      if (name === undefined) throw new LlmtsError('E_CHECKPOINT', `optimizer parameter ${i} is not a parameter of the model`, { where: 'saveCheckpoint', hint: 'build the optimizer from model.namedParameters()' });
      const shape = [...(p.shape ?? [p.data.length])];
      opt[`exp_avg.${name}`] = { dtype: 'F32', shape, data: st.m[i]! };
      opt[`exp_avg_sq.${name}`] = { dtype: 'F32', shape, data: st.v[i]! };
    });
    saveSafetensors(join(tmp, 'optimizer.safetensors'), opt, { optimizer: 'AdamW', step: String(st.step) });
  }
  if (c.trainerState) writeFileSync(join(tmp, 'trainer_state.json'), JSON.stringify(c.trainerState, null, 2) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/** Checkpoints of a run directory (`<run>/checkpoints/step-N`), oldest first. */
export function listCheckpoints(runDir: string): { step: number; dir: string }[] {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: join(root, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

/** Whether process `pid` is running (EPERM: running as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary folders (`.step-N.tmp-PID`) that a save killed mid-write (kill -9,
 * power loss) left in `<run>/checkpoints`; a folder whose process is still running (a
 * save in progress, ours or another process's) is left alone. Returns the folders removed.
 */
export function removeStaleCheckpointTemps(runDir: string): string[] {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const m = /^\.step-\d+\.tmp-(\d+)$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(join(root, name));
  }
  return removed;
}

/**
 * Keeps the newest `keepLast` checkpoints of a run (and `keepStep`'s, when given: the last
 * good one), deletes the others, and removes stale temporary folders.
 */
export function pruneCheckpoints(runDir: string, keepLast: number, keepStep?: number | null): void {
  const all = listCheckpoints(runDir);
  for (const old of all.slice(0, Math.max(0, all.length - keepLast))) {
    if (old.step !== keepStep) rmSync(old.dir, { recursive: true, force: true });
  }
  removeStaleCheckpointTemps(runDir);
}

/** A checkpoint directory itself, or the newest checkpoint of a run directory. */
export function resolveCheckpointDir(dir: string): string {
  if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'))) return dir;
  const all = listCheckpoints(dir);
  if (all.length > 0) return all[all.length - 1]!.dir;
  if (!existsSync(dir)) throw new LlmtsError('E_CHECKPOINT', `${dir} does not exist`, { where: dir, hint: 'pass a checkpoint directory or a run directory (runs/<name>)' });
  const missing = ['config.json', 'model.safetensors'].filter((f) => !existsSync(join(dir, f)));
  throw new LlmtsError('E_CHECKPOINT', `${dir} is not a checkpoint: ${missing.map((f) => join(dir, f)).join(' and ')} missing, and it has no checkpoints/step-N folder`, {
    where: dir, hint: 'pass a checkpoint directory or a run directory written by `llmts train`' });
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new LlmtsError('E_CHECKPOINT', `${path} is missing`, { where: path, hint: 'the checkpoint is incomplete; use another checkpoint' });
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LlmtsError('E_CHECKPOINT', `${path} is not valid JSON (truncated or corrupt?)`, { where: path, hint: 'use another checkpoint', cause: err });
  }
}

/** A checkpoint's model config and how its tensors are laid out. */
export interface CheckpointConfig {
  config: ModelConfig;
  /** 'hf': Hugging Face layout (GPT-2 Conv1D weights transposed); 'llmts': ours. */
  tensorLayout: 'hf' | 'llmts';
}

/** Reads and checks config.json of a checkpoint (llm.ts v2 or v1, or a plain HF config). */
export function readCheckpointConfig(dir: string): CheckpointConfig {
  const path = join(dir, 'config.json');
  const json = readJson(path) as Record<string, unknown> | null;
  if (typeof json !== 'object' || json === null) throw new LlmtsError('E_CHECKPOINT', `${path} is not a JSON object`, { where: path });
  const own = json.llmts as Record<string, unknown> | undefined;
  if (typeof own === 'object' && own !== null) {
    if (own.format !== CHECKPOINT_FORMAT || own.version !== 2) {
      throw new LlmtsError('E_CHECKPOINT', `${path}: llmts.format/version is ${JSON.stringify(own.format)}/${JSON.stringify(own.version)}`, {
        where: `${path}: llmts`, hint: `expected "${CHECKPOINT_FORMAT}" version 2; the checkpoint may come from a newer llm.ts` });
    }
    const config = checkModelFields(own.model, `${path}: llmts.model`);
    checkHfAgreement(json, config, path);
    return { config, tensorLayout: own.tensorLayout === 'hf' ? 'hf' : 'llmts' };
  }
  if (json.format === CHECKPOINT_FORMAT && json.version === 1) return { config: checkModelFields(json.model, `${path}: model`), tensorLayout: 'llmts' };
  if (typeof json.model_type === 'string') return { config: fromHfConfig(json, path), tensorLayout: 'hf' };
  throw new LlmtsError('E_CHECKPOINT', `${path} is neither an llm.ts nor a Hugging Face model config`, {
    where: path, hint: 'expected an "llmts" block or a "model_type" of "gpt2" or "llama"' });
}

/** The model block of an llm.ts config.json, checked by the model registry (kinds, bounds, shape rules). */
function checkModelFields(model: unknown, where: string): ModelConfig {
  if (typeof model !== 'object' || model === null) throw new LlmtsError('E_CHECKPOINT', `${where} is missing`, { where });
  try {
    return parseModelConfig(model, where);
  } catch (err) {
    if (!(err instanceof LlmtsError)) throw err;
    throw new LlmtsError('E_CHECKPOINT', err.message, { cause: err });
  }
}

/**
 * Loads a checkpoint (or a run directory's newest checkpoint): model (eval mode), its
 * config, tokenizer and trainer state. A missing, truncated or mismatched file is an
 * `E_CHECKPOINT` / `E_SAFETENSORS` error naming that file.
 */
export function loadCheckpoint(dirOrRun: string): LoadedCheckpoint {
  const dir = resolveCheckpointDir(dirOrRun);
  const { config, tensorLayout } = readCheckpointConfig(dir);
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(weightsPath)) throw new LlmtsError('E_CHECKPOINT', `${weightsPath} is missing`, { where: weightsPath, hint: 'the checkpoint is incomplete; use another checkpoint' });
  const { tensors } = loadSafetensors(weightsPath); // the file as it is, validated; nothing sized by config.json yet
  checkTensorShapes(config, tensors, tensorLayout, weightsPath); // before the model is allocated
  const model = createModel(config, { seed: 0, init: false });
  let state = new Map<string, StateEntry>();
  for (const [name, t] of Object.entries(tensors)) state.set(name, { shape: t.shape, data: toFloat32(t) });
  if (tensorLayout === 'hf') state = fromHfTensors(config, state);
  try {
    model.loadStateDict(state);
  } catch (err) {
    throw new LlmtsError('E_CHECKPOINT', `${weightsPath} does not match ${join(dir, 'config.json')}: ${(err as Error).message}`, { where: weightsPath, hint: 'the files come from different models; use a complete checkpoint', cause: err });
  }
  model.eval();
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokPath)) throw new LlmtsError('E_CHECKPOINT', `${tokPath} is missing`, { where: tokPath, hint: 'copy the tokenizer the model was trained with into the checkpoint' });
  const tokenizer = loadTokenizer(tokPath);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new LlmtsError('E_CHECKPOINT', `${tokPath} has ${tokenizer.vocabSize} ids but the model's vocabulary has ${config.vocabSize}`, { where: tokPath, hint: 'use the tokenizer the model was trained with' });
  }
  const statePath = join(dir, 'trainer_state.json');
  let trainerState: TrainerState | null = null;
  if (existsSync(statePath)) {
    const s = readJson(statePath) as TrainerState | null;
    if (typeof s?.step !== 'number' || typeof s.seed !== 'number' || typeof s.config !== 'object') {
      throw new LlmtsError('E_CHECKPOINT', `${statePath} lacks step, seed or config`, { where: statePath, hint: 'use another checkpoint' });
    }
    trainerState = s;
  }
  return { dir, model, config, tokenizer, trainerState };
}

/** Restores AdamW moments and step from `<dir>/optimizer.safetensors` (names of `model`'s parameters). */
export function loadOptimizerState(dir: string, optimizer: AdamW, model: AnyModel): void {
  const path = join(dir, 'optimizer.safetensors');
  if (!existsSync(path)) throw new LlmtsError('E_CHECKPOINT', `${path} is missing`, { where: path, hint: 'this checkpoint cannot resume training; start a new run from its weights instead' });
  const { tensors, metadata } = loadSafetensors(path);
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new LlmtsError('E_CHECKPOINT', `${path}: metadata step is ${JSON.stringify(metadata.step)}`, { where: path });
  const names = new Map(model.namedParameters().map(([n, p]) => [p as object, n]));
  const m: Float32Array[] = [], v: Float32Array[] = [];
  for (const p of optimizer.params()) {
    const name = names.get(p)!;
    const a = tensors[`exp_avg.${name}`], b = tensors[`exp_avg_sq.${name}`];
    if (!a || !b || a.data.length !== p.data.length || b.data.length !== p.data.length) {
      throw new LlmtsError('E_CHECKPOINT', `${path}: no matching moments for parameter '${name}'`, { where: path, hint: 'the optimizer state comes from another model' });
    }
    m.push(toFloat32(a));
    v.push(toFloat32(b));
  }
  optimizer.loadStateDict({ step, m, v });
}
