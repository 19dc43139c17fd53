/**
 * Running one engine request for an HTTP request, shared by /v1/completions and
 * /v1/chat/completions:
 * - `submitGeneration` submits it (engine errors become 400 / 429 / 503) and cancels it
 *   when the client goes away before the response is complete;
 * - `finishGeneration` waits for the result (non-streaming);
 * - `streamGeneration` sends each token as a server-sent event in the endpoint's chunk
 *   format, then the finish chunk, the optional usage chunk and `data: [DONE]`.
 * A generation the server itself stopped (shutdown) answers 503 / an error event.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CompletionRequest, CompletionResult, GenerationHandle, TokenEvent } from '../infer/scheduler.ts';
import { recordUsage, type GenerationContext } from './context.ts';
import { ApiError, shuttingDown, toApiError } from './errors.ts';
import { SseWriter } from './sse.ts';

/** OpenAI's usage object. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** A submitted generation tied to its HTTP request. */
export interface RunningGeneration {
  handle: GenerationHandle;
  /** True once the client closed the connection before the response was complete. */
  clientGone(): boolean;
}

/** The chunks one streaming endpoint sends. */
export interface ChunkFormat {
  /** Chunks sent before the first token (chat: the assistant role; completions: the echoed prompt). */
  head(): unknown[];
  /** The chunk for one token event, or null when it carries nothing to send. */
  token(ev: TokenEvent): unknown;
  /** The last chunk of the choice, with its finish reason. */
  finish(reason: 'stop' | 'length'): unknown;
  /** The usage-only chunk (stream_options.include_usage). */
  usage(u: Usage): unknown;
}

/** OpenAI's usage from an engine result. */
export function openaiUsage(r: CompletionResult): Usage {
  return { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens };
}

/** Submits `creq`; a client that disconnects cancels it. Throws an ApiError when the engine refuses it. */
export function submitGeneration(ctx: GenerationContext, request: FastifyRequest, reply: FastifyReply, creq: CompletionRequest,
  promptParam: 'prompt' | 'messages'): RunningGeneration {
  let handle: GenerationHandle;
  try {
    handle = ctx.engine.submit(creq);
  } catch (e) {
    throw toApiError(e, { promptParam, retryAfterSeconds: ctx.limits.retryAfterSeconds });
  }
  const res = reply.raw;
  let gone = false;
  const onClose = (): void => {
    if (res.writableFinished) return;
    gone = true;
    handle.cancel();
  };
  if (res.destroyed || request.raw.socket?.destroyed) onClose();
  else res.on('close', onClose);
  handle.result.then((r) => recordUsage(request.raw, r), () => undefined).finally(() => res.off('close', onClose));
  return { handle, clientGone: () => gone };
}

/** Waits for a non-streaming generation; a server-side stop becomes a 503. */
export async function finishGeneration(ctx: GenerationContext, run: RunningGeneration): Promise<CompletionResult & { finishReason: 'stop' | 'length' }> {
  let r: CompletionResult;
  try {
    r = await run.handle.result;
  } catch (e) {
    throw toApiError(e, { retryAfterSeconds: ctx.limits.retryAfterSeconds });
  }
  if (r.finishReason === 'aborted') throw run.clientGone() ? new ApiError(499, 'the client closed the connection') : shuttingDown();
  return r as CompletionResult & { finishReason: 'stop' | 'length' };
}

/** Streams a generation as server-sent events in `format`; resolves when the response has ended. */
export async function streamGeneration(ctx: GenerationContext, reply: FastifyReply, run: RunningGeneration, format: ChunkFormat,
  includeUsage: boolean): Promise<void> {
  reply.hijack();
  const sse = new SseWriter(reply.raw);
  try {
    for (const c of format.head()) await sse.send(c);
    for await (const ev of run.handle) {
      const chunk = format.token(ev);
      if (chunk !== null) await sse.send(chunk);
    }
    const r = await run.handle.result;
    if (r.finishReason === 'aborted') {
      sse.fail(shuttingDown().body());
      return;
    }
    await sse.send(format.finish(r.finishReason));
    if (includeUsage) await sse.send(format.usage(openaiUsage(r)));
    sse.done();
  } catch (e) {
    run.handle.cancel();
    sse.fail(toApiError(e, { retryAfterSeconds: ctx.limits.retryAfterSeconds }).body());
  }
}
