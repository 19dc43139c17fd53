/**
 * Which API routes the served model supports, from its kind (src/tasks/model-kind.ts):
 * a decoder generates (completions, chat) and embeds; an encoder embeds and, with a
 * sequence-classification head, classifies; an encoder-decoder summarises, translates
 * and embeds; a classifier directory classifies and embeds (its trunk); a Tree-LSTM or a
 * HAN classifies. `requireRoute` answers any other request with a 400 model_not_supported
 * that says what the model is, what the route needs, and which routes it serves.
 *
 * @example
 * servedRoutes(ctx); // ['/v1/tasks/classify', '/v1/tasks/sentiment', '/v1/embeddings', '/v1/tasks/embed']
 */
import { canClassify } from '../tasks/classify.ts';
import { canEmbed } from '../tasks/embed.ts';
import { describeTaskModel, taskContextLength } from '../tasks/model-kind.ts';
import type { ServeContext } from './context.ts';
import { modelNotSupported } from './errors.ts';

/** The POST routes of the API that run the model. */
export const MODEL_ROUTES = {
  completions: '/v1/completions',
  chat: '/v1/chat/completions',
  embeddings: '/v1/embeddings',
  summarize: '/v1/tasks/summarize',
  translate: '/v1/tasks/translate',
  classify: '/v1/tasks/classify',
  sentiment: '/v1/tasks/sentiment',
  embed: '/v1/tasks/embed',
} as const;

/** A route's name (a key of MODEL_ROUTES). */
export type RouteName = keyof typeof MODEL_ROUTES;

/** What each route needs, for the error of a model that cannot. */
const NEEDS: Record<RouteName, string> = {
  completions: 'a decoder (language) model that generates text',
  chat: 'a decoder (language) model that generates text',
  embeddings: 'a model with sentence embeddings (an encoder, an encoder-decoder, a language model or a classifier trunk)',
  summarize: 'an encoder-decoder (a bart model)',
  translate: 'an encoder-decoder (a bart model)',
  classify: 'a classifier (llmts finetune --task classify, a BERT sequence classifier, a Tree-LSTM or a HAN)',
  sentiment: 'a classifier (llmts finetune --task classify, a BERT sequence classifier, a Tree-LSTM or a HAN)',
  embed: 'a model with sentence embeddings (an encoder, an encoder-decoder, a language model or a classifier trunk)',
};

/** The served model's description: the task model's, or a decoder given only as its engine. */
export function describeServed(ctx: ServeContext): string {
  return ctx.task ? describeTaskModel(ctx.task) : 'a decoder-only language model';
}

/** True when the served model supports the route. */
export function supports(ctx: ServeContext, route: RouteName): boolean {
  const m = ctx.task;
  switch (route) {
    case 'completions':
    case 'chat':
      return ctx.engine !== null;
    case 'embeddings':
    case 'embed':
      return m === null || canEmbed(m);
    case 'summarize':
    case 'translate':
      return m?.kind === 'seq2seq';
    case 'classify':
    case 'sentiment':
      return m !== null && canClassify(m);
  }
}

/** The names of the routes the served model supports. */
export function servedRouteNames(ctx: ServeContext): RouteName[] {
  return (Object.keys(MODEL_ROUTES) as RouteName[]).filter((r) => supports(ctx, r));
}

/** The paths of the routes the served model supports. */
export function servedRoutes(ctx: ServeContext): string[] {
  return servedRouteNames(ctx).map((r) => MODEL_ROUTES[r]);
}

/** Throws the 400 model_not_supported unless the served model supports `route`. */
export function requireRoute(ctx: ServeContext, route: RouteName): void {
  if (!supports(ctx, route)) throw modelNotSupported(ctx.modelId, describeServed(ctx), MODEL_ROUTES[route], NEEDS[route], servedRoutes(ctx));
}

/** The model's context in tokens (the engine's, or the task model's); null for a word-level model (Tree-LSTM, HAN). */
export function contextLengthOf(ctx: ServeContext): number | null {
  if (ctx.engine !== null) return ctx.engine.contextLength;
  return ctx.task === null ? null : taskContextLength(ctx.task);
}
