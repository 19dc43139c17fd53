/**
 * GET /v1/models, GET /v1/models/:model (the one model this server runs) and GET /health.
 *
 *   GET /v1/models -> {"object": "list", "data": [{"id": "stories260K", "object": "model", "created": 1764300000, "owned_by": "llmts"}]}
 *   GET /health    -> {"status": "ok", "model": "stories260K", "context_length": 512, "active": 0, "queued": 0}
 */
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from './context.ts';
import { ApiError } from './errors.ts';

/** Registers the model listing and the health check. */
export function registerModels(app: FastifyInstance, ctx: ServeContext): void {
  const model = { id: ctx.modelId, object: 'model', created: ctx.started, owned_by: 'llmts' };
  app.get('/v1/models', async () => ({ object: 'list', data: [model] }));
  app.get<{ Params: { '*': string } }>('/v1/models/*', async (request) => {
    const id = request.params['*']; // model ids may hold slashes
    if (id !== ctx.modelId) {
      throw new ApiError(404, `The model '${id}' does not exist. This server runs '${ctx.modelId}' (see GET /v1/models).`, { param: 'model', code: 'model_not_found' });
    }
    return model;
  });
  app.get('/health', async () => ({
    status: 'ok', model: ctx.modelId, context_length: ctx.engine.contextLength, active: ctx.engine.active, queued: ctx.engine.queued,
  }));
}
