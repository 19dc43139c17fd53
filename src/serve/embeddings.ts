/**
 * POST /v1/embeddings: text (or token ids) -> one vector per input, the model's final
 * hidden states mean-pooled over the tokens and L2-normalised (`engine.embed`).
 *
 *   {"model": "m", "input": ["a cat", "a dog"]}
 *   -> {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [...]}, ...],
 *       "model": "m", "usage": {"prompt_tokens": 8, "total_tokens": 8}}
 *
 * `encoding_format: "base64"` sends each vector as the base64 of its little-endian
 * float32 bytes (the official clients ask for that by default and decode it).
 * Inputs are encoded like prompts (BOS first); each must fit the model's context.
 */
import type { FastifyInstance } from 'fastify';
import { encodePrompt } from '../infer/tokens.ts';
import type { ServeContext } from './context.ts';
import { recordUsage } from './context.ts';
import { findBadTokenId, tokenIdMessage } from '../util/token-ids.ts';
import { ApiError, badRequest, contextLengthExceeded, toApiError } from './errors.ts';
import { checkModel } from './models.ts';
import { optString, refuseUnless, requireObject, type Body } from './validate.ts';

/** A vector as the base64 of its float32 little-endian bytes (what OpenAI clients decode). */
export function base64Float32LE(vec: Float32Array): string {
  const buf = Buffer.alloc(vec.length * 4);
  for (let i = 0; i < vec.length; i++) buf.writeFloatLE(vec[i]!, i * 4);
  return buf.toString('base64');
}

/** The inputs as id lists. */
function readInputs(ctx: ServeContext, b: Body): number[][] {
  const v = b.input;
  const shape = 'input must be a non-empty string, an array of non-empty strings, an array of token ids, or an array of token id arrays.';
  const ids = (x: unknown[], where: string): number[] => {
    if (x.length === 0 || !x.every((t) => Number.isInteger(t))) throw badRequest(`${where} must be a non-empty array of integer token ids.`, 'input');
    return x as number[];
  };
  const text = (s: string, where: string): number[] => {
    if (s.length === 0) throw badRequest(`${where} must not be an empty string.`, 'input');
    return encodePrompt(ctx.tokenizer, s);
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

/** Registers POST /v1/embeddings. */
export function registerEmbeddings(app: FastifyInstance, ctx: ServeContext): void {
  app.post('/v1/embeddings', async (request, reply) => {
    const b = requireObject(request.body);
    checkModel(b, ctx);
    const format = optString(b, 'encoding_format') ?? 'float';
    if (format !== 'float' && format !== 'base64') throw badRequest(`encoding_format must be "float" or "base64", got ${JSON.stringify(format)}.`, 'encoding_format');
    refuseUnless(b, 'dimensions', [], 'dimensions (shortened embeddings) is not supported by this server; leave it out.');
    const inputs = readInputs(ctx, b);
    const V = ctx.tokenizer.vocabSize;
    for (const ids of inputs) {
      if (ids.length > ctx.engine.contextLength) throw contextLengthExceeded(ctx.engine.contextLength, ids.length, 'input');
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
        vec = ctx.engine.embed(inputs[i]!);
      } catch (e) {
        throw toApiError(e, { promptParam: 'input' });
      }
      tokens += inputs[i]!.length;
      const embedding = format === 'base64' ? base64Float32LE(vec) : Array.from(vec);
      data.push({ object: 'embedding', index: i, embedding });
    }
    recordUsage(request.raw, { promptTokens: tokens, completionTokens: 0 });
    return { object: 'list', data, model: ctx.modelId, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  });
}
