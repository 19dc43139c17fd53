// The server end to end over real HTTP with the official `openai` npm client, unchanged:
// models, completions and chat completions (streaming and not, logprobs), embeddings,
// seeded determinism, stop strings, and the access log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { encodePrompt } from '../../src/infer/tokens.ts';
import { loaded, MODEL_DIR, MODEL_ID, startServer, type TestServer } from './api-server.ts';

const golden = JSON.parse(readFileSync(`${MODEL_DIR}/expected-greedy.json`, 'utf8')) as {
  cases: { prompt: string; prompt_ids_with_bos: number[]; next_tokens_per_step: number[]; stdout_text: string }[];
};

let server: TestServer;
let client: OpenAI;
before(async () => {
  server = await startServer();
  client = server.client();
});
after(async () => {
  await server.close();
});

test('models.list and models.retrieve show the one model', async () => {
  const ids: string[] = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [MODEL_ID]);
  const m = await client.models.retrieve(MODEL_ID);
  assert.equal(m.object, 'model');
  assert.equal(m.owned_by, 'llmts');
});

test('an unknown model is a 404 model_not_found on completions, chat (streaming too), embeddings and models.retrieve; aliases and an absent model are served', async () => {
  const aliased = await startServer({ modelAliases: ['gpt-4o-mini', 'org/story-model'] });
  const c = aliased.client();
  try {
    const unknown: [string, () => Promise<unknown>][] = [
      ['completions', () => c.completions.create({ model: 'gpt-4', prompt: 'Hi', max_tokens: 2 })],
      ['chat', () => c.chat.completions.create({ model: 'gpt-4', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 })],
      ['chat stream', () => c.chat.completions.create({ model: 'gpt-4', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2, stream: true })],
      ['embeddings', () => c.embeddings.create({ model: 'gpt-4', input: 'Hi' })],
      ['embeddings, case differs', () => c.embeddings.create({ model: 'Stories260K', input: 'Hi' })],
      ['models.retrieve', () => c.models.retrieve('gpt-4')],
    ];
    for (const [what, call] of unknown) {
      const e = await call().then(() => assert.fail(`${what}: no error`), (err: unknown) => err);
      assert.ok(e instanceof OpenAI.NotFoundError, `${what}: ${String(e)}`);
      assert.equal(e.status, 404, what);
      assert.equal(e.code, 'model_not_found', what);
      assert.equal(e.param, 'model', what);
      assert.equal(e.type, 'invalid_request_error', what);
      assert.match(e.message, /The model '(gpt-4|Stories260K)' does not exist\. This server runs 'stories260K'/, what);
    }
    assert.equal(aliased.engine.active + aliased.engine.queued, 0);
    // the id and each alias are served; responses carry the model's id
    for (const model of [MODEL_ID, 'gpt-4o-mini', 'org/story-model']) {
      const r = await c.completions.create({ model, prompt: 'Once upon a time', max_tokens: 3, temperature: 0 });
      assert.equal(r.model, MODEL_ID, model);
      const chat = await c.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3 });
      assert.equal(chat.model, MODEL_ID, model);
      const emb = await c.embeddings.create({ model, input: 'Hi' });
      assert.equal(emb.model, MODEL_ID, model);
      assert.equal((await c.models.retrieve(model)).id, MODEL_ID, model);
    }
    // no model field at all (curl users): the one model
    const res = await fetch(`${aliased.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'Hi', max_tokens: 2 }) });
    assert.equal(res.status, 200);
    assert.equal((await res.json() as { model: string }).model, MODEL_ID);
    // a model that is not a string is a 400
    const bad = await fetch(`${aliased.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 5, prompt: 'Hi' }) });
    assert.equal(bad.status, 400);
  } finally {
    await aliased.close();
  }
});

test('completions.create, greedy: the text of llama2.c run.c (golden), with usage', async () => {
  const c = golden.cases[1]!; // 'Once upon a time, Tom'
  const fresh = c.next_tokens_per_step.length - (c.prompt_ids_with_bos.length - 1);
  const r = await client.completions.create({ model: MODEL_ID, prompt: c.prompt, max_tokens: fresh, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.model, MODEL_ID);
  assert.equal(r.choices.length, 1);
  assert.equal(c.prompt + r.choices[0]!.text + '\n', c.stdout_text);
  assert.equal(r.choices[0]!.finish_reason, 'length');
  assert.deepEqual(r.usage, { prompt_tokens: c.prompt_ids_with_bos.length, completion_tokens: fresh, total_tokens: c.prompt_ids_with_bos.length + fresh });
});

test('completions.create with stream: the chunks add up to the non-streamed text; include_usage', async () => {
  const body = { model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 40, temperature: 0.9, seed: 5 };
  const whole = await client.completions.create(body);
  const stream = await client.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const ch of chunk.choices) {
      text += ch.text;
      finish = ch.finish_reason ?? finish;
    }
  }
  assert.ok(chunks > 5, `one chunk per token expected, got ${chunks}`);
  assert.equal(text, whole.choices[0]!.text);
  assert.equal(finish, whole.choices[0]!.finish_reason);
  assert.deepEqual(usage, whole.usage);
});

test('completions: the same seed gives the same text, another seed another text', async () => {
  const body = { model: MODEL_ID, prompt: 'Lily and Ben', max_tokens: 48, temperature: 1 };
  const a = await client.completions.create({ ...body, seed: 42 });
  const b = await client.completions.create({ ...body, seed: 42 });
  const c = await client.completions.create({ ...body, seed: 43 });
  assert.equal(a.choices[0]!.text, b.choices[0]!.text);
  assert.notEqual(a.choices[0]!.text, c.choices[0]!.text);
});

test('completions: stop strings end the text before their first occurrence (string and array)', async () => {
  const body = { model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 60, temperature: 0 };
  const full = (await client.completions.create(body)).choices[0]!.text;
  const at = full.indexOf('.');
  assert.ok(at > 0, full);
  const one = await client.completions.create({ ...body, stop: '.' });
  assert.equal(one.choices[0]!.text, full.slice(0, at));
  assert.equal(one.choices[0]!.finish_reason, 'stop');
  const word = full.slice(at + 2).split(' ')[1]!; // a word after the first sentence
  const two = await client.completions.create({ ...body, stop: ['zzz', word] });
  assert.equal(two.choices[0]!.text, full.slice(0, full.indexOf(word)));
  // streamed, the stop string is never sent either
  let streamed = '';
  for await (const ch of await client.completions.create({ ...body, stop: '.', stream: true })) streamed += ch.choices[0]?.text ?? '';
  assert.equal(streamed, full.slice(0, at));
});

test('completions: integer logprobs give tokens, token_logprobs, top_logprobs and text_offset', async () => {
  const r = await client.completions.create({ model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 12, temperature: 0, logprobs: 3 });
  const ch = r.choices[0]!;
  const lp = ch.logprobs!;
  assert.equal(lp.tokens!.length, 12);
  assert.equal(lp.tokens!.join(''), ch.text);
  for (let i = 0; i < 12; i++) {
    const top = lp.top_logprobs![i]!;
    assert.ok(lp.token_logprobs![i]! <= 0);
    // greedy: the chosen token is the likeliest, so it is the top entry and holds the max logprob
    assert.equal(Math.max(...Object.values(top)), lp.token_logprobs![i]);
    assert.ok(Object.keys(top).length >= 1 && Object.keys(top).length <= 4);
    assert.equal(lp.text_offset![i], lp.tokens!.slice(0, i).join('').length);
  }
});

test('completions: penalties, top_k and repetition_penalty reach the engine', async () => {
  const body = { model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 60, temperature: 0 };
  const plain = (await client.completions.create(body)).choices[0]!.text;
  const extra = (e: Record<string, number>): Promise<OpenAI.Completion> => client.completions.create({ ...body, ...e } as OpenAI.CompletionCreateParamsNonStreaming);
  assert.notEqual((await extra({ frequency_penalty: 2 })).choices[0]!.text, plain);
  assert.notEqual((await extra({ presence_penalty: 2 })).choices[0]!.text, plain);
  assert.notEqual((await extra({ repetition_penalty: 3 })).choices[0]!.text, plain);
  // top_k 1 keeps only the likeliest token: temperature 1 is then greedy
  assert.equal((await extra({ top_k: 1, temperature: 1, seed: 9 })).choices[0]!.text, plain);
  assert.notEqual((await extra({ temperature: 1, seed: 9 })).choices[0]!.text, plain);
});

test('completions: token-id prompt and echo', async () => {
  const ids = encodePrompt(loaded.tokenizer, 'Once upon a time');
  const byText = await client.completions.create({ model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 10, temperature: 0 });
  const byIds = await client.completions.create({ model: MODEL_ID, prompt: ids, max_tokens: 10, temperature: 0 });
  assert.equal(byIds.choices[0]!.text, byText.choices[0]!.text);
  const echoed = await client.completions.create({ model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 10, temperature: 0, echo: true });
  assert.equal(echoed.choices[0]!.text, 'Once upon a time' + byText.choices[0]!.text);
});

test('chat.completions.create: an assistant message, logprobs with top_logprobs', async () => {
  const messages = [{ role: 'system' as const, content: 'You tell stories.' }, { role: 'user' as const, content: 'Tell me about a cat.' }];
  const r = await client.chat.completions.create({ model: MODEL_ID, messages, max_completion_tokens: 16, temperature: 0, logprobs: true, top_logprobs: 3 });
  assert.equal(r.object, 'chat.completion');
  const ch = r.choices[0]!;
  assert.equal(ch.message.role, 'assistant');
  assert.ok(typeof ch.message.content === 'string' && ch.message.content.length > 0);
  const content = ch.logprobs!.content!;
  assert.equal(content.length, r.usage!.completion_tokens);
  for (const t of content) {
    assert.equal(t.top_logprobs.length, 3);
    assert.ok(t.top_logprobs[0]!.logprob >= t.top_logprobs[1]!.logprob && t.top_logprobs[1]!.logprob >= t.top_logprobs[2]!.logprob);
    assert.equal(t.logprob, t.top_logprobs[0]!.logprob); // greedy
    assert.deepEqual(t.bytes, [...Buffer.from(t.token, 'utf8')]);
  }
  if (ch.finish_reason === 'length') assert.equal(content.map((t) => t.token).join(''), ch.message.content);
  assert.ok(r.usage!.prompt_tokens > 10);
});

test('chat.completions.create with stream: role first, content deltas equal the non-streamed answer', async () => {
  const body = { model: MODEL_ID, messages: [{ role: 'user' as const, content: 'Once upon a time' }], max_tokens: 30, temperature: 0.8, seed: 11 };
  const whole = await client.chat.completions.create(body);
  const stream = await client.chat.completions.create({ ...body, stream: true, logprobs: true });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0]!.object, 'chat.completion.chunk');
  assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.equal(text, whole.choices[0]!.message.content);
  assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, whole.choices[0]!.finish_reason);
  const lps = chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []);
  assert.equal(lps.length, whole.usage!.completion_tokens);
  assert.ok(new Set(chunks.map((c) => c.id)).size === 1);
});

test('embeddings.create: unit vectors of the model width, base64 (client default) equals float', async () => {
  const input = ['a cat sat on the mat', 'a dog', 'Once upon a time'];
  const r = await client.embeddings.create({ model: MODEL_ID, input }); // the client asks for base64 and decodes it
  assert.equal(r.data.length, 3);
  const C = loaded.model.config.nEmbd;
  for (const [i, d] of r.data.entries()) {
    assert.equal(d.index, i);
    assert.equal(d.embedding.length, C);
    const norm = Math.hypot(...d.embedding);
    assert.ok(Math.abs(norm - 1) < 1e-4, `norm ${norm}`);
  }
  const f = await client.embeddings.create({ model: MODEL_ID, input, encoding_format: 'float' });
  for (let i = 0; i < 3; i++) {
    const a = r.data[i]!.embedding, b = f.data[i]!.embedding;
    for (let j = 0; j < C; j++) assert.ok(Math.abs(a[j]! - b[j]!) < 1e-6);
  }
  assert.notDeepEqual(f.data[0]!.embedding, f.data[1]!.embedding);
  const tokens = input.reduce((n, s) => n + encodePrompt(loaded.tokenizer, s).length, 0);
  assert.deepEqual(r.usage, { prompt_tokens: tokens, total_tokens: tokens });
  const single = await client.embeddings.create({ model: MODEL_ID, input: 'a dog', encoding_format: 'float' });
  assert.deepEqual(single.data[0]!.embedding, f.data[1]!.embedding);
});

test('GET /health and one access-log line per request with method, path, status, ms and tokens', async () => {
  const res = await fetch(`${server.url}/health`);
  assert.equal(res.status, 200);
  const h = await res.json() as { status: string; model: string; context_length: number };
  assert.equal(h.status, 'ok');
  assert.equal(h.context_length, loaded.model.config.blockSize);
  const before = server.logs.length;
  await client.completions.create({ model: MODEL_ID, prompt: 'Hi', max_tokens: 7, temperature: 0, stop: null });
  await new Promise((r) => setTimeout(r, 20));
  const lines = server.logs.slice(before);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /^POST \/v1\/completions 200 \d+ ms \d+\+\d+ tokens$/);
  assert.ok(server.logs.some((l) => /^GET \/health 200 \d+ ms$/.test(l)));
});
