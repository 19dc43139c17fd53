/**
 * The encoder-decoder presets of `llmts train` (`--preset translate-en-fr`, ...): each
 * recipe names its data, the settings that are not the preset's (label smoothing, BPE
 * size, longest source and target) and its final evaluation; `runSeq2SeqPreset` resolves
 * the settings (the preset's recipe, then `--key=value` overrides of the keys below) and
 * runs seq2seq-run.ts. `trainTranslateEnFr` / `trainSummarizeScitldr` are the same runs for
 * library callers.
 *
 *   llmts train --preset translate-en-fr                      # runs/translate-en-fr
 *   llmts train --preset translate-en-fr --maxSteps=200 --out runs/t
 *   llmts train --preset translate-en-fr --out runs/t --resume
 *   llmts train --preset summarize-scitldr                    # Lead-1, extractive and rewriter ROUGE on dev
 *
 * @example
 * const r = await trainTranslateEnFr({ out: 'runs/t', overrides: { maxSteps: 100 } });
 * r.scores.bleuBeam; // sacreBLEU on the held-apart test split, beam 4
 */
import type { Precision } from '../backend/precision.ts';
import { getPreset } from '../models/presets.ts';
import { isSeq2Seq, type Seq2SeqConfig, type Seq2SeqLM } from '../models/seq2seq/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { bundledFile } from './bundled.ts';
import { parseValue, type Source } from './config.ts';
import { trainSeq2Seq, type Seq2SeqRunData, type Seq2SeqRunResult, type Seq2SeqSettings } from './seq2seq-run.ts';
import { evaluateSummaries, scitldrData } from './seq2seq-summarize.ts';
import { evaluateTranslation, translationData } from './seq2seq-translate.ts';

/** What a recipe adds to its preset. */
interface Seq2SeqRecipe {
  /** The default data (a file or folder under data/), used when --data is not given. */
  data: string;
  /** Settings the preset's recipe does not hold. */
  extra: Pick<Seq2SeqSettings, 'labelSmoothing' | 'gradClip' | 'keepLast' | 'vocabSize' | 'maxSourceLen' | 'maxTargetLen' | 'precision' | 'padMultiple'>;
  /** The run's texts and the final evaluation of its held-apart data (outputs written to `out`). */
  load(path: string): { data: Seq2SeqRunData; evaluate: (model: Seq2SeqLM, tokenizer: Tokenizer, o: { out: string; log: (line: string) => void }) => Record<string, number> };
}

const RECIPES: Record<string, Seq2SeqRecipe> = {
  'translate-en-fr': {
    data: 'translation-en-fr/eng-fra-74k.tsv.gz',
    extra: { labelSmoothing: 0.1, gradClip: 1, keepLast: 2, vocabSize: 8000, maxSourceLen: 64, maxTargetLen: 64, precision: 'bf16', padMultiple: 2 },
    load: (file) => {
      const d = translationData(file);
      return { data: d, evaluate: (model, tokenizer, o) => evaluateTranslation(model, tokenizer, d.test, o) };
    },
  },
  'summarize-scitldr': {
    data: 'summarization-scitldr',
    extra: { labelSmoothing: 0.1, gradClip: 1, keepLast: 2, vocabSize: 8000, maxSourceLen: 96, maxTargetLen: 64, precision: 'bf16', padMultiple: 2 },
    load: (dir) => {
      const d = scitldrData(dir);
      return { data: d.data, evaluate: (model, tokenizer, o) => evaluateSummaries(model, tokenizer, { train: d.train, dev: d.dev, ...o }) };
    },
  },
};

/**
 * Optimizer steps per minute of training on a quiet 2-core machine, for `llmts recipe`'s
 * --minutes (estimates from the CPU seconds per step of runs measured under load, bf16:
 * ~0.24 s for translate-en-fr, ~0.5 s for summarize-scitldr, rounded down).
 */
export const STEPS_PER_MINUTE: Readonly<Record<string, number>> = { 'translate-en-fr': 200, 'summarize-scitldr': 100 };

/** The `llmts train` keys a seq2seq preset reads (the others belong to decoder and encoder pretraining). */
const KEYS = ['preset', 'out', 'resume', 'data', 'seed', 'batchSize', 'maxSteps', 'lr', 'minLr', 'warmupSteps', 'weightDecay', 'beta2', 'gradClip',
  'dropout', 'logInterval', 'evalInterval', 'ckptInterval', 'keepLast', 'precision'] as const;

/** True when `name` is an encoder-decoder preset that `runSeq2SeqPreset` trains. */
export function isSeq2SeqPreset(name: string): boolean {
  return name in RECIPES;
}

/** Options of `runSeq2SeqPreset`. */
export interface Seq2SeqPresetOptions {
  /** `llmts train` keys (see KEYS) of a config file (JSON values). */
  file?: Record<string, unknown>;
  /** `llmts train` keys from the command line (strings), over the file's. */
  overrides?: Record<string, unknown>;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Trains the encoder-decoder preset `name` (see the module comment). Unknown or unused keys are E_CONFIG errors. */
export async function runSeq2SeqPreset(name: string, o: Seq2SeqPresetOptions = {}): Promise<Seq2SeqRunResult> {
  const recipe = RECIPES[name];
  if (!recipe) throw new LlmtsError('E_PRESET', `${name} is not an encoder-decoder preset`, { where: '--preset', hint: `use one of ${Object.keys(RECIPES).join(', ')}` });
  const preset = getPreset(name);
  if (!isSeq2Seq(preset.model)) throw new LlmtsError('E_PRESET', `preset ${name} is not an encoder-decoder`, { where: '--preset', hint: 'use a bart preset' });
  const v: Record<string, string | number | boolean> = {};
  for (const [source, entries] of [['config file', o.file], ['command line', o.overrides]] as [Source, Record<string, unknown> | undefined][]) {
    for (const [key, raw] of Object.entries(entries ?? {})) {
      if (raw === undefined) continue;
      if (!(KEYS as readonly string[]).includes(key)) {
        throw new LlmtsError('E_CONFIG', `${key} is not a setting of the encoder-decoder preset ${name}`, { where: `${source}: ${key}`, hint: `its settings: ${KEYS.join(', ')}` });
      }
      v[key] = parseValue(key, raw, source);
    }
  }
  const r = preset.recipe;
  const num = (key: string, fallback: number): number => (v[key] as number | undefined) ?? fallback;
  const settings: Seq2SeqSettings = {
    ...recipe.extra,
    seed: num('seed', 1337), batchSize: num('batchSize', r.batchSize ?? 32), maxSteps: num('maxSteps', r.maxSteps ?? 1000),
    lr: num('lr', r.lr ?? 1e-3), minLr: num('minLr', r.minLr ?? 1e-4), warmupSteps: num('warmupSteps', r.warmupSteps ?? 100),
    weightDecay: num('weightDecay', r.weightDecay ?? 0.01), beta2: num('beta2', r.beta2 ?? 0.98), gradClip: num('gradClip', recipe.extra.gradClip),
    logInterval: num('logInterval', r.logInterval ?? 50), evalInterval: num('evalInterval', r.evalInterval ?? 500),
    ckptInterval: num('ckptInterval', r.ckptInterval ?? 500), keepLast: num('keepLast', recipe.extra.keepLast),
    precision: (v.precision as Precision | undefined) ?? recipe.extra.precision ?? 'fp32', padMultiple: recipe.extra.padMultiple,
  };
  const model: Seq2SeqConfig = { ...preset.model, dropout: num('dropout', preset.model.dropout) };
  const out = (v.out as string | undefined) || `runs/${name}`;
  const file = (v.data as string | undefined) || bundledFile(recipe.data);
  const log = o.log ?? ((line: string) => console.log(line));
  const { data, evaluate } = recipe.load(file);
  log(`${name}: ${file}`);
  return trainSeq2Seq({
    name, out, resume: v.resume === true, model, settings, data, log, signal: o.signal,
    evaluate: (m, tok, l) => evaluate(m, tok, { out, log: l }),
  });
}

/** `llmts train --preset translate-en-fr` for library callers: `overrides` are its settings (maxSteps, lr, ...). */
export function trainTranslateEnFr(o: { out?: string; overrides?: Record<string, unknown>; log?: (line: string) => void; signal?: AbortSignal } = {}): Promise<Seq2SeqRunResult> {
  return runSeq2SeqPreset('translate-en-fr', { file: { ...o.overrides, ...(o.out ? { out: o.out } : {}) }, log: o.log, signal: o.signal });
}

/** `llmts train --preset summarize-scitldr` for library callers: `overrides` are its settings (maxSteps, lr, ...). */
export function trainSummarizeScitldr(o: { out?: string; overrides?: Record<string, unknown>; log?: (line: string) => void; signal?: AbortSignal } = {}): Promise<Seq2SeqRunResult> {
  return runSeq2SeqPreset('summarize-scitldr', { file: { ...o.overrides, ...(o.out ? { out: o.out } : {}) }, log: o.log, signal: o.signal });
}
