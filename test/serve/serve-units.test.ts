// Small pieces of the server without HTTP: limits, the error mapping, base64 vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64Float32LE } from '../../src/serve/embeddings.ts';
import { ApiError, toApiError } from '../../src/serve/errors.ts';
import { resolveLimits } from '../../src/serve/limits.ts';
import { generationParams } from '../../src/serve/validate.ts';
import { LlmtsError } from '../../src/util/errors.ts';

test('resolveLimits: defaults from the context, default max_tokens capped, bad values refused', () => {
  const l = resolveLimits({}, 512);
  assert.equal(l.maxTokens, 512);
  assert.equal(l.defaultMaxTokens, 256);
  assert.equal(resolveLimits({ maxTokens: 100 }, 512).defaultMaxTokens, 100);
  assert.throws(() => resolveLimits({ bodyLimit: 0 }, 512), /bodyLimit = 0 must be a positive integer/);
});

test('toApiError: engine codes -> 429 with Retry-After, 400 with the request field, 503; parser errors -> 413 / 415 / 400', () => {
  const full = toApiError(new LlmtsError('E_QUEUE_FULL', 'queue full'), { retryAfterSeconds: 3 });
  assert.equal(full.status, 429);
  assert.equal(full.headers['retry-after'], '3');
  const topK = toApiError(new LlmtsError('E_SAMPLING', 'topK = -1 is out of range', { where: 'topK' }));
  assert.deepEqual([topK.status, topK.param], [400, 'top_k']);
  assert.equal(toApiError(new LlmtsError('E_PROMPT', 'bad id', { where: 'prompt' }), { promptParam: 'messages' }).param, 'messages');
  assert.equal(toApiError(new LlmtsError('E_CLOSED', 'closed')).status, 503);
  assert.equal(toApiError({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'Request body is too large' }).status, 413);
  assert.equal(toApiError({ statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', message: 'x' }).status, 415);
  assert.equal(toApiError({ statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY', message: 'x' }).code, 'invalid_json');
  const bug = toApiError(new TypeError('x is undefined'));
  assert.deepEqual([bug.status, bug.type], [500, 'server_error']);
  const e = new ApiError(400, 'm', { param: 'p' });
  assert.deepEqual(e.body(), { error: { message: 'm', type: 'invalid_request_error', param: 'p', code: null } });
});

test('generationParams: null means absent, max_completion_tokens wins over max_tokens', () => {
  const l = resolveLimits({}, 512);
  const p = generationParams({ temperature: null, max_tokens: 10, max_completion_tokens: 20, stop: 'x' }, l, ['max_completion_tokens', 'max_tokens']);
  assert.equal(p.temperature, undefined);
  assert.equal(p.maxTokens, 20);
  assert.deepEqual(p.stop, ['x']);
  assert.equal(generationParams({}, l, ['max_tokens']).maxTokens, 256);
});

test('base64Float32LE: little-endian float32 bytes', () => {
  const s = base64Float32LE(Float32Array.of(1, -2.5));
  const b = Buffer.from(s, 'base64');
  assert.deepEqual([b.readFloatLE(0), b.readFloatLE(4)], [1, -2.5]);
  assert.deepEqual([...b.subarray(0, 4)], [0, 0, 0x80, 0x3f]);
});
