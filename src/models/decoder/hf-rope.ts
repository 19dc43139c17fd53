/**
 * RoPE scaling in a Llama config.json, both ways: transformers 4's `rope_scaling`
 * ({ rope_type | type, factor, ... } beside a top-level rope_theta) and transformers 5's
 * `rope_parameters` ({ rope_type, rope_theta, factor, ... }) are read; `rope_scaling`
 * (with rope_theta top-level) is written, which both versions read.
 *
 * What max_position_embeddings means depends on the type, as in transformers:
 * - linear / yarn: the extended context (our blockSize); yarn's
 *   original_max_position_embeddings is the pretraining context (default
 *   max_position_embeddings, or a top-level original_max_position_embeddings as Phi-3 has);
 * - dynamic: the pretraining context itself (HF grows the base past it), so reading gives
 *   blockSize = max_position_embeddings * factor, and writing puts ropeOriginalContext there.
 * YaRN's mscale / mscale_all_dim (DeepSeek) become the attention factor they imply.
 * Types llm.ts does not run (llama3, longrope, ...) and `truncate: false` are refused,
 * naming the field.
 *
 * @example
 * ropeFromHf({ max_position_embeddings: 1024, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 256 } }, 'config.json');
 * // { theta: 10000, blockSize: 1024, fields: { ropeScaling: 'yarn', ropeFactor: 4, ropeOriginalContext: 256 } }
 */
import { ROPE_SCALING_TYPES, yarnAttnFactor, type RopeScalingType } from '../../nn/rope-scaling.ts';
import { LlmtsError } from '../../util/errors.ts';
import type { Json } from '../model.ts';
import type { DecoderConfig } from './config.ts';

/** The config fields of a RoPE scaling. */
export type RopeScalingFields = Pick<DecoderConfig, 'ropeScaling' | 'ropeFactor' | 'ropeOriginalContext' | 'ropeAttnFactor' | 'ropeBetaFast' | 'ropeBetaSlow'>;

/** A Llama config.json's RoPE base, context and scaling fields (none: `fields` is empty). */
export function ropeFromHf(json: Json, path: string): { theta: number; blockSize: number; fields: RopeScalingFields } {
  const params = pick(json, 'rope_parameters', path), legacy = pick(json, 'rope_scaling', path);
  const key = params ? 'rope_parameters' : 'rope_scaling';
  const p = params ?? legacy ?? {};
  const num = (obj: Json, field: string, where: string, fallback?: number): number => {
    const v = obj[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new LlmtsError('E_CHECKPOINT', `${path}: ${where} is ${JSON.stringify(obj[field])}, expected a number`, { where: `${path}: ${where}` });
    }
    return v;
  };
  const theta = num(p, 'rope_theta', `${key}.rope_theta`, typeof json.rope_theta === 'number' ? json.rope_theta : 10000);
  const mpe = num(json, 'max_position_embeddings', 'max_position_embeddings');
  const type = p.rope_type ?? p.type ?? 'default';
  if (type === 'default') return { theta, blockSize: mpe, fields: {} };
  if (typeof type !== 'string' || !(ROPE_SCALING_TYPES as readonly string[]).includes(type)) {
    throw new LlmtsError('E_CHECKPOINT', `${path}: ${key}.rope_type = ${JSON.stringify(type)} is not supported`, {
      where: `${path}: ${key}.rope_type`, hint: `llm.ts runs RoPE scalings ${ROPE_SCALING_TYPES.join(', ')} (or none)` });
  }
  const t = type as RopeScalingType;
  if (p.truncate === false) {
    throw new LlmtsError('E_CHECKPOINT', `${path}: ${key}.truncate = false is not supported`, { where: `${path}: ${key}.truncate`, hint: 'llm.ts runs YaRN with truncate = true (the default)' });
  }
  const outer = typeof json.original_max_position_embeddings === 'number' ? json.original_max_position_embeddings : undefined;
  const orig = t === 'dynamic' ? mpe : num(p, 'original_max_position_embeddings', `${key}.original_max_position_embeddings`, outer ?? (t === 'yarn' ? mpe : Math.round(mpe / num(p, 'factor', `${key}.factor`))));
  const factor = p.factor === undefined || p.factor === null ? (t === 'yarn' ? mpe / orig : num(p, 'factor', `${key}.factor`)) : num(p, 'factor', `${key}.factor`);
  if (factor < 1) {
    throw new LlmtsError('E_CHECKPOINT', `${path}: ${key}.factor = ${factor} is not supported`, { where: `${path}: ${key}.factor`, hint: 'RoPE scaling factors are >= 1' });
  }
  const fields: RopeScalingFields = { ropeScaling: t, ropeFactor: factor, ropeOriginalContext: Math.round(orig) };
  if (t === 'yarn') {
    if (p.attention_factor !== undefined && p.attention_factor !== null) fields.ropeAttnFactor = num(p, 'attention_factor', `${key}.attention_factor`);
    else if (p.mscale && p.mscale_all_dim) {
      const ms = num(p, 'mscale', `${key}.mscale`), all = num(p, 'mscale_all_dim', `${key}.mscale_all_dim`);
      fields.ropeAttnFactor = yarnAttnFactor(factor, ms) / yarnAttnFactor(factor, all);
    }
    if (p.beta_fast) fields.ropeBetaFast = num(p, 'beta_fast', `${key}.beta_fast`);
    if (p.beta_slow) fields.ropeBetaSlow = num(p, 'beta_slow', `${key}.beta_slow`);
  }
  return { theta, blockSize: t === 'dynamic' ? Math.round(mpe * factor) : mpe, fields };
}

/** max_position_embeddings and rope_scaling (null when unscaled) for a Llama config. */
export function ropeToHf(c: DecoderConfig): { max_position_embeddings: number; rope_scaling: Json | null } {
  if (!c.ropeScaling) return { max_position_embeddings: c.blockSize, rope_scaling: null };
  const orig = c.ropeOriginalContext ?? c.blockSize;
  const s: Json = { rope_type: c.ropeScaling, factor: c.ropeFactor ?? 1 };
  if (c.ropeScaling === 'yarn') {
    s.original_max_position_embeddings = orig;
    if (c.ropeAttnFactor !== undefined) s.attention_factor = c.ropeAttnFactor;
    if (c.ropeBetaFast !== undefined) s.beta_fast = c.ropeBetaFast;
    if (c.ropeBetaSlow !== undefined) s.beta_slow = c.ropeBetaSlow;
  }
  return { max_position_embeddings: c.ropeScaling === 'dynamic' ? orig : c.blockSize, rope_scaling: s };
}

/** json[key] as an object, null when absent or null; E_CHECKPOINT when it is something else. */
function pick(json: Json, key: string, path: string): Json | null {
  const v = json[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new LlmtsError('E_CHECKPOINT', `${path}: ${key} is ${JSON.stringify(v)}, expected an object`, { where: `${path}: ${key}`, hint: 'e.g. { "rope_type": "yarn", "factor": 4, "original_max_position_embeddings": 2048 }' });
  }
  return v as Json;
}
