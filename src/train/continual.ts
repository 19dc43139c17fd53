/**
 * Continual pretraining (`llmts train --resume-from M --replay F:R`): a new run that
 * starts from the weights of checkpoint M (not its optimizer, step or schedule: unlike
 * `--resume`, which continues the same run), trains on new data with the learning rate
 * re-warmed and re-decayed (linear warmup over `rewarmSteps` to `lr`, then the run's
 * decay to `minLr`: Ibrahim et al. 2024, "Simple and Scalable Strategies to Continually
 * Pre-train LLMs"), and replays a fraction R of old data F in every batch
 * (src/data/replay.ts).
 *
 * The model's shape comes from M (a shape key set to another value is an error); M's
 * tokenizer, the new data's and every replay folder's must be the same (same ids and
 * the same string for each id), or the run stops with E_TOKENIZER naming the folder.
 *
 * @example
 * llmts train --resume-from runs/a --data runs/b/data --replay runs/a/data:0.25 --rewarmSteps=50 --out runs/b
 */
import { existsSync } from 'node:fs';
import { loadCheckpoint, readCheckpointConfig, resolveCheckpointDir } from '../io/checkpoint.ts';
import { TokenLoader } from '../data/loader.ts';
import { parseReplaySpecs, ReplayMixLoader, type ReplaySpec } from '../data/replay.ts';
import { loadTokenData, type TokenData } from '../data/tokenize.ts';
import type { AnyModel, ModelConfig } from '../models/index.ts';
import { parseModelConfig } from '../models/index.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { hash32 } from '../util/rng.ts';
import type { ResolvedConfig } from './config.ts';

/** The model-shape keys a continual run takes from its checkpoint. */
const SHAPE_KEYS = ['arch', 'nLayer', 'nHead', 'nKvHead', 'nEmbd', 'blockSize', 'intermediateSize', 'bias'] as const;

/** The checkpoint directory of `--resumeFrom` (a checkpoint or a run directory), or an E_NO_CHECKPOINT error. */
function checkpointDir(from: string): string {
  if (!existsSync(from)) throw new LlmtsError('E_NO_CHECKPOINT', `--resumeFrom ${from} does not exist`, { where: '--resumeFrom', hint: 'name a checkpoint directory or a run directory (its newest checkpoint)' });
  return resolveCheckpointDir(from);
}

/**
 * Makes a resolved config of a continual run take its model shape from checkpoint
 * `train.resumeFrom`; a shape key in `explicit` (set by the user) with another value is
 * an E_CONFIG error. Returns `r` unchanged when there is no `resumeFrom`.
 */
export function adoptCheckpointShape(r: ResolvedConfig, explicit: ReadonlySet<string>): ResolvedConfig {
  if (!r.train.resumeFrom) return r;
  const dir = checkpointDir(r.train.resumeFrom);
  const m = readCheckpointConfig(dir).config as unknown as Record<string, unknown>;
  const train = { ...r.train } as unknown as Record<string, unknown>;
  for (const k of SHAPE_KEYS) {
    if (m[k] === undefined) continue;
    if (explicit.has(k) && train[k] !== m[k]) {
      throw new LlmtsError('E_CONFIG', `${k}=${JSON.stringify(train[k])} differs from the checkpoint's ${JSON.stringify(m[k])}`, { where: `--resumeFrom ${dir}`, hint: `drop --${k}: a continual run keeps the model's shape` });
    }
    train[k] = m[k];
  }
  const model: ModelConfig = parseModelConfig({ ...m, dropout: r.train.dropout }, `${dir}/config.json`);
  return { train: train as unknown as ResolvedConfig['train'], model };
}

/** Whether two tokenizers map every id to the same string. */
export function sameTokenizer(a: AnyTokenizer, b: AnyTokenizer): boolean {
  if (a.vocabSize !== b.vocabSize) return false;
  for (let id = 0; id < a.vocabSize; id++) if (a.decode([id]) !== b.decode([id])) return false;
  return true;
}

function tokenizerMismatch(what: string, where: string, a: AnyTokenizer, b: AnyTokenizer): LlmtsError {
  const sizes = a.vocabSize === b.vocabSize ? `both ${a.vocabSize} ids, different strings` : `${a.vocabSize} vs ${b.vocabSize} ids`;
  return new LlmtsError('E_TOKENIZER', `${what} has another tokenizer than the new data (${sizes})`, { where, hint: 'tokenize every folder with the checkpoint\'s tokenizer (llmts data tokenize --tokenizer <M>/tokenizer.json)' });
}

/** Loads the weights of checkpoint `from` for training on `data` (same tokenizer required); the optimizer starts fresh. */
export function loadContinualModel(from: string, data: TokenData): AnyModel {
  const ck = loadCheckpoint(checkpointDir(from));
  if (!sameTokenizer(ck.tokenizer, data.tokenizer)) throw tokenizerMismatch(`checkpoint ${ck.dir}`, '--resumeFrom', ck.tokenizer, data.tokenizer);
  if (ck.config.vocabSize !== data.meta.vocabSize) {
    throw new LlmtsError('E_TOKENIZER', `checkpoint vocabulary ${ck.config.vocabSize} differs from the data's ${data.meta.vocabSize}`, { where: data.dir, hint: 'tokenize the new data with the checkpoint\'s tokenizer' });
  }
  ck.model.train();
  return ck.model;
}

/** A replay mixture and what it records. */
export interface ReplayPlan {
  specs: ReplaySpec[];
  mix: ReplayMixLoader;
}

/**
 * The training batches of a run with `--replay`: `main` (the new data's loader) mixed
 * with each folder's train split at its fraction; each folder must exist and share the
 * new data's tokenizer. Null when `replay` is empty.
 */
export function replayPlan(replay: string, main: TokenLoader, data: TokenData, o: { seed: number; gradAccum: number }): ReplayPlan | null {
  const specs = parseReplaySpecs(replay);
  if (specs.length === 0) return null;
  const sources = specs.map((s, i) => {
    if (!existsSync(s.dir)) throw new LlmtsError('E_REPLAY', `replay folder ${s.dir} does not exist`, { where: '--replay', hint: 'name a token folder (meta.json), e.g. the data folder of the run being continued' });
    const old = loadTokenData(s.dir);
    if (!sameTokenizer(old.tokenizer, data.tokenizer)) throw tokenizerMismatch(`replay folder ${s.dir}`, '--replay', old.tokenizer, data.tokenizer);
    const loader = new TokenLoader(old.train, { seed: hash32(o.seed, 0x2e91 + i), batchSize: main.B, blockSize: main.T, where: `${s.dir} (replay, train split)` });
    return { loader, fraction: s.fraction };
  });
  return { specs, mix: new ReplayMixLoader(main, sources, { gradAccum: o.gradAccum }) };
}

/** What a continual run replayed by step `steps`, for trainer_state.json: per folder, its fraction, rows and tokens. */
export function replayRecord(p: ReplayPlan, steps: number): { data: string; fraction: number; rows: number; tokens: number }[] {
  const rows = p.mix.replayedRows(steps);
  return p.specs.map((s, i) => ({ data: s.dir, fraction: s.fraction, rows: rows[i]!, tokens: rows[i]! * p.mix.T }));
}
