/**
 * Running a decoder at another context than it was trained at: `withContext(model, opts)`
 * gives the same weights under a config with a new blockSize and/or RoPE scaling
 * (src/nn/rope-scaling.ts), which is what `--context` and `--rope-scaling` of eval,
 * generate, chat and serve do after loading, and what fine-tuning at a longer length starts
 * from.
 *
 * `parseRopeScaling('yarn:4')` reads the flag: TYPE:FACTOR[:ORIGINAL], TYPE one of linear,
 * dynamic, yarn; ORIGINAL (the pretraining context) defaults to the model's
 * ropeOriginalContext, else its blockSize; the new blockSize is ORIGINAL * FACTOR unless
 * `context` says otherwise. `none` removes a scaling (blockSize back to the original).
 * GPT-2's learned position table cannot grow: a longer context for it is E_CONFIG.
 *
 * @example
 * const long = withContext(model, { rope: parseRopeScaling('yarn:4', '--rope-scaling') }); // 256 -> 1024
 * const plain = withContext(model, { context: 1024 });  // RoPE extrapolated, no scaling
 */
import { ROPE_SCALING_TYPES, type RopeScalingType } from '../nn/rope-scaling.ts';
import { LlmtsError } from '../util/errors.ts';
import type { DecoderConfig } from './decoder/config.ts';
import { createModel, parseModelConfig, type AnyModel } from './registry.ts';

/** A `--rope-scaling` value: a scaling to set, or 'none' to remove one. */
export type RopeScalingRequest = { type: RopeScalingType; factor: number; original?: number } | 'none';

/** Options of `withContext`. */
export interface ContextOptions {
  /** The new context (blockSize); default: unchanged, or ORIGINAL * FACTOR with `rope`. */
  context?: number;
  /** A RoPE scaling to set or remove. */
  rope?: RopeScalingRequest;
}

/** Reads TYPE:FACTOR[:ORIGINAL] or none; throws E_FLAG naming `where`. */
export function parseRopeScaling(value: string, where: string): RopeScalingRequest {
  if (value === 'none') return 'none';
  const [type, factor, original, ...rest] = value.split(':');
  const bad = (why: string): never => {
    throw new LlmtsError('E_FLAG', `${where} ${value}: ${why}`, { where, hint: `TYPE:FACTOR[:ORIGINAL] with TYPE ${ROPE_SCALING_TYPES.join(' | ')}, e.g. yarn:4 (or none)` });
  };
  if (!(ROPE_SCALING_TYPES as readonly string[]).includes(type ?? '')) bad(`the type must be one of ${ROPE_SCALING_TYPES.join(', ')}`);
  const f = Number(factor);
  if (factor === undefined || factor === '' || !(Number.isFinite(f) && f >= 1)) bad('the factor must be a number >= 1');
  const o = original === undefined ? undefined : Number(original);
  if (o !== undefined && !(Number.isInteger(o) && o >= 1)) bad('the original context must be a positive integer');
  if (rest.length > 0) bad('too many parts');
  return { type: type as RopeScalingType, factor: f, ...(o !== undefined ? { original: o } : {}) };
}

/** The decoder config `model` would have with `opts`. */
export function contextConfig(config: DecoderConfig, opts: ContextOptions): DecoderConfig {
  const where = opts.rope !== undefined ? '--rope-scaling' : '--context';
  if (config.arch !== 'llama') {
    if (opts.rope !== undefined && opts.rope !== 'none') {
      throw new LlmtsError('E_CONFIG', `${where}: a ${config.arch} model has learned positions, not RoPE`, { where, hint: 'RoPE scaling applies to Llama models' });
    }
    if (opts.context !== undefined && opts.context > config.blockSize) {
      throw new LlmtsError('E_CONFIG', `--context ${opts.context}: a ${config.arch} model has ${config.blockSize} learned positions`, {
        where: '--context', hint: `use at most ${config.blockSize}, or a Llama model (RoPE) for longer contexts` });
    }
  }
  const original = config.ropeOriginalContext ?? config.blockSize;
  const { ropeScaling: _s, ropeFactor: _f, ropeOriginalContext: _o, ropeAttnFactor: _a, ropeBetaFast: _bf, ropeBetaSlow: _bs, ...base } = config;
  let next: DecoderConfig = config;
  if (opts.rope === 'none') next = { ...base, blockSize: original };
  else if (opts.rope) {
    const orig = opts.rope.original ?? original;
    next = { ...base, blockSize: Math.round(orig * opts.rope.factor), ropeScaling: opts.rope.type, ropeFactor: opts.rope.factor, ropeOriginalContext: orig };
  }
  if (opts.context !== undefined) next = { ...next, blockSize: opts.context };
  return parseModelConfig(next, where) as DecoderConfig;
}

/** `model`'s weights under `contextConfig(model.config, opts)`; the model itself when nothing changes. */
export function withContext(model: AnyModel, opts: ContextOptions): AnyModel {
  if (opts.context === undefined && opts.rope === undefined) return model;
  const c = model.config as DecoderConfig;
  if (c.arch !== 'gpt2' && c.arch !== 'llama') {
    throw new LlmtsError('E_CONFIG', `--context / --rope-scaling apply to decoder language models, not ${c.arch}`, { where: '--context', hint: 'drop the flag' });
  }
  const next = contextConfig(c, opts);
  const out = createModel(next, { seed: 0, init: false });
  const state = new Map([...model.stateDict()].map(([n, t]) => [n, { shape: t.shape, data: t.data }]));
  out.loadStateDict(state);
  if (!model.training) out.eval();
  return out;
}
