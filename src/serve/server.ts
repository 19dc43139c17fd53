/**
 * The OpenAI-compatible HTTP server (Fastify 5) over one `InferenceEngine`:
 * - GET /v1/models, GET /v1/models/:id, POST /v1/completions, POST /v1/chat/completions
 *   (both also as server-sent events with `stream: true`), POST /v1/embeddings, GET /health;
 * - the web UI (src/serve/ui.ts): `/`, `/dashboard`, `/api/runs`, ...;
 * - errors in OpenAI's shape (errors.ts), request validation (validate.ts), limits
 *   (limits.ts: body size 413, prompt length 400, max_tokens 400, engine full 429 with
 *   Retry-After), an optional Bearer key on everything but the web pages (auth.ts), no
 *   absolute server path in any answer (redact-paths.ts), cancellation of a generation
 *   whose client disconnects (generation.ts), and one access-log line per request:
 *
 *   POST /v1/chat/completions 200 182 ms 41+64 tokens
 *
 * A request's `model` must be the served model's id, one of `modelAliases`, or absent (any
 * other name: 404 model_not_found, as OpenAI answers); responses carry the model's id. Fields of OpenAI's API that are not listed in the route
 * files (e.g. `user`, `service_tier`) are ignored.
 *
 * The caller owns the engine: close the server (`app.close()`), then the engine.
 *
 * @example
 * const { model, tokenizer } = loadModel('stories260K.bin', 'tok512.bin');
 * const engine = new InferenceEngine(model, tokenizer);
 * const app = await createServer({ engine, tokenizer, template: ChatTemplate.chatml(), modelId: 'stories260K' });
 * await app.listen({ host: '127.0.0.1', port: 8080 });
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { ChatTemplate } from '../infer/chat-template.ts';
import type { InferenceEngine } from '../infer/scheduler.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { apiKeyHook } from './auth.ts';
import { registerChatCompletions } from './chat-completions.ts';
import { registerCompletions } from './completions.ts';
import { nowSeconds, usageOf, type ServeContext } from './context.ts';
import { registerEmbeddings } from './embeddings.ts';
import { ApiError, toApiError } from './errors.ts';
import { resolveLimits, type ServeLimits } from './limits.ts';
import { registerModels } from './models.ts';
import { redactPathsInText } from './redact-paths.ts';
import { registerUi } from './ui.ts';

/** Options of `createServer`. */
export interface ServeOptions {
  engine: InferenceEngine;
  tokenizer: AnyTokenizer;
  /** How chat messages become a prompt (and which strings end the assistant's turn). */
  template: ChatTemplate;
  /** The model's name in /v1/models and in responses. */
  modelId: string;
  /** Other names that requests may give as `model` for this model (e.g. a name a client has hard-coded). */
  modelAliases?: readonly string[];
  /** When set, every route but the web pages (/, /dashboard, /ui/*) needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Training runs shown by the dashboard (default: ./runs). */
  runsDir?: string;
  limits?: Partial<ServeLimits>;
  /** Receives one access-log line per request (default: none). */
  log?: (line: string) => void;
}

/** The API's fixed paths and their method (a known path asked with another method gets 405). */
const API_METHODS: Record<string, string> = {
  '/v1/models': 'GET', '/v1/completions': 'POST', '/v1/chat/completions': 'POST', '/v1/embeddings': 'POST', '/health': 'GET',
};

/** Builds the server (not listening yet: call `app.listen`). See the module comment. */
export async function createServer(opts: ServeOptions): Promise<FastifyInstance> {
  const limits = resolveLimits(opts.limits, opts.engine.contextLength);
  const ctx: ServeContext = {
    engine: opts.engine, tokenizer: opts.tokenizer, template: opts.template, modelId: opts.modelId, modelAliases: opts.modelAliases ?? [],
    limits, started: nowSeconds(),
  };
  // requestTimeout bounds the time to *receive* a request (slow senders), not the response
  const app = Fastify({ bodyLimit: limits.bodyLimit, logger: false, requestTimeout: 60_000 });

  const log = opts.log;
  if (log) {
    app.addHook('onRequest', async (request, reply) => {
      const t0 = performance.now();
      const path = request.url.split('?')[0];
      reply.raw.once('close', () => {
        const complete = reply.raw.writableFinished;
        const status = complete ? reply.raw.statusCode : 499;
        setImmediate(() => logLine(complete, status)); // after the route's own close handling (a cancel records its tokens)
      });
      const logLine = (complete: boolean, status: number): void => {
        const u = usageOf(request.raw);
        const tokens = u ? ` ${u.promptTokens}+${u.completionTokens} tokens` : '';
        log(`${request.method} ${path} ${status} ${Math.round(performance.now() - t0)} ms${tokens}${complete ? '' : ' (client closed)'}`);
      };
    });
  }
  if (opts.apiKey !== undefined) app.addHook('onRequest', apiKeyHook(opts.apiKey));

  app.setErrorHandler((err, _request, reply) => {
    const e = toApiError(err, { retryAfterSeconds: limits.retryAfterSeconds });
    const body = e.body();
    if (e.status >= 500) body.error.message = redactPathsInText(body.error.message); // a bug's message may name server files
    void reply.code(e.status).headers(e.headers).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = API_METHODS[path];
    const e = allowed
      ? new ApiError(405, `Invalid method for URL (${request.method} ${path}): use ${allowed}.`, { code: 'method_not_allowed', headers: { allow: allowed } })
      : new ApiError(404, `Unknown request URL: ${request.method} ${path}. See GET /v1/models, POST /v1/completions, POST /v1/chat/completions, POST /v1/embeddings.`, { code: 'unknown_url' });
    void reply.code(e.status).headers(e.headers).send(e.body());
  });

  registerModels(app, ctx);
  registerCompletions(app, ctx);
  registerChatCompletions(app, ctx);
  registerEmbeddings(app, ctx);
  await registerUi(app, { runsDir: opts.runsDir });
  return app;
}
