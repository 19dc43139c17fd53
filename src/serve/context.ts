/**
 * What every route handler needs: the engine, the tokenizer, the chat template, the
 * model's id and aliases, and the limits; plus the token counts a request used, which the access log
 * prints (kept per raw request in a WeakMap, so nothing is added to Fastify's types).
 */
import type { IncomingMessage } from 'node:http';
import type { ChatTemplate } from '../infer/chat-template.ts';
import type { InferenceEngine } from '../infer/scheduler.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import type { ServeLimits } from './limits.ts';

/** Shared state of the API routes. */
export interface ServeContext {
  engine: InferenceEngine;
  tokenizer: AnyTokenizer;
  template: ChatTemplate;
  modelId: string;
  /** Other names a request's `model` may give for the served model (llmts serve --model-alias). */
  modelAliases: readonly string[];
  limits: ServeLimits;
  /** Unix seconds when the server started (the model's `created`). */
  started: number;
}

/** Token counts of one request, for the access log. */
export interface RequestUsage {
  promptTokens: number;
  completionTokens: number;
}

const usages = new WeakMap<IncomingMessage, RequestUsage>();

/** Records the tokens a request used. */
export function recordUsage(req: IncomingMessage, usage: RequestUsage): void {
  usages.set(req, usage);
}

/** The tokens a request used, if it recorded any. */
export function usageOf(req: IncomingMessage): RequestUsage | undefined {
  return usages.get(req);
}

/** Unix time in seconds, as OpenAI's `created` fields. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
