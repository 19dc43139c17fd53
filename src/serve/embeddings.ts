/**
 * POST /v1/embeddings (and POST /v1/tasks/embed, the same route): text (or token ids) ->
 * one L2-normalised vector per input, from whatever the served model embeds with
 * (src/tasks/embed.ts): a decoder's final hidden states mean-pooled (`engine.embed`), an
 * encoder's masked mean (or `pooling: "cls"`), an encoder-decoder's encoder states
 * mean-pooled, a classifier's trunk; a Tree-LSTM has none (400 model_not_supported).
 *
 *   {"model": "m", "input": ["a cat", "a dog"]}
 *   -> {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [...]}, ...],
 *       "model": "m", "usage": {"prompt_tokens": 8, "total_tokens": 8}}
 *
 * `encoding_format: "base64"` sends each vector as the base64 of its little-endian
 * float32 bytes (the official clients ask for that by default and decode it).
 * Inputs are encoded as the model reads them (a decoder: BOS first; an encoder: [CLS] ...
 * [SEP]); each must fit the model's context. Token-id inputs need a decoder.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { encodePrompt } from '../infer/tokens.ts';
import { embed, embedTokenIds, type EmbedPooling } from '../tasks/embed.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import type { ServeContext } from './context.ts';
import { recordUsage } from './context.ts';
import { findBadTokenId, tokenIdMessage } from '../util/token-ids.ts';
import { ApiError, badRequest, contextLengthExceeded, toApiError } from './errors.ts';
import { checkModel } from './models.ts';
import { contextLengthOf, requireRoute, type RouteName } from './routes-of.ts';
import { optString, refuseUnless, requireObject, type Body } from './validate.ts';

/** A vector as the base64 of its float32 little-endian bytes (what OpenAI clients decode). */
export function base64Float32LE(vec: Float32Array): string {
  const buf = Buffer.alloc(vec.length * 4);
  for (let i = 0; i < vec.length; i++) buf.writeFloatLE(vec[i]!, i * 4);
  return buf.toString('base64');
}

/** One input: its ids as the model reads them, and its text (absent for token-id inputs). */
interface EmbeddingInput {
  ids: number[];
  text?: string;
}

/** True when the served model embeds through a decoder's hidden states (token ids accepted). */
function decoderEmbeds(ctx: ServeContext): boolean {
  return ctx.task === null || ctx.task.kind === 'decoder' || ctx.task.kind === 'classifier';
}

/** The inputs as id lists (and texts). */
function readInputs(ctx: ServeContext, tokenizer: AnyTokenizer, b: Body): EmbeddingInput[] {
  const v = b.input;
  const shape = 'input must be a non-empty string, an array of non-empty strings, an array of token ids, or an array of token id arrays.';
  const ids = (x: unknown[], where: string): EmbeddingInput => {
    if (x.length === 0 || !x.every((t) => Number.isInteger(t))) throw badRequest(`${where} must be a non-empty array of integer token ids.`, 'input');
    if (!decoderEmbeds(ctx)) throw badRequest(`${where}: token ids as input need a decoder model; this model is an ${ctx.task?.kind}: send the input as text.`, 'input');
    return { ids: x as number[] };
  };
  const text = (s: string, where: string): EmbeddingInput => {
    if (s.length === 0) throw badRequest(`${where} must not be an empty string.`, 'input');
    return { ids: decoderEmbeds(ctx) ? encodePrompt(tokenizer, s) : tokenizer.encode(s, { addSpecialTokens: true }), text: s };
  };
  if (typeof v === 'string') return [text(v, 'input')];
  if (!Array.isArray(v) || v.length === 0) throw badRequest(shape, 'input');
  if (v.every((x) => typeof x === 'number')) return [ids(v, 'input')];
  if (v.length > ctx.limits.maxEmbeddingInputs) {
    throw badRequest(`input holds ${v.length} items; this server takes at most ${ctx.limits.maxEmbeddingInputs} per request.`, 'input');
  }
  return v.map((x: unknown, i) => {
    if (typeof x === 'string') return text(x, `input[${i}]`);
    if (Array.isArray(x)) return ids(x, `input[${i}]`);
    throw badRequest(shape, 'input');
  });
}

/** The pooling a request asks for: 'mean' (default) or 'cls' (encoders). */
function readPooling(ctx: ServeContext, b: Body): EmbedPooling {
  const p = optString(b, 'pooling') ?? 'mean';
  if (p !== 'mean' && p !== 'cls') throw badRequest(`pooling must be "mean" or "cls", got ${JSON.stringify(p)}.`, 'pooling');
  if (p === 'cls' && ctx.task?.kind !== 'encoder') throw badRequest('pooling "cls" (the [CLS] state) needs an encoder model; leave pooling out for the mean.', 'pooling');
  return p;
}

/** One input's vector. */
function vectorOf(ctx: ServeContext, input: EmbeddingInput, pooling: EmbedPooling): Float32Array {
  if (ctx.engine !== null) return ctx.engine.embed(input.ids);
  const m = ctx.task!;
  if (decoderEmbeds(ctx)) return embedTokenIds(m, input.ids);
  return embed(m, [input.text!], { pooling })[0]!;
}

/** Registers POST /v1/embeddings and POST /v1/tasks/embed. */
export function registerEmbeddings(app: FastifyInstance, ctx: ServeContext): void {
  const handler = (route: RouteName) => async (request: FastifyRequest, reply: FastifyReply) => {
    const b = requireObject(request.body);
    checkModel(b, ctx);
    requireRoute(ctx, route);
    const format = optString(b, 'encoding_format') ?? 'float';
    if (format !== 'float' && format !== 'base64') throw badRequest(`encoding_format must be "float" or "base64", got ${JSON.stringify(format)}.`, 'encoding_format');
    refuseUnless(b, 'dimensions', [], 'dimensions (shortened embeddings) is not supported by this server; leave it out.');
    const pooling = readPooling(ctx, b);
    const tokenizer = ctx.tokenizer!; // every model that embeds has one (requireRoute)
    const inputs = readInputs(ctx, tokenizer, b);
    const V = tokenizer.vocabSize;
    const contextLength = contextLengthOf(ctx);
    for (const { ids } of inputs) {
      if (contextLength !== null && ids.length > contextLength) throw contextLengthExceeded(contextLength, ids.length, 'input');
      const bad = findBadTokenId(ids, V);
      if (bad) throw badRequest(`${tokenIdMessage(bad, V, 'input token id')}.`, 'input');
    }
    const data: { object: 'embedding'; index: number; embedding: number[] | string }[] = [];
    let tokens = 0;
    for (let i = 0; i < inputs.length; i++) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve)); // let other requests run between inputs
      if (reply.raw.destroyed) throw new ApiError(499, 'the client closed the connection');
      let vec: Float32Array;
      try {
        vec = vectorOf(ctx, inputs[i]!, pooling);
      } catch (e) {
        throw toApiError(e, { promptParam: 'input' });
      }
      tokens += inputs[i]!.ids.length;
      const embedding = format === 'base64' ? base64Float32LE(vec) : Array.from(vec);
      data.push({ object: 'embedding', index: i, embedding });
    }
    recordUsage(request.raw, { promptTokens: tokens, completionTokens: 0 });
    return { object: 'list', data, model: ctx.modelId, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  };
  app.post('/v1/embeddings', handler('embeddings'));
  app.post('/v1/tasks/embed', handler('embed'));
}
