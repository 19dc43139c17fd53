/**
 * The server's limits, each settable through `ServeOptions.limits` and a `llmts serve` flag:
 * - bodyLimit: request body bytes (larger: 413);
 * - maxTokens: the largest `max_tokens` a request may ask for (larger: 400);
 * - defaultMaxTokens: new tokens when a request gives no `max_tokens`;
 * - maxEmbeddingInputs: inputs in one /v1/embeddings request (more: 400);
 * - retryAfterSeconds: the Retry-After of a 429 (the engine's slots and queue are full;
 *   their sizes are the engine's `maxBatch` / `maxQueue`).
 * A prompt longer than the model's context is always a 400 (context_length_exceeded).
 *
 * @example
 * resolveLimits({ maxTokens: 128 }, 512) // { bodyLimit: 1048576, maxTokens: 128, defaultMaxTokens: 128, ... }
 */
import { LlmtsError } from '../util/errors.ts';

/** Resolved limits (every field set). */
export interface ServeLimits {
  bodyLimit: number;
  maxTokens: number;
  defaultMaxTokens: number;
  maxEmbeddingInputs: number;
  retryAfterSeconds: number;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_MAX_TOKENS = 256;
export const DEFAULT_MAX_EMBEDDING_INPUTS = 256;

/** Fills in defaults; `contextLength` (the model's) is the default max_tokens cap. */
export function resolveLimits(partial: Partial<ServeLimits> = {}, contextLength: number): ServeLimits {
  const maxTokens = partial.maxTokens ?? contextLength;
  const limits: ServeLimits = {
    bodyLimit: partial.bodyLimit ?? DEFAULT_BODY_LIMIT,
    maxTokens,
    defaultMaxTokens: Math.min(partial.defaultMaxTokens ?? DEFAULT_MAX_TOKENS, maxTokens),
    maxEmbeddingInputs: partial.maxEmbeddingInputs ?? DEFAULT_MAX_EMBEDDING_INPUTS,
    retryAfterSeconds: partial.retryAfterSeconds ?? 1,
  };
  for (const [name, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new LlmtsError('E_USAGE', `server limit ${name} = ${v} must be a positive integer`, { where: `limits.${name}`, hint: 'pass a positive integer' });
    }
  }
  return limits;
}
