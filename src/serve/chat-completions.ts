/**
 * POST /v1/chat/completions: messages with roles -> the assistant's next message. The
 * messages are rendered with the server's chat template (ChatML by default, or the
 * model's HF chat_template) and generation stops at the template's end-of-turn strings
 * as well as the request's `stop`.
 *
 *   {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "max_completion_tokens": 32}
 *   -> {"id": "chatcmpl-...", "object": "chat.completion", "choices": [{"index": 0,
 *       "message": {"role": "assistant", "content": "...", "refusal": null}, "logprobs": null,
 *       "finish_reason": "stop"}], "usage": {...}}
 *
 * Streaming sends `chat.completion.chunk`s: the role first, then content deltas, then an
 * empty delta with the finish reason. `logprobs: true` (+ `top_logprobs` 0..20) gives
 * `{content: [{token, logprob, bytes, top_logprobs}], refusal: null}`. Text content parts
 * are joined; tools, audio, images and non-text response formats are refused with a 400.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { chatStopTokens, encodeChat } from '../infer/chat.ts';
import type { ChatMessage } from '../infer/chat-template.ts';
import type { ChosenLogprob, TokenLogprob } from '../infer/logprobs.ts';
import { nowSeconds, type GenerationContext } from './context.ts';
import { badRequest, contextLengthExceeded } from './errors.ts';
import { checkModel } from './models.ts';
import { finishGeneration, openaiUsage, streamGeneration, submitGeneration, type ChunkFormat, type Usage } from './generation.ts';
import { generationParams, optBoolean, optNumber, requireObject, type Body } from './validate.ts';

/** One entry of a chat logprobs `content` list. */
export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant']);

/** The text of a message's content: a string, or an array of text parts. */
function contentText(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) throw badRequest(`${where}.content must be a string or an array of text parts.`, `${where}.content`);
  return content.map((part: unknown, j) => {
    const p = part as { type?: unknown; text?: unknown } | null;
    if (typeof p !== 'object' || p === null || p.type !== 'text' || typeof p.text !== 'string') {
      throw badRequest(`${where}.content[${j}] must be a text part {"type": "text", "text": "..."}; this server reads text only.`, `${where}.content[${j}]`);
    }
    return p.text;
  }).join('');
}

/** Validates `messages` -> ChatMessages ('developer' is treated as 'system'). */
function readMessages(b: Body): ChatMessage[] {
  const m = b.messages;
  if (!Array.isArray(m) || m.length === 0) throw badRequest('messages must be a non-empty array of {"role", "content"} objects.', 'messages');
  return m.map((raw: unknown, i) => {
    const where = `messages[${i}]`;
    const msg = raw as { role?: unknown; content?: unknown; tool_calls?: unknown } | null;
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw badRequest(`${where} must be an object with role and content.`, where);
    if (typeof msg.role !== 'string' || !ROLES.has(msg.role)) {
      throw badRequest(`${where}.role must be one of system, developer, user, assistant; got ${JSON.stringify(msg.role)}.`, `${where}.role`);
    }
    if (msg.tool_calls !== undefined && msg.tool_calls !== null) throw badRequest(`${where}.tool_calls: tools are not supported by this server.`, `${where}.tool_calls`);
    if (msg.role !== 'assistant' && (msg.content === undefined || msg.content === null)) throw badRequest(`${where}.content is required.`, `${where}.content`);
    return { role: msg.role === 'developer' ? 'system' : msg.role, content: contentText(msg.content, where) };
  });
}

/** Refuses the chat features this server does not have. */
function refuseUnsupported(b: Body): void {
  for (const f of ['tools', 'functions']) {
    const v = b[f];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) throw badRequest(`${f}: tool and function calling are not supported by this server.`, f);
  }
  for (const f of ['tool_choice', 'function_call']) {
    const v = b[f];
    if (v !== undefined && v !== null && v !== 'none' && v !== 'auto') throw badRequest(`${f}: tool and function calling are not supported by this server.`, f);
  }
  if (b.audio !== undefined && b.audio !== null) throw badRequest('audio output is not supported by this server.', 'audio');
  const mods = b.modalities;
  if (mods !== undefined && mods !== null && !(Array.isArray(mods) && mods.every((x) => x === 'text'))) throw badRequest('modalities: this server answers with text only.', 'modalities');
  const rf = b.response_format as { type?: unknown } | null | undefined;
  if (rf !== undefined && rf !== null && (typeof rf !== 'object' || rf.type !== 'text')) {
    throw badRequest('response_format: only {"type": "text"} is supported by this server (no JSON mode / schemas).', 'response_format');
  }
}

/** Chat logprobs entries of some tokens' logprobs. */
function chatLogprobs(lps: readonly ChosenLogprob[]): ChatTokenLogprob[] {
  const entry = (t: TokenLogprob): { token: string; logprob: number; bytes: number[] } => ({ token: t.token, logprob: t.logprob, bytes: t.bytes });
  return lps.map((lp) => ({ ...entry(lp), top_logprobs: lp.top.map(entry) }));
}

/** Registers POST /v1/chat/completions. */
export function registerChatCompletions(app: FastifyInstance, ctx: GenerationContext): void {
  const stopTokens = chatStopTokens(ctx.tokenizer, ctx.template);
  app.post('/v1/chat/completions', async (request, reply) => {
    const b = requireObject(request.body);
    checkModel(b, ctx);
    const { stream, includeUsage, ...sampling } = generationParams(b, ctx.limits, ['max_completion_tokens', 'max_tokens']);
    refuseUnsupported(b);
    const wantLogprobs = optBoolean(b, 'logprobs') ?? false;
    const top = optNumber(b, 'top_logprobs', { min: 0, max: 20, int: true });
    if (top !== undefined && !wantLogprobs) throw badRequest('top_logprobs needs logprobs set to true.', 'top_logprobs');
    const messages = readMessages(b);
    let prompt: number[];
    try {
      prompt = encodeChat(ctx.tokenizer, ctx.template, messages);
    } catch (e) {
      throw badRequest(`the chat template could not render these messages: ${e instanceof Error ? e.message : String(e)}`, 'messages');
    }
    if (prompt.length > ctx.engine.contextLength) throw contextLengthExceeded(ctx.engine.contextLength, prompt.length, 'messages');

    const run = submitGeneration(ctx, request, reply, {
      ...sampling, prompt, stop: [...ctx.template.stop, ...sampling.stop], stopTokens, logprobs: wantLogprobs ? (top ?? 0) : undefined,
    }, 'messages');
    const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
    const created = nowSeconds();

    if (stream) {
      const base = { id, object: 'chat.completion.chunk' as const, created, model: ctx.modelId };
      const usageField = includeUsage ? { usage: null } : {};
      const chunk = (delta: Record<string, string>, lp: ChatTokenLogprob[] | null, finish: 'stop' | 'length' | null): unknown =>
        ({ ...base, choices: [{ index: 0, delta, logprobs: lp ? { content: lp, refusal: null } : null, finish_reason: finish }], ...usageField });
      const format: ChunkFormat = {
        head: () => [chunk({ role: 'assistant', content: '' }, null, null)],
        token: (ev) => {
          if (ev.text === '' && !ev.logprob) return null;
          return chunk({ content: ev.text }, wantLogprobs ? chatLogprobs(ev.logprob ? [ev.logprob] : []) : null, null);
        },
        finish: (reason) => chunk({}, null, reason),
        usage: (u: Usage) => ({ ...base, choices: [], usage: u }),
      };
      await streamGeneration(ctx, reply, run, format, includeUsage);
      return reply;
    }

    const r = await finishGeneration(ctx, run); // r.logprobs: the engine keeps every token's when asked
    return {
      id, object: 'chat.completion', created, model: ctx.modelId,
      choices: [{
        index: 0, message: { role: 'assistant', content: r.text, refusal: null },
        logprobs: wantLogprobs ? { content: chatLogprobs(r.logprobs ?? []), refusal: null } : null, finish_reason: r.finishReason,
      }],
      usage: openaiUsage(r),
    };
  });
}
