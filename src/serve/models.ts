/**
 * GET /v1/models, GET /v1/models/:model (the one model this server runs) and GET /health,
 * and the check of a request's `model` field (`checkModel`): the served model's id, one of
 * its aliases, or absent; any other name is a 404 model_not_found, as OpenAI answers.
 *
 *   GET /v1/models -> {"object": "list", "data": [{"id": "stories260K", "object": "model", "created": 1764300000, "owned_by": "llmts"}]}
 *   GET /health    -> {"status": "ok", "model": "stories260K", "kind": "decoder", "description": "a llama decoder-only language model",
 *                      "routes": ["/v1/completions", ...], "labels": null, "explain": false, "context_length": 512, "active": 0, "queued": 0}
 * (`routes`: what the model serves, routes-of.ts; `labels`: a classifier's label names, else null;
 * `explain`: classify can give attention weights (a HAN; a Transformer classifier's rollout);
 * `context_length`: null for a Tree-LSTM, which reads any number of words.)
 */
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from './context.ts';
import { modelNotFound } from './errors.ts';
import { contextLengthOf, describeServed, servedRoutes } from './routes-of.ts';
import { canClassify, canExplain, classifierLabels } from '../tasks/classify.ts';
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
    status: 'ok', model: ctx.modelId, kind: ctx.task?.kind ?? 'decoder', description: describeServed(ctx), routes: servedRoutes(ctx),
    labels: labelsOf(ctx), explain: ctx.task !== null && canExplain(ctx.task), context_length: contextLengthOf(ctx), active: ctx.engine?.active ?? 0, queued: ctx.engine?.queued ?? 0,
  }));
}

/** The label names of a served classifier, else null. */
function labelsOf(ctx: ServeContext): string[] | null {
  return ctx.task !== null && canClassify(ctx.task) ? classifierLabels(ctx.task) : null;
}
