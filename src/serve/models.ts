/**
 * GET /v1/models, GET /v1/models/:model (the one model this server runs) and GET /health,
 * and the check of a request's `model` field (`checkModel`): the served model's id, one of
 * its aliases, or absent; any other name is a 404 model_not_found, as OpenAI answers.
 *
 *   GET /v1/models -> {"object": "list", "data": [{"id": "stories260K", "object": "model", "created": 1764300000, "owned_by": "llmts"}]}
 *   GET /health    -> {"status": "ok", "model": "stories260K", "context_length": 512, "active": 0, "queued": 0}
 */
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from './context.ts';
import { modelNotFound } from './errors.ts';
import { optString, type Body } from './validate.ts';

/** True when `name` names the served model: its id or one of its aliases. */
function servesModel(ctx: ServeContext, name: string): boolean {
  return name === ctx.modelId || ctx.modelAliases.includes(name);
}

/** Checks a request body's `model`: absent / null, the served id or an alias; else a 404 model_not_found. */
export function checkModel(b: Body, ctx: ServeContext): void {
  const name = optString(b, 'model');
  if (name !== undefined && !servesModel(ctx, name)) throw modelNotFound(name, ctx.modelId);
}

/** Registers the model listing and the health check. */
export function registerModels(app: FastifyInstance, ctx: ServeContext): void {
  const model = { id: ctx.modelId, object: 'model', created: ctx.started, owned_by: 'llmts' };
  app.get('/v1/models', async () => ({ object: 'list', data: [model] }));
  app.get<{ Params: { '*': string } }>('/v1/models/*', async (request) => {
    const id = request.params['*']; // model ids may hold slashes
    if (!servesModel(ctx, id)) throw modelNotFound(id, ctx.modelId);
    return model;
  });
  app.get('/health', async () => ({
    status: 'ok', model: ctx.modelId, context_length: ctx.engine.contextLength, active: ctx.engine.active, queued: ctx.engine.queued,
  }));
}
