/**
 * What every route handler needs: the engine, the tokenizer, the chat template, the
 * model's id and aliases, and the limits; plus the token counts a request used, which the access log
 * prints (kept per raw request in a WeakMap, so nothing is added to Fastify's types).
 * A model that does not generate (an encoder, an encoder-decoder, a classifier) has no
 * engine: its context holds the tasks layer's model (`task`) and serves the task routes;
 * `generationContext` is the context of the generation routes, or null.
 */
import type { IncomingMessage } from 'node:http';
import type { ChatTemplate } from '../infer/chat-template.ts';
import type { InferenceEngine } from '../infer/scheduler.ts';
import type { TaskModel } from '../tasks/model-kind.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import type { ServeLimits } from './limits.ts';

/** Shared state of the API routes. */
export interface ServeContext {
  /** The generation engine of a decoder; null when the model does not generate. */
  engine: InferenceEngine | null;
  /** The model's tokenizer; null for a Tree-LSTM (it reads words). */
  tokenizer: AnyTokenizer | null;
  /** How chat messages become a prompt; null when the model does not generate. */
  template: ChatTemplate | null;
  /** The model as the tasks layer holds it; null for a decoder given to the server only as its engine. */
  task: TaskModel | null;
  modelId: string;
  /** Other names a request's `model` may give for the served model (llmts serve --model-alias). */
  modelAliases: readonly string[];
  limits: ServeLimits;
  /** Unix seconds when the server started (the model's `created`). */
  started: number;
}

/** The context of the generation routes: a decoder's engine, tokenizer and chat template. */
export interface GenerationContext extends ServeContext {
  engine: InferenceEngine;
  tokenizer: AnyTokenizer;
  template: ChatTemplate;
}

/** `ctx` as a GenerationContext when the model generates, else null. */
export function generationContext(ctx: ServeContext): GenerationContext | null {
  return ctx.engine !== null && ctx.tokenizer !== null && ctx.template !== null ? ctx as GenerationContext : null;
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
