// Error cases through the official `openai` client's error classes: 400 with the
// offending param, 401 (API key), 404, 413 (body limit), 429 with Retry-After (engine
// full), context length; and raw HTTP for what the client would not send.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { MODEL_ID, loaded, startServer, waitFor, type TestServer } from './api-server.ts';

let server: TestServer;
let client: OpenAI;
before(async () => {
  server = await startServer({ limits: { maxTokens: 300 } });
  client = server.client();
});
after(async () => {
  await server.close();
});

/** Runs `fn`, expects it to throw `cls`, returns the error. */
async function expectError<T extends InstanceType<typeof OpenAI.APIError>>(fn: () => Promise<unknown>, cls: new (...a: never[]) => T): Promise<T> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${cls.name}, nothing was thrown`);
}

const chat = (extra: Record<string, unknown>): Promise<unknown> =>
  client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming);
const complete = (extra: Record<string, unknown>): Promise<unknown> =>
  client.completions.create({ model: MODEL_ID, prompt: 'Hi', max_tokens: 4, ...extra } as OpenAI.CompletionCreateParamsNonStreaming);

test('400 BadRequestError names the param and says what is allowed', async () => {
  const cases: [() => Promise<unknown>, string, RegExp][] = [
    [() => complete({ temperature: 3 }), 'temperature', /between 0 and 2/],
    [() => complete({ top_p: 0 }), 'top_p', /between 0 \(exclusive\) and 1/],
    [() => complete({ max_tokens: 0 }), 'max_tokens', /integer >= 1/],
    [() => complete({ max_tokens: 301 }), 'max_tokens', /at most 300/],
    [() => complete({ n: 2 }), 'n', /n must be 1/],
    [() => complete({ stop: [1, 2] }), 'stop', /string or an array of strings/],
    [() => complete({ presence_penalty: 2.5 }), 'presence_penalty', /between -2 and 2/],
    [() => complete({ logprobs: 21 }), 'logprobs', /between 0 and 20/],
    [() => complete({ prompt: ['a', 'b'] }), 'prompt', /one prompt per request/],
    [() => complete({ top_k: 1.5 }), 'top_k', /integer/],
    [() => complete({ seed: 'x' }), 'seed', /integer/],
    [() => chat({ messages: [] }), 'messages', /non-empty array/],
    [() => chat({ messages: [{ role: 'robot', content: 'x' }] }), 'messages[0].role', /one of system/],
    [() => chat({ top_logprobs: 2 }), 'top_logprobs', /needs logprobs/],
    [() => chat({ max_completion_tokens: 1000 }), 'max_completion_tokens', /at most 300/],
    [() => chat({ tools: [{ type: 'function', function: { name: 'f' } }] }), 'tools', /not supported/],
    [() => chat({ response_format: { type: 'json_object' } }), 'response_format', /only \{"type": "text"\}/],
    [() => chat({ stream_options: { include_usage: true } }), 'stream_options', /only allowed when stream is true/],
    [() => client.embeddings.create({ model: MODEL_ID, input: '' }), 'input', /must not be an empty string/],
    [() => client.embeddings.create({ model: MODEL_ID, input: 'x', encoding_format: 'int8' as 'float' }), 'encoding_format', /"float" or "base64"/],
  ];
  for (const [fn, param, message] of cases) {
    const e = await expectError(fn, OpenAI.BadRequestError);
    assert.equal(e.status, 400);
    assert.equal(e.param, param, `${param}: ${e.message}`);
    assert.equal(e.type, 'invalid_request_error');
    assert.match(e.message, message);
  }
});

test('a prompt longer than the context: 400 context_length_exceeded, nothing submitted', async () => {
  const long = 'the cat sat on the mat and '.repeat(200);
  const e = await expectError(() => complete({ prompt: long }), OpenAI.BadRequestError);
  assert.equal(e.code, 'context_length_exceeded');
  assert.equal(e.param, 'prompt');
  assert.match(e.message, new RegExp(`maximum context length is ${loaded.model.config.blockSize} tokens`));
  const c = await expectError(() => chat({ messages: [{ role: 'user', content: long }] }), OpenAI.BadRequestError);
  assert.equal(c.code, 'context_length_exceeded');
  assert.equal(c.param, 'messages');
  const emb = await expectError(() => client.embeddings.create({ model: MODEL_ID, input: long }), OpenAI.BadRequestError);
  assert.equal(emb.param, 'input');
  const ids = await expectError(() => complete({ prompt: [1, 5000] }), OpenAI.BadRequestError);
  assert.equal(ids.param, 'prompt');
  assert.match(ids.message, /outside the model's vocabulary/);
});

test('404 in OpenAI shape for an unknown model and an unknown URL, 405 for a wrong method', async () => {
  const e = await expectError(() => client.models.retrieve('gpt-4'), OpenAI.NotFoundError);
  assert.equal(e.code, 'model_not_found');
  const res = await fetch(`${server.url}/v1/nothing`, { method: 'POST' });
  assert.equal(res.status, 404);
  const body = await res.json() as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'unknown_url');
  const wrongMethod = await fetch(`${server.url}/v1/chat/completions`);
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get('allow'), 'POST');
});

test('raw HTTP: bad JSON, a non-object body and a non-JSON content type get 4xx in OpenAI shape', async () => {
  const post = (body: string, type = 'application/json'): Promise<Response> =>
    fetch(`${server.url}/v1/completions`, { method: 'POST', headers: { 'content-type': type }, body });
  for (const [res, status, code] of [
    [await post('{"prompt": '), 400, 'invalid_json'],
    [await post('[1, 2]'), 400, 'invalid_json'],
    [await post('{"__proto__": {"x": 1}}'), 400, null],
    [await post('prompt=hi', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type'],
  ] as const) {
    assert.equal(res.status, status);
    const body = await res.json() as { error: { message: string; type: string; code: string | null } };
    assert.equal(typeof body.error.message, 'string');
    assert.equal(body.error.type, 'invalid_request_error');
    if (code) assert.equal(body.error.code, code);
  }
});

test('413 when the body exceeds the body limit', async () => {
  const small = await startServer({ limits: { bodyLimit: 2000 } });
  try {
    const e = await expectError(() => small.client().completions.create({ model: MODEL_ID, prompt: 'x'.repeat(5000), max_tokens: 1 }), OpenAI.APIError);
    assert.equal(e.status, 413);
    assert.match(e.message, /too large/);
    const ok = await small.client().completions.create({ model: MODEL_ID, prompt: 'Hi', max_tokens: 1 });
    assert.equal(ok.choices.length, 1);
  } finally {
    await small.close();
  }
});

test('401 AuthenticationError without or with a wrong Bearer key, on /v1 and /health', async () => {
  const locked = await startServer({ apiKey: 'sk-test-123' });
  try {
    const wrong = await expectError(() => locked.client({ apiKey: 'sk-nope' }).models.list(), OpenAI.AuthenticationError);
    assert.equal(wrong.code, 'invalid_api_key');
    const res = await fetch(`${locked.url}/v1/models`);
    assert.equal(res.status, 401);
    assert.match((await res.json() as { error: { message: string } }).error.message, /didn't provide an API key/);
    const list = await locked.client({ apiKey: 'sk-test-123' }).models.list();
    assert.equal(list.data[0]!.id, MODEL_ID);
    const r = await locked.client({ apiKey: 'sk-test-123' }).completions.create({ model: MODEL_ID, prompt: 'Hi', max_tokens: 2 });
    assert.equal(r.choices.length, 1);
    assert.equal((await fetch(`${locked.url}/health`)).status, 401);
    assert.equal((await fetch(`${locked.url}/health`, { headers: { authorization: 'Bearer sk-test-123' } })).status, 200);
  } finally {
    await locked.close();
  }
});

test('429 RateLimitError with Retry-After when the engine slots and queue are full', async () => {
  const busy = await startServer({ limits: { retryAfterSeconds: 2 } }, { maxBatch: 1, maxQueue: 1 });
  const c = busy.client();
  const first = new AbortController(), second = new AbortController();
  try {
    // 1: streaming, holds the only slot; 2: waits in the one queue place; 3: refused
    const s1 = await c.completions.create({ model: MODEL_ID, prompt: 'Once', max_tokens: 500, stream: true }, { signal: first.signal });
    const it = s1[Symbol.asyncIterator]();
    await it.next();
    assert.equal(busy.engine.active, 1);
    const p2 = c.completions.create({ model: MODEL_ID, prompt: 'Once', max_tokens: 500 }, { signal: second.signal }).catch((e: unknown) => e);
    assert.ok(await waitFor(() => busy.engine.queued === 1));
    const e = await expectError(() => c.completions.create({ model: MODEL_ID, prompt: 'Hi', max_tokens: 2 }), OpenAI.RateLimitError);
    assert.equal(e.status, 429);
    assert.equal(e.headers.get('retry-after'), '2');
    assert.equal(e.code, 'rate_limit_exceeded');
    first.abort();
    second.abort();
    await p2;
    assert.ok(await waitFor(() => busy.engine.active === 0 && busy.engine.queued === 0), 'aborted clients free the slot and the queue');
    const ok = await c.completions.create({ model: MODEL_ID, prompt: 'Hi', max_tokens: 2 });
    assert.equal(ok.choices.length, 1);
  } finally {
    await busy.close();
  }
});
