// A client that goes away cancels its generation (streaming or not): the engine slot is
// freed at once and the access log shows 499 with fewer tokens than the full answer.
// A server-side stop (engine closed) ends a stream with an error event.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import OpenAI from 'openai';
import { MODEL_ID, startServer, waitFor, type TestServer } from './api-server.ts';

let server: TestServer;
// a request whose uncancelled answer is long (checked below), so a cancel lands mid-way
const BODY = { model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 500, temperature: 1, seed: 3, stop: 'NEVER-MATCHES' };
let fullTokens = 0;
const CHAT = { model: MODEL_ID, messages: [{ role: 'user' as const, content: 'Once upon a time' }], max_tokens: 400, temperature: 1, seed: 3 };
let fullChatTokens = 0;

before(async () => {
  server = await startServer();
  const r = await server.client().completions.create(BODY);
  fullTokens = r.usage!.completion_tokens;
  fullChatTokens = (await server.client().chat.completions.create(CHAT)).usage!.completion_tokens;
});
after(async () => {
  await server.close();
});

/** The completion tokens of the last access-log line for `path` with status 499. */
function cancelledTokens(path: string): number | null {
  const line = server.logs.filter((l) => l.startsWith(`POST ${path} 499 `)).at(-1);
  if (!line) return null;
  assert.match(line, /\(client closed\)$/);
  const m = / \d+\+(\d+) tokens/.exec(line);
  return m ? Number(m[1]) : null;
}

test('the uncancelled request is long enough for the cancel tests to mean something', () => {
  assert.ok(fullTokens >= 200, `full answer has ${fullTokens} tokens`);
  assert.ok(fullChatTokens >= 200, `full chat answer has ${fullChatTokens} tokens`);
});

test('a streaming client that aborts after the first chunk cancels its generation', async () => {
  const ac = new AbortController();
  const stream = await server.client().completions.create({ ...BODY, stream: true }, { signal: ac.signal });
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(first.done, false);
  assert.equal(server.engine.active, 1);
  ac.abort();
  assert.ok(await waitFor(() => server.engine.active === 0), 'slot freed');
  assert.ok(await waitFor(() => cancelledTokens('/v1/completions') !== null), server.logs.join('\n'));
  const n = cancelledTokens('/v1/completions')!;
  assert.ok(n < fullTokens, `cancelled after ${n} of ${fullTokens} tokens`);
});

test('a non-streaming client that closes its connection cancels its generation', async () => {
  const url = new URL(`${server.url}/v1/chat/completions`);
  const body = JSON.stringify(CHAT);
  const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  req.on('error', () => undefined); // the socket is destroyed on purpose
  req.end(body);
  assert.ok(await waitFor(() => server.engine.active === 1), 'generation started');
  req.destroy();
  assert.ok(await waitFor(() => server.engine.active === 0 && server.engine.queued === 0), 'slot freed');
  assert.ok(await waitFor(() => cancelledTokens('/v1/chat/completions') !== null), server.logs.join('\n'));
  const n = cancelledTokens('/v1/chat/completions')!;
  assert.ok(n < fullChatTokens, `cancelled after ${n} of ${fullChatTokens} tokens`);
});

test('the engine closing mid-stream (server shutdown) ends the stream with an error event', async () => {
  const s = await startServer();
  try {
    const stream = await s.client().chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 400, stream: true });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    void s.engine.close();
    let err: unknown = null;
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) { /* drain */ }
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof OpenAI.APIError, `expected an APIError, got ${String(err)}`);
    assert.equal(err.code, 'server_shutting_down');
    const res = await fetch(`${s.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'Hi' }) });
    assert.equal(res.status, 503);
  } finally {
    await s.close();
  }
});
