/**
 * Request validation: JSON bodies -> typed parameters, or a 400 in OpenAI's shape whose
 * `param` names the field at fault and whose message says what is allowed.
 * `null` counts as absent, as in OpenAI's API. Unknown fields are ignored (clients send
 * many optional ones), but known fields this server cannot honour (n > 1, tools,
 * logit_bias, ...) are refused rather than silently dropped.
 *
 * @example
 * const b = requireObject(request.body);
 * const t = optNumber(b, 'temperature', { min: 0, max: 2 }); // 400 'temperature must be ...' otherwise
 */
import { badRequest } from './errors.ts';
import type { ServeLimits } from './limits.ts';

/** A parsed JSON object body. */
export type Body = Record<string, unknown>;

/** The body must be a JSON object. */
export function requireObject(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.', null, 'invalid_json');
  }
  return body as Body;
}

/** Describes a JSON value for an error message. */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** A number field in [min, max] (an integer with `int`), or undefined when absent / null. */
export function optNumber(b: Body, name: string, o: { min?: number; max?: number; int?: boolean; minExclusive?: boolean } = {}): number | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  const range = o.min !== undefined && o.max !== undefined ? ` between ${o.min}${o.minExclusive ? ' (exclusive)' : ''} and ${o.max}`
    : o.min !== undefined ? ` ${o.minExclusive ? '>' : '>='} ${o.min}` : o.max !== undefined ? ` <= ${o.max}` : '';
  const what = `${o.int ? 'an integer' : 'a number'}${range}`;
  if (typeof v !== 'number' || !Number.isFinite(v) || (o.int && !Number.isSafeInteger(v))) {
    throw badRequest(`${name} must be ${what}, got ${shown(v)}.`, name);
  }
  const tooLow = o.min !== undefined && (o.minExclusive ? v <= o.min : v < o.min);
  if (tooLow || (o.max !== undefined && v > o.max)) throw badRequest(`${name} must be ${what}, got ${v}.`, name);
  return v;
}

/** A boolean field, or undefined when absent / null. */
export function optBoolean(b: Body, name: string): boolean | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`${name} must be true or false, got ${shown(v)}.`, name);
  return v;
}

/** A string field, or undefined when absent / null. */
export function optString(b: Body, name: string): string | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`${name} must be a string, got ${shown(v)}.`, name);
  return v;
}

/** Refuses a field unless it is absent, null, or one of `allowed` (e.g. n = 1). */
export function refuseUnless(b: Body, name: string, allowed: readonly unknown[], message: string): void {
  const v = b[name];
  if (v === undefined || v === null || allowed.some((a) => a === v)) return;
  throw badRequest(message, name);
}

/** Most stop strings a request may give. */
export const MAX_STOP = 16;

/** `stop`: a string or an array of non-empty strings (at most MAX_STOP). */
export function stopStrings(b: Body): string[] {
  const v = b.stop;
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
    throw badRequest(`stop must be a string or an array of strings, got ${shown(v)}.`, 'stop');
  }
  if (list.length > MAX_STOP) throw badRequest(`stop may hold at most ${MAX_STOP} strings, got ${list.length}.`, 'stop');
  if (list.some((s: string) => s.length === 0)) throw badRequest('stop strings must not be empty.', 'stop');
  return list as string[];
}

/**
 * Sampling and length parameters shared by /v1/completions and /v1/chat/completions; all but
 * `stream` and `includeUsage` are CompletionRequest fields of the same name (spread into it).
 */
export interface GenerationParams {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  repetitionPenalty?: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
}

/** Reads the parameters both generation endpoints share; `maxTokensFields` in priority order. */
export function generationParams(b: Body, limits: ServeLimits, maxTokensFields: readonly string[]): GenerationParams {
  refuseUnless(b, 'n', [1], 'n must be 1: this server returns one choice per request (send several requests for several choices).');
  let maxTokens: number | undefined;
  for (const f of maxTokensFields) {
    const v = optNumber(b, f, { min: 1, int: true });
    if (v === undefined) continue;
    if (v > limits.maxTokens) {
      throw badRequest(`${f} is too large: ${v}. This server allows at most ${limits.maxTokens} new tokens per request.`, f);
    }
    maxTokens ??= v;
  }
  const stream = optBoolean(b, 'stream') ?? false;
  let includeUsage = false;
  const so = b.stream_options;
  if (so !== undefined && so !== null) {
    if (!stream) throw badRequest('stream_options is only allowed when stream is true.', 'stream_options');
    if (typeof so !== 'object' || Array.isArray(so)) throw badRequest(`stream_options must be an object, got ${shown(so)}.`, 'stream_options');
    const iu = (so as Body).include_usage;
    if (iu !== undefined && iu !== null && typeof iu !== 'boolean') {
      throw badRequest(`stream_options.include_usage must be true or false, got ${shown(iu)}.`, 'stream_options.include_usage');
    }
    includeUsage = iu === true;
  }
  const lb = b.logit_bias;
  if (lb !== undefined && lb !== null && (typeof lb !== 'object' || Object.keys(lb).length > 0)) {
    throw badRequest('logit_bias is not supported by this server; leave it out.', 'logit_bias');
  }
  return {
    maxTokens: maxTokens ?? limits.defaultMaxTokens,
    temperature: optNumber(b, 'temperature', { min: 0, max: 2 }),
    topP: optNumber(b, 'top_p', { min: 0, max: 1, minExclusive: true }),
    topK: optNumber(b, 'top_k', { min: 0, int: true }),
    seed: optNumber(b, 'seed', { int: true }),
    presencePenalty: optNumber(b, 'presence_penalty', { min: -2, max: 2 }),
    frequencyPenalty: optNumber(b, 'frequency_penalty', { min: -2, max: 2 }),
    repetitionPenalty: optNumber(b, 'repetition_penalty', { min: 0, minExclusive: true }),
    stop: stopStrings(b),
    stream,
    includeUsage,
  };
}
