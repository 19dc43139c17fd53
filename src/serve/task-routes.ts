/**
 * The task routes: the tasks layer (src/tasks/) over HTTP, with the answers shaped as
 * Hugging Face's pipelines name their fields and OpenAI's lists wrap them:
 *
 *   POST /v1/tasks/summarize  {"input": "a long abstract ...", "num_beams": 4, "max_length": 60}
 *     -> {"object": "list", "model": "m", "data": [{"index": 0, "summary_text": "..."}], "usage": {"prompt_tokens": 120, "total_tokens": 120}}
 *   POST /v1/tasks/translate  {"input": ["Where is the station?"]}
 *     -> {"object": "list", "model": "m", "data": [{"index": 0, "translation_text": "Où est la gare ?"}], "usage": {...}}
 *   POST /v1/tasks/classify   {"input": ["a gorgeous, witty film"], "phrases": false, "explain": false}
 *     -> {"object": "list", "model": "m", "data": [{"index": 0, "label": "positive", "score": 0.93,
 *         "scores": [{"label": "negative", "score": 0.07}, {"label": "positive", "score": 0.93}], "truncated": false}], "usage": {...}}
 *   POST /v1/tasks/sentiment  the same as classify
 *   POST /v1/tasks/embed      the same as /v1/embeddings, plus "pooling": "mean" | "cls" (embeddings.ts)
 *
 * `input` is a non-empty string or an array of at most `maxEmbeddingInputs` non-empty
 * strings. Generation fields (summarize, translate): max_length (2 .. the context),
 * min_length, num_beams (1 .. 16), length_penalty, no_repeat_ngram_size, early_stopping, as
 * transformers' generate names them; an input longer than the model's context is a 400
context_length_exceeded (classifiers cut it and say so: `truncated`). Classify: `phrases` (Tree-LSTMs: every phrase's label
 * and the labelled tree), `explain` (attention weights, models that have them). A model
 * that cannot do the task: 400 model_not_supported (routes-of.ts). Inputs run one at a
 * time with other requests served in between; a client that goes away stops the rest.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { canExplain, classify } from '../tasks/classify.ts';
import type { Classification } from '../tasks/labels.ts';
import { taskTokenizer, type TaskModel } from '../tasks/model-kind.ts';
import { summarize, translate, type TextToTextOptions } from '../tasks/text-to-text.ts';
import { recordUsage, type ServeContext } from './context.ts';
import { ApiError, badRequest, contextLengthExceeded, toApiError } from './errors.ts';
import { checkModel } from './models.ts';
import { contextLengthOf, describeServed, requireRoute, type RouteName } from './routes-of.ts';
import { optBoolean, optNumber, requireObject, type Body } from './validate.ts';

/** Most beams a request may ask for. */
export const MAX_BEAMS = 16;

/** `input`: a non-empty string or a non-empty array of them (at most `max`). */
export function readTextInputs(b: Body, max: number): string[] {
  const v = b.input;
  const shape = 'input must be a non-empty string or an array of non-empty strings.';
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) throw badRequest(shape, 'input');
  if (list.length > max) throw badRequest(`input holds ${list.length} items; this server takes at most ${max} per request.`, 'input');
  list.forEach((x: unknown, i) => {
    const where = typeof v === 'string' ? 'input' : `input[${i}]`;
    if (typeof x !== 'string') throw badRequest(`${where} must be a string. ${shape}`, 'input');
    if (x.trim() === '') throw badRequest(`${where} must not be empty.`, 'input');
  });
  return list as string[];
}

/** The generation fields of summarize / translate, checked against the model's context. */
export function readGenerationFields(b: Body, contextLength: number): TextToTextOptions {
  const maxLength = optNumber(b, 'max_length', { min: 2, max: contextLength, int: true });
  const minLength = optNumber(b, 'min_length', { min: 0, max: contextLength, int: true });
  if (maxLength !== undefined && minLength !== undefined && minLength > maxLength) {
    throw badRequest(`min_length (${minLength}) must not be larger than max_length (${maxLength}).`, 'min_length');
  }
  return {
    maxLength, minLength,
    numBeams: optNumber(b, 'num_beams', { min: 1, max: MAX_BEAMS, int: true }),
    lengthPenalty: optNumber(b, 'length_penalty', { min: -10, max: 10 }),
    noRepeatNgramSize: optNumber(b, 'no_repeat_ngram_size', { min: 0, max: contextLength, int: true }),
    earlyStopping: optBoolean(b, 'early_stopping'),
  };
}

/** Token count of a text as the model reads it (the usage figures and the context check); 0 for a word-level model. */
function tokensOf(m: TaskModel, text: string): number {
  return taskTokenizer(m)?.encode(text, { addSpecialTokens: true }).length ?? 0;
}

/** Runs `one` on each input in turn, yielding to other requests in between; stops when the client is gone. */
async function eachInput<T>(reply: FastifyReply, inputs: readonly string[], one: (text: string) => T): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < inputs.length; i++) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (reply.raw.destroyed) throw new ApiError(499, 'the client closed the connection');
    try {
      out.push(one(inputs[i]!));
    } catch (e) {
      throw toApiError(e, { promptParam: 'input' });
    }
  }
  return out;
}

/** One classification as the API answers it. */
function classificationItem(c: Classification, index: number): Record<string, unknown> {
  const item: Record<string, unknown> = { index, label: c.label, score: c.score, scores: c.scores, truncated: c.truncated };
  if (c.phrases) item.phrases = c.phrases.map(({ text, label, id, depth, probabilities }) => ({ text, label, id, depth, probabilities }));
  if (c.tree) item.tree = c.tree;
  if (c.attention) item.attention = c.attention;
  return item;
}

/** Registers the task routes (see the module comment). */
export function registerTaskRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const start = (request: FastifyRequest, route: RouteName): { b: Body; m: TaskModel; inputs: string[]; tokens: number } => {
    const b = requireObject(request.body);
    checkModel(b, ctx);
    requireRoute(ctx, route);
    const m = ctx.task!; // requireRoute: every task route but embed needs a task model
    const inputs = readTextInputs(b, ctx.limits.maxEmbeddingInputs);
    let tokens = 0;
    for (const t of inputs) tokens += tokensOf(m, t);
    recordUsage(request.raw, { promptTokens: tokens, completionTokens: 0 });
    return { b, m, inputs, tokens };
  };
  const usage = (tokens: number) => ({ prompt_tokens: tokens, total_tokens: tokens });

  for (const [route, field] of [['summarize', 'summary_text'], ['translate', 'translation_text']] as const) {
    app.post(`/v1/tasks/${route}`, async (request, reply) => {
      const { b, m, inputs, tokens } = start(request, route);
      const ctxLen = contextLengthOf(ctx)!;
      for (const t of inputs) {
        const n = tokensOf(m, t);
        if (n > ctxLen) throw contextLengthExceeded(ctxLen, n, 'input');
      }
      const gen = readGenerationFields(b, ctxLen);
      const run = route === 'summarize' ? summarize : translate;
      const outs = await eachInput(reply, inputs, (text) => run(m, [text], gen)[0]!);
      return { object: 'list', model: ctx.modelId, data: outs.map((o, index) => ({ index, [field]: o })), usage: usage(tokens) };
    });
  }

  for (const route of ['classify', 'sentiment'] as const) {
    app.post(`/v1/tasks/${route}`, async (request, reply) => {
      const { b, m, inputs, tokens } = start(request, route);
      const phrases = optBoolean(b, 'phrases') ?? false;
      const explain = optBoolean(b, 'explain') ?? false;
      if (phrases && m.kind !== 'tree') throw badRequest('phrases (the label of every phrase) is for Tree-LSTM models; leave it out.', 'phrases');
      if (explain && !canExplain(m)) throw badRequest(`explain: the model '${ctx.modelId}' is ${describeServed(ctx)}, which has no attention weights to explain its labels; leave explain out.`, 'explain');
      const out = await eachInput(reply, inputs, (text) => classify(m, [text], { phrases, explain })[0]!);
      return { object: 'list', model: ctx.modelId, data: out.map(classificationItem), usage: usage(tokens) };
    });
  }
}
