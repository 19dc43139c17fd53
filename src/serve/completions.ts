/**
 * POST /v1/completions (OpenAI's legacy text completions): one prompt (a string, or
 * token ids) -> one continuation, streamed as server-sent events with `stream: true`.
 *
 *   {"model": "stories260K", "prompt": "Once upon a time", "max_tokens": 32, "temperature": 0, "stop": ["."]}
 *   -> {"id": "cmpl-...", "object": "text_completion", "choices": [{"index": 0, "text": ", there was",
 *       "logprobs": null, "finish_reason": "stop"}], "usage": {...}}
 *
 * Also: `echo` (prepend the prompt), integer `logprobs` (OpenAI's tokens / token_logprobs /
 * top_logprobs / text_offset lists; the chosen token is always in top_logprobs), and the
 * extra sampling fields `top_k` and `repetition_penalty`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TokenEvent, TokenLogprob } from '../infer/scheduler.ts';
import { encodePrompt } from '../infer/tokens.ts';
import { nowSeconds, type GenerationContext } from './context.ts';
import { findBadTokenId, tokenIdMessage } from '../util/token-ids.ts';
import { badRequest, contextLengthExceeded } from './errors.ts';
import { checkModel } from './models.ts';
import { finishGeneration, openaiUsage, streamGeneration, submitGeneration, type ChunkFormat, type Usage } from './generation.ts';
import { generationParams, optBoolean, optNumber, refuseUnless, requireObject, type Body } from './validate.ts';

/** OpenAI's logprobs object of a completion choice. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[];
  text_offset: number[];
}

/** The prompt as ids, and as text for `echo`. */
function readPrompt(ctx: GenerationContext, b: Body): { ids: number[]; text: string } {
  const p = b.prompt;
  const fromIds = (ids: unknown[]): { ids: number[]; text: string } => {
    if (ids.length === 0 || !ids.every((x) => Number.isInteger(x))) throw badRequest('prompt token arrays must hold integer token ids and not be empty.', 'prompt');
    const V = ctx.tokenizer.vocabSize;
    const bad = findBadTokenId(ids as number[], V);
    if (bad) throw badRequest(`${tokenIdMessage(bad, V, 'prompt token id')}.`, 'prompt');
    return { ids: ids as number[], text: ctx.tokenizer.decode(ids as number[], { skipSpecialTokens: true }) };
  };
  if (p === undefined || p === null) return { ids: encodePrompt(ctx.tokenizer, ''), text: '' };
  if (typeof p === 'string') return { ids: encodePrompt(ctx.tokenizer, p), text: p };
  if (!Array.isArray(p) || p.length === 0) {
    throw badRequest('prompt must be a string, an array of token ids, or a one-element array of either.', 'prompt');
  }
  if (p.every((x) => typeof x === 'number')) return fromIds(p);
  if (p.length > 1) throw badRequest(`this server takes one prompt per request, got ${p.length}; send one request per prompt.`, 'prompt');
  const only = p[0] as unknown;
  if (typeof only === 'string') return { ids: encodePrompt(ctx.tokenizer, only), text: only };
  if (Array.isArray(only)) return fromIds(only);
  throw badRequest('prompt must be a string, an array of token ids, or a one-element array of either.', 'prompt');
}

/** The completions logprobs of some token events; `offset` is the text length before the first. */
function logprobsOf(events: readonly { text: string; logprob?: TokenEvent['logprob'] }[], offset: number): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let at = offset;
  for (const ev of events) {
    const lp = ev.logprob;
    if (lp) {
      out.tokens.push(lp.token);
      out.token_logprobs.push(lp.logprob);
      const top: Record<string, number> = {};
      for (const t of [lp, ...lp.top] as TokenLogprob[]) if (!(t.token in top)) top[t.token] = t.logprob;
      out.top_logprobs.push(top);
      out.text_offset.push(at);
    }
    at += ev.text.length;
  }
  return out;
}

/** Registers POST /v1/completions. */
export function registerCompletions(app: FastifyInstance, ctx: GenerationContext): void {
  app.post('/v1/completions', async (request, reply) => {
    const b = requireObject(request.body);
    checkModel(b, ctx);
    const { stream, includeUsage, ...sampling } = generationParams(b, ctx.limits, ['max_tokens']);
    const logprobs = optNumber(b, 'logprobs', { min: 0, max: 20, int: true });
    const echo = optBoolean(b, 'echo') ?? false;
    refuseUnless(b, 'best_of', [1], 'best_of must be 1: this server returns one choice per request.');
    refuseUnless(b, 'suffix', [''], 'suffix (insertion) is not supported by this server; leave it out.');
    if (echo && logprobs !== undefined) throw badRequest('echo together with logprobs (prompt logprobs) is not supported by this server.', 'echo');
    const prompt = readPrompt(ctx, b);
    if (prompt.ids.length > ctx.engine.contextLength) throw contextLengthExceeded(ctx.engine.contextLength, prompt.ids.length, 'prompt');

    const run = submitGeneration(ctx, request, reply, { ...sampling, prompt: prompt.ids, logprobs }, 'prompt');
    const id = `cmpl-${randomUUID().replaceAll('-', '')}`;
    const created = nowSeconds();
    const head = echo ? prompt.text : '';
    const base = { id, object: 'text_completion' as const, created, model: ctx.modelId };

    if (stream) {
      let offset = head.length;
      const choice = (text: string, lp: CompletionLogprobs | null, finish: 'stop' | 'length' | null): unknown =>
        ({ ...base, choices: [{ index: 0, text, logprobs: lp, finish_reason: finish }] });
      const format: ChunkFormat = {
        head: () => (head ? [choice(head, null, null)] : []),
        token: (ev) => {
          if (ev.text === '' && !ev.logprob) return null;
          const lp = logprobs === undefined ? null : logprobsOf([ev], offset);
          offset += ev.text.length;
          return choice(ev.text, lp, null);
        },
        finish: (reason) => choice('', null, reason),
        usage: (u: Usage) => ({ ...base, choices: [], usage: u }),
      };
      await streamGeneration(ctx, reply, run, format, includeUsage);
      return reply;
    }

    const events: { text: string; logprob?: TokenEvent['logprob'] }[] = [];
    if (logprobs !== undefined) {
      for await (const ev of run.handle) events.push(ev);
    }
    const r = await finishGeneration(ctx, run);
    return {
      ...base,
      choices: [{ index: 0, text: head + r.text, logprobs: logprobs === undefined ? null : logprobsOf(events, head.length), finish_reason: r.finishReason }],
      usage: openaiUsage(r),
    };
  });
}
