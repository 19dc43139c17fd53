/**
 * Training configuration: preset -> config file (JSON) -> `--key=value` overrides, each
 * layer on top of the previous. Every key is typed (integers, numbers, strings,
 * booleans, enums); an unknown key or a malformed value is an `E_CONFIG` error naming
 * the key and where it came from (with the nearest known key as a hint).
 *
 * @example
 * const cfg = resolveTrainConfig({ overrides: { preset: 'shakespeare-char', maxSteps: '500' } });
 * cfg.train.lr;          // 1e-3 (from the preset's recipe)
 * cfg.model.nLayer;      // 4
 */
import { readFileSync } from 'node:fs';
import { PRECISIONS, type Precision } from '../backend/precision.ts';
import { modelArchs, modelConfigSchema, parseModelConfig, type ConfigField, type DecoderConfig, type ModelConfig } from '../models/index.ts';
import { getPreset } from '../models/presets.ts';
import { TREE_ARCHS } from '../models/tree/index.ts';
import { LlmtsError } from '../util/errors.ts';

/** Every setting of a training run (see KEYS for each one's meaning). */
/** The model fields a training config sets (their kinds, bounds and meaning come from the model's schema). */
type ModelKey = 'arch' | 'nLayer' | 'nHead' | 'nKvHead' | 'nEmbd' | 'blockSize' | 'intermediateSize' | 'bias' | 'dropout';

/** Every setting of a training run (see KEYS for each one's meaning). */
export interface TrainConfig extends Pick<DecoderConfig, Exclude<ModelKey, 'arch'>> {
  /** Any registered architecture (an encoder's config lacks nKvHead and bias: they are not passed to it). */
  arch: ModelConfig['arch'];
  preset: string;
  data: string;
  out: string;
  resume: boolean;
  resumeFrom: string;
  replay: string;
  rewarmSteps: number;
  batchSize: number;
  gradAccum: number;
  maxSteps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  decay: 'cosine' | 'linear' | 'constant';
  weightDecay: number;
  beta1: number;
  beta2: number;
  gradClip: number;
  evalInterval: number;
  evalIters: number;
  ckptInterval: number;
  keepLast: number;
  logInterval: number;
  seed: number;
  corpus: string;
  tokenizer: string;
  samples: number;
  sampleTokens: number;
  progress: boolean;
  peakGflops: number;
  objective: 'causal-lm' | 'mlm';
  wholeWordMask: boolean;
  attentionInit: 'default' | 'local';
  shortBlockSize: number;
  shortBlockFraction: number;
  precision: Precision;
}

type Kind = 'int' | 'number' | 'string' | 'boolean' | readonly string[];

interface KeySpec {
  kind: Kind;
  doc: string;
  /** Smallest allowed value (numbers). */
  min?: number;
  /** Largest allowed value (numbers). */
  max?: number;
  /** Part of the model's shape (cannot change when resuming). */
  model?: boolean;
}

/**
 * A model field of the training config: kind, bounds and meaning as the model family's
 * config schema declares them (src/models/decoder/config.ts), never re-declared here.
 */
function modelKey(name: ModelKey, shape: boolean): KeySpec {
  const f: ConfigField = modelConfigSchema('gpt2')[name]!; // one schema for the decoder family's archs
  return { kind: f.kind, doc: f.doc, min: f.min, max: f.max, model: shape };
}

/** The schema: key -> type, meaning, lower bound. */
export const KEYS: Record<keyof TrainConfig, KeySpec> = {
  preset: { kind: 'string', doc: 'model preset (llmts model info --list)' },
  data: { kind: 'string', doc: "tokenized data folder (meta.json); '' = the preset's bundled corpus, tokenized into <out>/data" },
  out: { kind: 'string', doc: "run directory; '' = runs/<preset>" },
  resume: { kind: 'boolean', doc: "continue from the newest checkpoint in 'out'" },
  resumeFrom: { kind: 'string', doc: "continual pretraining: start a new run from this checkpoint's weights (fresh optimizer and schedule; '' = none)" },
  replay: { kind: 'string', doc: "old data replayed in every batch: FOLDER:FRACTION[,FOLDER:FRACTION] (token folders, fractions in [0, 1))" },
  rewarmSteps: { kind: 'int', min: -1, doc: 'with resumeFrom: steps of the linear re-warmup to lr before the decay (-1 = warmupSteps)' },
  arch: { ...modelKey('arch', true), kind: modelArchs() }, // every registered family (bert: --objective mlm)
  nLayer: modelKey('nLayer', true),
  nHead: modelKey('nHead', true),
  nKvHead: modelKey('nKvHead', true),
  nEmbd: modelKey('nEmbd', true),
  blockSize: modelKey('blockSize', true),
  intermediateSize: modelKey('intermediateSize', true),
  bias: modelKey('bias', true),
  dropout: modelKey('dropout', false),
  batchSize: { kind: 'int', min: 1, doc: 'windows per micro-batch' },
  gradAccum: { kind: 'int', min: 1, doc: 'micro-batches per optimizer step (gradient accumulation)' },
  maxSteps: { kind: 'int', min: 1, doc: 'optimizer steps' },
  lr: { kind: 'number', min: 0, doc: 'peak learning rate' },
  minLr: { kind: 'number', min: 0, doc: 'learning rate at the end of the decay' },
  warmupSteps: { kind: 'int', min: 0, doc: 'linear warmup steps' },
  decay: { kind: ['cosine', 'linear', 'constant'], doc: 'learning-rate decay after warmup' },
  weightDecay: { kind: 'number', min: 0, doc: 'AdamW weight decay of matrices (biases and norms get none)' },
  beta1: { kind: 'number', min: 0, doc: 'AdamW beta1' },
  beta2: { kind: 'number', min: 0, doc: 'AdamW beta2' },
  gradClip: { kind: 'number', min: 0, doc: 'clip the global gradient norm to this (0 = no clipping)' },
  evalInterval: { kind: 'int', min: 0, doc: 'evaluate validation loss every N steps (0 = only at the end)' },
  evalIters: { kind: 'int', min: 1, doc: 'validation batches per periodic evaluation (the final one covers the whole split)' },
  ckptInterval: { kind: 'int', min: 0, doc: 'save a checkpoint every N steps (0 = only at the end)' },
  keepLast: { kind: 'int', min: 1, doc: 'checkpoints kept (older ones are deleted)' },
  logInterval: { kind: 'int', min: 1, doc: 'print a step line every N steps' },
  seed: { kind: 'int', min: 0, doc: 'seed of the initial weights, batches and dropout' },
  corpus: { kind: 'string', doc: "bundled corpus when 'data' is empty: shakespeare | tinystories" },
  tokenizer: { kind: 'string', doc: "tokenizer for the bundled corpus: char | bpe:N | wordpiece:N | a name or file" },
  samples: { kind: 'int', min: 0, doc: 'samples printed after training' },
  sampleTokens: { kind: 'int', min: 1, doc: 'tokens per sample' },
  progress: { kind: 'boolean', doc: 'draw a progress bar on a terminal' },
  peakGflops: { kind: 'number', min: 0, doc: 'peak GFLOP/s for the MFU figure (0 = 190 per backend thread)' },
  objective: { kind: ['causal-lm', 'mlm'], doc: "causal-lm (decoders: next token) or mlm (encoders: BERT's masked tokens)" },
  wholeWordMask: { kind: 'boolean', doc: 'mlm: mask whole words (a WordPiece ## piece goes with its word)' },
  attentionInit: { kind: ['default', 'local'], doc: "encoders: 'local' starts each attention head on one neighbour (+1, -1, +2, -2 tokens; src/train/masked-lm-init.ts) instead of uniform attention" },
  shortBlockSize: { kind: 'int', min: 0, doc: 'mlm: tokens per window for the first shortBlockFraction of the steps, batchSize x blockSize / shortBlockSize windows a batch (0 = blockSize throughout)' },
  shortBlockFraction: { kind: 'number', min: 0, max: 1, doc: 'mlm: the fraction of maxSteps on shortBlockSize windows, before blockSize windows (BERT trained 90% of its steps on short windows)' },
  precision: { kind: PRECISIONS, doc: 'matrix products: fp32, or bf16 (bf16 GEMMs with fp32 sums; weights, optimizer state and checkpoints stay fp32)' },
};

/** Defaults under any preset. */
const DEFAULTS: Omit<TrainConfig, 'arch' | 'nLayer' | 'nHead' | 'nKvHead' | 'nEmbd' | 'blockSize' | 'intermediateSize' | 'bias'> = {
  preset: 'shakespeare-char', data: '', out: '', resume: false, resumeFrom: '', replay: '', rewarmSteps: -1, dropout: 0, batchSize: 12, gradAccum: 1, maxSteps: 1000,
  lr: 1e-3, minLr: 1e-4, warmupSteps: 100, decay: 'cosine', weightDecay: 0.1, beta1: 0.9, beta2: 0.99, gradClip: 1,
  evalInterval: 250, evalIters: 20, ckptInterval: 0, keepLast: 3, logInterval: 10, seed: 1337, corpus: 'shakespeare',
  tokenizer: 'char', samples: 0, sampleTokens: 200, progress: true, peakGflops: 0, objective: 'causal-lm', wholeWordMask: false,
  attentionInit: 'default', shortBlockSize: 0, shortBlockFraction: 0, precision: 'fp32',
};

/** Where a value came from, for error messages. */
export type Source = 'preset' | 'config file' | 'command line' | 'checkpoint';

/** camelCase of a kebab-case key (`max-steps` -> `maxSteps`). */
export function camelKey(k: string): string {
  return k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

function unknownKey(key: string, where: string): LlmtsError {
  const names = Object.keys(KEYS);
  const best = names.reduce((a, b) => (distance(key, a) <= distance(key, b) ? a : b));
  const near = distance(key, best) <= Math.max(2, Math.floor(key.length / 3));
  return new LlmtsError('E_CONFIG', `unknown config key '${key}'`, { where, hint: near ? `did you mean '${best}'? (\`llmts train --help\` lists every key)` : '`llmts train --help` lists every key' });
}

/** Checks and converts one value (strings from the command line are parsed). */
export function parseValue(key: string, raw: unknown, source: Source): string | number | boolean {
  if (!(key in KEYS)) throw unknownKey(key, source);
  const spec = KEYS[key as keyof TrainConfig];
  const where = `${source}: ${key}`;
  const fromCli = typeof raw === 'string' && source === 'command line';
  const fail = (want: string) => new LlmtsError('E_CONFIG', `${key} must be ${want}, got ${JSON.stringify(raw)}`, { where, hint: `${key}: ${spec.doc}` });
  const kind = spec.kind;
  if (Array.isArray(kind)) {
    if (typeof raw !== 'string' || !kind.includes(raw)) throw fail(`one of ${kind.join(', ')}`);
    return raw;
  }
  if (kind === 'string') {
    if (typeof raw !== 'string') throw fail('a string');
    return raw;
  }
  if (kind === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (fromCli && (raw === 'true' || raw === 'false')) return raw === 'true';
    throw fail('true or false');
  }
  const n = fromCli && (raw as string).trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw fail(kind === 'int' ? 'an integer' : 'a number');
  if (kind === 'int' && !Number.isInteger(n)) throw fail('an integer');
  if (spec.min !== undefined && n < spec.min) throw fail(`>= ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) throw fail(`<= ${spec.max}`);
  return n;
}

/** A resolved configuration: training settings and the model to build (vocabSize from the preset until data sets it). */
export interface ResolvedConfig {
  train: TrainConfig;
  model: ModelConfig;
}

/** Reads a JSON config file: an object of known keys. */
export function readConfigFile(path: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LlmtsError('E_CONFIG', `cannot read config file ${path} as JSON`, { where: path, hint: 'pass a JSON object of config keys, e.g. {"maxSteps": 500}', cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new LlmtsError('E_CONFIG', `config file ${path} is not a JSON object`, { where: path, hint: 'e.g. {"preset": "shakespeare-char", "maxSteps": 500}' });
  }
  return json as Record<string, unknown>;
}

/**
 * Resolves the configuration: defaults <- the preset (model + recipe) <- `file` <-
 * `overrides` (command line strings or typed values). With `base` (a resumed run's
 * saved config), that replaces defaults and preset, and model keys may not change.
 */
export function resolveTrainConfig(o: { file?: Record<string, unknown>; fileName?: string; overrides?: Record<string, unknown>; base?: Record<string, unknown> }): ResolvedConfig {
  const layers: [Source, Record<string, unknown>][] = [];
  if (o.file) layers.push(['config file', o.file]);
  if (o.overrides) layers.push(['command line', o.overrides]);
  const parsed: [Source, string, string | number | boolean][] = [];
  for (const [source, values] of layers) {
    for (const [k, v] of Object.entries(values)) parsed.push([source, k, parseValue(k, v, source === 'config file' && o.fileName ? 'config file' : source)]);
  }
  let cfg: TrainConfig;
  if (o.base) {
    cfg = {} as TrainConfig;
    for (const [k, v] of Object.entries(o.base)) (cfg as unknown as Record<string, unknown>)[k] = parseValue(k, v, 'checkpoint');
    for (const [source, k, v] of parsed) {
      const spec = KEYS[k as keyof TrainConfig];
      if (spec.model && v !== (cfg as unknown as Record<string, unknown>)[k]) {
        throw new LlmtsError('E_CONFIG', `${k} cannot change when resuming (checkpoint has ${JSON.stringify((cfg as unknown as Record<string, unknown>)[k])})`, { where: `${source}: ${k}`, hint: 'start a new run (another --out) to train a different model' });
      }
      (cfg as unknown as Record<string, unknown>)[k] = v;
    }
  } else {
    const presetName = [...parsed].reverse().find(([, k]) => k === 'preset')?.[2] as string | undefined ?? DEFAULTS.preset;
    const preset = getPreset(presetName);
    const m = preset.model as Partial<Record<ModelKey, unknown>>; // a family's config has some of the keys (bert: no nKvHead, bias)
    cfg = {
      ...DEFAULTS, ...preset.recipe, preset: presetName,
      arch: m.arch, nLayer: m.nLayer, nHead: m.nHead, nKvHead: m.nKvHead, nEmbd: m.nEmbd, blockSize: m.blockSize, intermediateSize: m.intermediateSize, bias: m.bias, dropout: m.dropout,
    } as TrainConfig;
    const set = new Set<string>();
    for (const [, k, v] of parsed) {
      (cfg as unknown as Record<string, unknown>)[k] = v;
      set.add(k);
    }
    // derived defaults follow the shape the user changed, unless set explicitly
    if (set.has('nHead') && !set.has('nKvHead')) cfg.nKvHead = cfg.nHead;
    if (set.has('arch') && !set.has('bias')) cfg.bias = cfg.arch === 'gpt2';
    if (set.has('nEmbd') && !set.has('intermediateSize')) {
      cfg.intermediateSize = cfg.arch === 'gpt2' ? 4 * cfg.nEmbd : 256 * Math.ceil(Math.floor((8 * cfg.nEmbd) / 3) / 256);
    }
    if (!cfg.out) cfg.out = `runs/${cfg.preset}`;
  }
  checkCross(cfg);
  cfg = Object.fromEntries(Object.keys(KEYS).map((k) => [k, (cfg as unknown as Record<string, unknown>)[k]])) as unknown as TrainConfig; // KEYS order
  // the model: the preset's, with the config's model fields; switching arch drops the preset's
  // family-specific fields, so the new arch's defaults apply. Shape rules are the model's (E_CONFIG model.*).
  const preset = getPreset(cfg.preset);
  const fields = { arch: cfg.arch, nLayer: cfg.nLayer, nHead: cfg.nHead, nKvHead: cfg.nKvHead, nEmbd: cfg.nEmbd, blockSize: cfg.blockSize,
    intermediateSize: cfg.intermediateSize, bias: cfg.bias, dropout: cfg.dropout };
  const base = cfg.arch === preset.model.arch ? preset.model : { vocabSize: preset.model.vocabSize };
  const schema = modelConfigSchema(cfg.arch);
  const own = Object.fromEntries(Object.entries(fields).filter(([k, v]) => k in schema && v !== undefined)); // the keys of cfg.arch's family
  const model = parseModelConfig({ ...base, ...own }, 'model');
  return { train: cfg, model };
}

/** Constraints between keys. */
function checkCross(c: TrainConfig): void {
  const err = (key: string, msg: string, hint: string) => new LlmtsError('E_CONFIG', msg, { where: key, hint });
  if (c.rewarmSteps > c.maxSteps) throw err('rewarmSteps', `rewarmSteps ${c.rewarmSteps} is more than maxSteps ${c.maxSteps}`, 'use rewarmSteps <= maxSteps');
  if (c.warmupSteps > c.maxSteps) throw err('warmupSteps', `warmupSteps ${c.warmupSteps} is more than maxSteps ${c.maxSteps}`, 'use warmupSteps <= maxSteps');
  if (c.minLr > c.lr) throw err('minLr', `minLr ${c.minLr} is above lr ${c.lr}`, 'use minLr <= lr');
  if (!(c.beta1 < 1) || !(c.beta2 < 1)) throw err('beta1/beta2', `AdamW betas must be below 1, got ${c.beta1}, ${c.beta2}`, 'e.g. beta1=0.9 beta2=0.99');
  if (c.arch === 'bart') {
    throw err('arch', 'llmts train does not train encoder-decoders (bart) yet: its objectives read token streams, not (source, target) pairs',
      'use an encoder-decoder preset (--preset translate-en-fr or summarize-scitldr: src/train/seq2seq-recipes.ts), or trainSeq2Seq (src/train/seq2seq-run.ts) with your pairs');
  }
  if ((TREE_ARCHS as readonly string[]).includes(c.arch)) {
    throw err('arch', `llmts train does not train ${c.arch}: a Tree-LSTM reads parse trees, not token windows`, 'train it with llmts train-tree --data DIR (PTB trees)');
  }
  const encoder = c.arch === 'bert';
  if (c.attentionInit === 'local' && !encoder) throw err('attentionInit', `attentionInit 'local' initialises an encoder's attention, not a ${c.arch} model`, "leave attentionInit at 'default'");
  if (encoder !== (c.objective === 'mlm')) throw err('objective', `objective ${c.objective} does not train a ${c.arch} model`, encoder ? 'an encoder trains with --objective mlm' : 'a decoder trains with --objective causal-lm');
  if (c.shortBlockSize > 0 && c.shortBlockFraction > 0) {
    if (c.objective !== 'mlm') throw err('shortBlockSize', `short windows first (shortBlockSize ${c.shortBlockSize}) is a masked-LM schedule, not ${c.objective}'s`, 'set shortBlockSize=0, or train an encoder with --objective mlm');
    if (c.shortBlockSize >= c.blockSize) throw err('shortBlockSize', `shortBlockSize ${c.shortBlockSize} is not shorter than blockSize ${c.blockSize}`, `use shortBlockSize < ${c.blockSize} (e.g. ${Math.max(1, c.blockSize >> 2)}), or 0 for none`);
    if (c.replay) throw err('shortBlockSize', 'short windows first (shortBlockSize) does not mix with replay', 'set shortBlockSize=0 or drop replay');
  }
}

/** The resolved config as aligned `key = value` lines (what `llmts train` prints). */
export function formatConfig(c: TrainConfig): string {
  const w = Math.max(...Object.keys(c).map((k) => k.length));
  return Object.entries(c).map(([k, v]) => `  ${k.padEnd(w)} = ${JSON.stringify(v)}`).join('\n');
}

/** One help line per key (for `llmts train --help`). */
export function describeKeys(): string {
  const w = Math.max(...Object.keys(KEYS).map((k) => k.length));
  return Object.entries(KEYS).map(([k, s]) => {
    const type = Array.isArray(s.kind) ? s.kind.join('|') : s.kind;
    return `  --${k.padEnd(w)}  ${String(type).padEnd(18)} ${s.doc}`;
  }).join('\n');
}
