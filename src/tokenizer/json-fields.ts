/**
 * Typed reading of a parsed tokenizer.json: every accessor checks the field's JSON type
 * (and range, for token ids) and throws `LlmtsError('E_TOKENIZER_JSON')` naming the file
 * and the field path, e.g. `tokenizer.json: post_processor.single[0] must be an object, got null`.
 * The readers of every tokenizer kind use these, so no malformed file reaches a raw TypeError.
 *
 * @example
 * const model = objectField(json, 'model', where);             // Record<string, unknown>
 * const single = arrayAt(pp.single, 'post_processor.single', where);
 * const id = tokenIdAt(t.id, `added_tokens[${i}].id`, where);  // integer in [0, MAX_TOKEN_ID]
 */
import { LlmtsError } from '../util/errors.ts';

export type JsonObject = Record<string, unknown>;

/** Largest token id accepted from a file (2^24 - 1; the largest real vocabularies hold ~260k). */
export const MAX_TOKEN_ID = 2 ** 24 - 1;

/** True for a JSON object (not null, not an array). */
export function isJsonObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A JSON value in a few characters, for error messages. */
export function shownJson(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (isJsonObject(v)) return 'an object';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The error for field `path` of file `where`: it must be `what`. */
export function fieldError(where: string, path: string, what: string, got: unknown, hint?: string): LlmtsError {
  return new LlmtsError('E_TOKENIZER_JSON', `${where}: ${path} must be ${what}, got ${shownJson(got)}`, {
    where: `${where}: ${path}`, hint: hint ?? 'the file is damaged or not written by a Hugging Face tokenizers version llmts reads; re-export it' });
}

/** `x` as an object, or an error naming `path`. */
export function objectAt(x: unknown, path: string, where: string): JsonObject {
  if (!isJsonObject(x)) throw fieldError(where, path, 'an object', x);
  return x;
}

/** `x` as an object, or null when it is null or absent. */
export function optObjectAt(x: unknown, path: string, where: string): JsonObject | null {
  return x === null || x === undefined ? null : objectAt(x, path, where);
}

/** `x` as an array, or an error naming `path`. */
export function arrayAt(x: unknown, path: string, where: string): unknown[] {
  if (!Array.isArray(x)) throw fieldError(where, path, 'an array', x);
  return x;
}

/** `x` as a string, or an error naming `path`. */
export function stringAt(x: unknown, path: string, where: string): string {
  if (typeof x !== 'string') throw fieldError(where, path, 'a string', x);
  return x;
}

/** `x` as a string, or `fallback` when null or absent. */
export function optStringAt(x: unknown, path: string, where: string, fallback: string): string {
  return x === null || x === undefined ? fallback : stringAt(x, path, where);
}

/** `x` as a boolean, or `fallback` when null or absent. */
export function optBooleanAt<T extends boolean | null>(x: unknown, path: string, where: string, fallback: T): boolean | T {
  if (x === null || x === undefined) return fallback;
  if (typeof x !== 'boolean') throw fieldError(where, path, 'true or false', x);
  return x;
}

/** `x` as an integer in [min, max], or an error naming `path`. */
export function integerAt(x: unknown, path: string, where: string, min: number, max: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) throw fieldError(where, path, `an integer in [${min}, ${max}]`, x);
  return x;
}

/** `x` as a token id: an integer in [0, MAX_TOKEN_ID]. */
export function tokenIdAt(x: unknown, path: string, where: string): number {
  return integerAt(x, path, where, 0, MAX_TOKEN_ID);
}

/** The field `key` of `obj` as an object (path `key` under `parent`). */
export function objectField(obj: JsonObject, key: string, where: string, parent = ''): JsonObject {
  return objectAt(obj[key], parent === '' ? key : `${parent}.${key}`, where);
}

/**
 * A token -> id vocabulary object (`model.vocab`): every id a token id, and the ids about
 * dense (below 2n + 1024 for n tokens; real vocabularies run 0..n-1), so that one huge id
 * cannot make a reader build a vocabulary of millions of empty entries.
 */
export function vocabAt(x: unknown, path: string, where: string): Map<string, number> {
  const obj = objectAt(x, path, where);
  const vocab = new Map<string, number>();
  const count = Object.keys(obj).length;
  const limit = 2 * count + 1024;
  for (const [token, id] of Object.entries(obj)) {
    const at = `${path}[${JSON.stringify(token)}]`;
    const n = tokenIdAt(id, at, where);
    if (n >= limit) throw fieldError(where, at, `an id below ${limit} (the vocabulary has ${count} tokens)`, id);
    vocab.set(token, n);
  }
  return vocab;
}

/** One entry of `added_tokens`. */
export interface AddedToken {
  content: string;
  id: number;
  special: boolean;
}

/** `added_tokens` (absent or null: none): each an object with a non-empty string content and a token id. */
export function addedTokensAt(x: unknown, where: string): AddedToken[] {
  if (x === null || x === undefined) return [];
  return arrayAt(x, 'added_tokens', where).map((t, i) => {
    const path = `added_tokens[${i}]`;
    const o = objectAt(t, path, where);
    const content = stringAt(o.content, `${path}.content`, where);
    if (content === '') throw fieldError(where, `${path}.content`, 'a non-empty string', content);
    return { content, id: tokenIdAt(o.id, `${path}.id`, where), special: optBooleanAt(o.special, `${path}.special`, where, false) };
  });
}

/** Merges (`model.merges`): "left right" strings or [left, right] pairs. */
export function mergesAt(x: unknown, path: string, where: string): [string, string][] {
  return arrayAt(x, path, where).map((m, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw fieldError(where, `${path}[${i}]`, 'a "left right" string or a [left, right] pair of strings', m);
    }
    return [pair[0], pair[1]];
  });
}
