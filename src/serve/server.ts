/**
 * The OpenAI-compatible HTTP server (Fastify 5) over one model: a decoder's
 * `InferenceEngine`, or a model of another kind held by the tasks layer (`task`):
 * - GET /v1/models, GET /v1/models/:id, POST /v1/completions, POST /v1/chat/completions
 *   (both also as server-sent events with `stream: true`), POST /v1/embeddings, GET /health;
 * - the task routes (task-routes.ts): POST /v1/tasks/summarize, /translate, /classify,
 *   /sentiment, /embed. Each route runs only on a model that can (routes-of.ts): an
 *   encoder, encoder-decoder or classifier has no engine and answers the generation routes
 *   with a 400 model_not_supported that lists its routes;
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
 * // an encoder, encoder-decoder or classifier: no engine, task routes only
 * const clf = await createServer({ task: loadTaskModel('runs/sentiment'), modelId: 'sentiment' });
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { ChatTemplate } from '../infer/chat-template.ts';
import type { InferenceEngine } from '../infer/scheduler.ts';
import { taskContextLength, taskTokenizer, type TaskModel } from '../tasks/model-kind.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { apiKeyHook } from './auth.ts';
import { registerChatCompletions } from './chat-completions.ts';
import { registerCompletions } from './completions.ts';
import { generationContext, nowSeconds, usageOf, type ServeContext } from './context.ts';
import { registerEmbeddings } from './embeddings.ts';
import { ApiError, toApiError } from './errors.ts';
import { DEFAULT_MAX_TOKENS, resolveLimits, type ServeLimits } from './limits.ts';
import { registerModels } from './models.ts';
import { redactPathsInText } from './redact-paths.ts';
import { MODEL_ROUTES, requireRoute } from './routes-of.ts';
import { registerTaskRoutes } from './task-routes.ts';
import { registerUi } from './ui.ts';

/** Options of `createServer`. */
export interface ServeOptions {
  /** A decoder's generation engine (with `tokenizer` and `template`); absent for a model that does not generate. */
  engine?: InferenceEngine;
  /** The engine's tokenizer (default: the task model's). */
  tokenizer?: AnyTokenizer;
  /** How chat messages become a prompt (and which strings end the assistant's turn); with `engine`. */
  template?: ChatTemplate;
  /** The model as the tasks layer holds it (loadTaskModel): serves the task routes; required without `engine`. */
  task?: TaskModel;
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
  '/v1/models': 'GET', '/health': 'GET', ...Object.fromEntries(Object.values(MODEL_ROUTES).map((r) => [r, 'POST'])),
};

/** The server's context from its options; an engine needs its tokenizer and template, and a server needs an engine or a task model. */
function serveContext(opts: ServeOptions, limits: ServeLimits): ServeContext {
  const task = opts.task ?? null;
  const tokenizer = opts.tokenizer ?? (task === null ? null : taskTokenizer(task));
  if (opts.engine !== undefined && (opts.template === undefined || tokenizer === null)) {
    throw new LlmtsError('E_USAGE', 'createServer: an engine needs its tokenizer and chat template', { where: 'ServeOptions', hint: 'pass tokenizer and template with engine' });
  }
  if (opts.engine === undefined && task === null) {
    throw new LlmtsError('E_USAGE', 'createServer needs an engine (a decoder) or a task model (loadTaskModel)', { where: 'ServeOptions', hint: 'pass engine, tokenizer and template, or task' });
  }
  if (opts.engine === undefined && task?.kind === 'decoder') {
    throw new LlmtsError('E_USAGE', 'createServer: a decoder is served through its engine', { where: 'ServeOptions.engine', hint: 'pass engine: new InferenceEngine(model, tokenizer), tokenizer and template' });
  }
  return {
    engine: opts.engine ?? null, tokenizer, template: opts.template ?? null,
    task, modelId: opts.modelId, modelAliases: opts.modelAliases ?? [], limits, started: nowSeconds(),
  };
}

/** Builds the server (not listening yet: call `app.listen`). See the module comment. */
export async function createServer(opts: ServeOptions): Promise<FastifyInstance> {
  const limits = resolveLimits(opts.limits, opts.engine?.contextLength ?? taskContext(opts.task));
  const ctx = serveContext(opts, limits);
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
      : new ApiError(404, `Unknown request URL: ${request.method} ${path}. See GET /v1/models, GET /health (the routes this model serves), ${Object.values(MODEL_ROUTES).map((r) => `POST ${r}`).join(', ')}.`, { code: 'unknown_url' });
    void reply.code(e.status).headers(e.headers).send(e.body());
  });

  registerModels(app, ctx);
  const gen = generationContext(ctx);
  if (gen !== null) {
    registerCompletions(app, gen);
    registerChatCompletions(app, gen);
  } else {
    app.post(MODEL_ROUTES.completions, async () => requireRoute(ctx, 'completions'));
    app.post(MODEL_ROUTES.chat, async () => requireRoute(ctx, 'chat'));
  }
  registerEmbeddings(app, ctx);
  registerTaskRoutes(app, ctx);
  await registerUi(app, { runsDir: opts.runsDir });
  return app;
}

/** The default max_tokens cap of a server without an engine: the task model's context (word-level models: the default). */
function taskContext(task: TaskModel | undefined): number {
  return (task === undefined ? null : taskContextLength(task)) ?? DEFAULT_MAX_TOKENS;
}
