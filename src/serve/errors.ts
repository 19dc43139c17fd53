/**
 * Errors of the HTTP API in OpenAI's shape, so that OpenAI clients raise their usual
 * error classes (BadRequestError, AuthenticationError, RateLimitError, ...):
 *
 *   HTTP 400 {"error": {"message": "...", "type": "invalid_request_error", "param": "temperature", "code": null}}
 *
 * `ApiError` is what route handlers throw; `toApiError` maps anything else that can go
 * wrong (an engine `LlmtsError`, a Fastify body-parser error, a bug) to one.
 *
 * @example
 * throw badRequest('temperature must be a number between 0 and 2, got 3', 'temperature');
 */
import { LlmtsError } from '../util/errors.ts';

/** OpenAI's error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error answered to the client with an HTTP status and OpenAI's error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  /** Extra response headers (e.g. Retry-After on 429). */
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, opts: { type?: string; param?: string | null; code?: string | null; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = opts.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.param = opts.param ?? null;
    this.code = opts.code ?? null;
    this.headers = opts.headers ?? {};
  }

  /** The JSON body sent to the client. */
  body(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 naming the request field at fault. */
export function badRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, { param, code });
}

/** The 400 OpenAI answers when a prompt does not fit the model's context. */
export function contextLengthExceeded(contextLength: number, promptTokens: number, param: 'prompt' | 'messages' | 'input'): ApiError {
  return new ApiError(400,
    `This model's maximum context length is ${contextLength} tokens. However, your ${param} resulted in ${promptTokens} tokens. ` +
    `Please reduce the length of the ${param}.`, { param, code: 'context_length_exceeded' });
}

/** The 404 OpenAI answers for a model it does not serve (code model_not_found). */
export function modelNotFound(requested: string, served: string): ApiError {
  return new ApiError(404, `The model '${requested}' does not exist. This server runs '${served}' (see GET /v1/models); send that id, one of its aliases (llmts serve --model-alias), or leave model out.`, {
    param: 'model', code: 'model_not_found',
  });
}

/** The 429 answered when the engine's slots and queue are full. */
export function queueFull(retryAfterSeconds: number, detail: string): ApiError {
  return new ApiError(429, `The server is busy (${detail}). Please retry after ${retryAfterSeconds} s.`, {
    type: 'rate_limit_error', code: 'rate_limit_exceeded', headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

/** The 503 answered for a generation cut short because the server is stopping. */
export function shuttingDown(): ApiError {
  return new ApiError(503, 'The server is shutting down; the generation was stopped. Please retry against a running server.', { code: 'server_shutting_down' });
}

/** Engine option names (camelCase) -> the request field that sets them. */
const ENGINE_PARAMS: Record<string, string> = {
  temperature: 'temperature', topK: 'top_k', topP: 'top_p', seed: 'seed', maxTokens: 'max_tokens',
  repetitionPenalty: 'repetition_penalty', presencePenalty: 'presence_penalty', frequencyPenalty: 'frequency_penalty',
  logprobs: 'logprobs', stop: 'stop', prompt: 'prompt',
};

/** Fastify error shapes we look at (body parser, routing). */
interface HttpishError { statusCode?: unknown; code?: unknown; message?: unknown }

/**
 * Any thrown value -> an ApiError. `promptParam` names the field a prompt error points at
 * ('prompt' for /v1/completions, 'messages' for chat). `retryAfterSeconds` is used for 429.
 */
export function toApiError(err: unknown, opts: { promptParam?: string; retryAfterSeconds?: number } = {}): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof LlmtsError) {
    const param = err.where ? (ENGINE_PARAMS[err.where] ?? null) : null;
    switch (err.code) {
      case 'E_QUEUE_FULL': return queueFull(opts.retryAfterSeconds ?? 1, err.message);
      case 'E_CLOSED': return shuttingDown();
      case 'E_PROMPT': return badRequest(err.message, opts.promptParam ?? 'prompt');
      default: return badRequest(err.message, param); // E_SAMPLING and the rest: the field named by `where`
    }
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpishError;
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, `The request body is too large (${message}). Send a smaller body, or start the server with a larger --body-limit.`, { code: 'request_too_large' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, `Unsupported Content-Type: send the request body as JSON with the header Content-Type: application/json.`, { code: 'unsupported_media_type' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return badRequest(`We could not parse the JSON body of your request (${message}). Send a JSON object as the body.`, null, 'invalid_json');
    default:
      break;
  }
  if (status >= 400 && status < 500) return new ApiError(status, message);
  return new ApiError(500, `The server had an error while processing your request: ${message}`);
}

/** The 400 answered when the served model cannot do what a route asks (e.g. chat with an encoder); lists the routes it serves. */
export function modelNotSupported(modelId: string, description: string, route: string, needs: string, served: readonly string[]): ApiError {
  return new ApiError(400,
    `The model '${modelId}' is ${description}: POST ${route} needs ${needs}. This server's routes for this model: ${served.map((r) => `POST ${r}`).join(', ')}.`,
    { param: 'model', code: 'model_not_supported' });
}
