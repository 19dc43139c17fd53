/**
 * The task routes and /v1/embeddings over real HTTP on models that do not generate: a BERT
 * sequence classifier (embeddings equal to transformers' masked mean; the official openai
 * client's base64 embeddings; classify equal to the softmax of transformers' logits), a
 * BART (summaries and translations equal to transformers' generate), a Tree-LSTM (phrases);
 * the generation routes answer such models with a 400 model_not_supported listing the
 * routes they serve; request bodies are checked field by field (OpenAI-shaped 400s); and
 * `llmts serve` starts on an encoder without a decode step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { saveTreeModel } from '../../src/io/tree-model-dir.ts';
import { treeConfig, treeFamily } from '../../src/models/tree/index.ts';
import { createServer } from '../../src/serve/server.ts';
import { classify, loadTaskModel, type TaskModel } from '../../src/tasks/index.ts';
import { startServer } from './api-server.ts';

const BERT = 'test/fixtures/hf-bert', BART = 'test/fixtures/hf-bart';
const bert = JSON.parse(readFileSync(join(BERT, 'expected.json'), 'utf8')) as { sentences: string[]; cls: { logits: number[] }; embed: { mean: number[][] } };
const bart = JSON.parse(readFileSync(join(BART, 'expected.json'), 'utf8')) as { sources: string[]; generate: { settings: Record<string, number>; single: { ids: number[] }[] }[] };
const root = mkdtempSync(join(tmpdir(), 'llmts-tasks-api-'));

interface Served { url: string; logs: string[]; close(): Promise<void> }

async function serve(task: TaskModel, modelId: string): Promise<Served> {
  const logs: string[] = [];
  const app = await createServer({ task, modelId, log: (l) => logs.push(l) });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, logs, close: async () => { await app.close(); } };
}

/** POSTs JSON; returns the status and the parsed body. */
async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> & { error?: { message: string; param: string | null; code: string | null; type: string } } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

const servers: Served[] = [];
test.after(async () => {
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

test('a BERT classifier: /v1/embeddings (masked mean, also as the openai client\'s base64), /v1/tasks/classify (transformers\' softmax), /health', async () => {
  const s = await serve(loadTaskModel(join(BERT, 'cls')), 'bert-cls');
  servers.push(s);
  const emb = await post(`${s.url}/v1/embeddings`, { input: bert.sentences });
  assert.equal(emb.status, 200, JSON.stringify(emb.body));
  const data = emb.body.data as { index: number; embedding: number[] }[];
  data.forEach((d, i) => d.embedding.forEach((v, k) => assert.ok(Math.abs(v - bert.embed.mean[i]![k]!) < 1e-4, `text ${i} dim ${k}`)));
  const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const viaClient = await client.embeddings.create({ model: 'bert-cls', input: bert.sentences[0]! }); // base64 on the wire
  viaClient.data[0]!.embedding.forEach((v, k) => assert.ok(Math.abs(v - bert.embed.mean[0]![k]!) < 1e-4));
  assert.ok((viaClient.usage.prompt_tokens) > 2, 'tokens counted with [CLS] and [SEP]');

  const cls = await post(`${s.url}/v1/tasks/classify`, { input: bert.sentences[0] });
  assert.equal(cls.status, 200, JSON.stringify(cls.body));
  const [item] = cls.body.data as { index: number; label: string; score: number; scores: { label: string; score: number }[] }[];
  const logits = bert.cls.logits.slice(0, 3), z = logits.reduce((a, x) => a + Math.exp(x), 0);
  item!.scores.forEach((sc, k) => assert.ok(Math.abs(sc.score - Math.exp(logits[k]!) / z) < 1e-4));
  assert.equal(item!.label, `LABEL_${logits.indexOf(Math.max(...logits))}`);
  const senti = await post(`${s.url}/v1/tasks/sentiment`, { input: [bert.sentences[0]] });
  assert.deepEqual(senti.body.data, cls.body.data, 'sentiment is classify');

  const health = await (await fetch(`${s.url}/health`)).json() as Record<string, unknown>;
  assert.equal(health.kind, 'encoder');
  assert.deepEqual(health.labels, ['LABEL_0', 'LABEL_1', 'LABEL_2']);
  assert.deepEqual(health.routes, ['/v1/embeddings', '/v1/tasks/classify', '/v1/tasks/sentiment', '/v1/tasks/embed']);
  assert.equal(health.context_length, 64);
});

test('models that cannot do a route: 400 model_not_supported naming the model, what the route needs and the routes it serves', async () => {
  const s = servers[0]!;
  const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  await assert.rejects(client.chat.completions.create({ model: 'bert-cls', messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.code, 'model_not_supported');
    assert.equal(e.param, 'model');
    assert.match(e.message, /The model 'bert-cls' is a bert encoder with a sequence-classification head: POST \/v1\/chat\/completions needs a decoder \(language\) model .*POST \/v1\/tasks\/classify/);
    return true;
  });
  const sum = await post(`${s.url}/v1/tasks/summarize`, { input: 'x' });
  assert.equal(sum.status, 400);
  assert.equal(sum.body.error!.code, 'model_not_supported');
  assert.match(sum.body.error!.message, /needs an encoder-decoder/);
  const comp = await post(`${s.url}/v1/completions`, { prompt: 'x' });
  assert.equal(comp.body.error!.code, 'model_not_supported');
  assert.match(s.logs.join('\n'), /POST \/v1\/chat\/completions 400 \d+ ms/);
});

test('a BART: /v1/tasks/summarize (greedy) and /v1/tasks/translate (num_beams 4) equal transformers\' generate; too long is context_length_exceeded', async () => {
  const m = loadTaskModel(join(BART, 'model'));
  const s = await serve(m, 'bart');
  servers.push(s);
  const decode = (ids: number[]) => m.kind === 'seq2seq' ? m.tokenizer.decode(ids.slice(1, ids[ids.length - 1] === 2 ? -1 : undefined), { skipSpecialTokens: true }) : '';
  const greedy = bart.generate.find((g) => g.settings.num_beams === 1)!;
  const sum = await post(`${s.url}/v1/tasks/summarize`, { input: bart.sources, max_length: 20 });
  assert.equal(sum.status, 200, JSON.stringify(sum.body));
  assert.deepEqual(sum.body.data, greedy.single.map((x, index) => ({ index, summary_text: decode(x.ids) })));
  const beam = bart.generate.find((g) => g.settings.num_beams === 4 && g.settings.max_length === 20 && Object.keys(g.settings).length === 2)!;
  const tr = await post(`${s.url}/v1/tasks/translate`, { model: 'bart', input: bart.sources, num_beams: 4, max_length: 20 });
  assert.deepEqual(tr.body.data, beam.single.map((x, index) => ({ index, translation_text: decode(x.ids) })));
  assert.ok((tr.body.usage as { prompt_tokens: number }).prompt_tokens > 0);
  const long = await post(`${s.url}/v1/tasks/summarize`, { input: 'word '.repeat(400) });
  assert.equal(long.status, 400);
  assert.equal(long.body.error!.code, 'context_length_exceeded');
  const emb = await post(`${s.url}/v1/tasks/embed`, { input: 'a cat' });
  assert.equal(emb.status, 200, 'an encoder-decoder embeds with its encoder');
  const cls = await post(`${s.url}/v1/tasks/classify`, { input: 'a cat' });
  assert.equal(cls.body.error!.code, 'model_not_supported');
});

test('request bodies are checked field by field: 400 naming the param; 405 for GET on a task route', async () => {
  const bartUrl = servers[1]!.url, bertUrl = servers[0]!.url;
  const cases: [string, unknown, string, RegExp][] = [
    [`${bartUrl}/v1/tasks/summarize`, {}, 'input', /input must be a non-empty string or an array of non-empty strings/],
    [`${bartUrl}/v1/tasks/summarize`, { input: [] }, 'input', /input must be a non-empty string/],
    [`${bartUrl}/v1/tasks/summarize`, { input: ['ok', 3] }, 'input', /input\[1\] must be a string/],
    [`${bartUrl}/v1/tasks/translate`, { input: ['ok', '  '] }, 'input', /input\[1\] must not be empty/],
    [`${bartUrl}/v1/tasks/translate`, { input: 'ok', num_beams: 0 }, 'num_beams', /num_beams must be an integer between 1 and 16, got 0/],
    [`${bartUrl}/v1/tasks/translate`, { input: 'ok', max_length: 10_000 }, 'max_length', /max_length must be an integer between 2 and/],
    [`${bartUrl}/v1/tasks/translate`, { input: 'ok', max_length: 5, min_length: 9 }, 'min_length', /min_length \(9\) must not be larger than max_length \(5\)/],
    [`${bartUrl}/v1/tasks/translate`, { input: 'ok', early_stopping: 'yes' }, 'early_stopping', /early_stopping must be true or false/],
    [`${bertUrl}/v1/tasks/classify`, { input: 'ok', phrases: true }, 'phrases', /phrases .* is for Tree-LSTM models/],
    [`${bertUrl}/v1/tasks/classify`, { input: 'ok', explain: 1 }, 'explain', /explain must be true or false/],
    [`${bertUrl}/v1/tasks/classify`, { input: Array(300).fill('x') }, 'input', /at most 256 per request/],
    [`${bertUrl}/v1/tasks/embed`, { input: 'ok', pooling: 'max' }, 'pooling', /pooling must be "mean" or "cls"/],
    [`${bertUrl}/v1/embeddings`, { input: [1, 2, 3] }, 'input', /token ids as input need a decoder model/],
    [`${bertUrl}/v1/tasks/classify`, { input: 'ok', model: 'gpt-4' }, 'model', /The model 'gpt-4' does not exist/],
  ];
  for (const [url, body, param, re] of cases) {
    const r = await post(url, body);
    assert.ok(r.status === 400 || r.status === 404, `${JSON.stringify(body)}: ${r.status}`);
    assert.equal(r.body.error!.param, param, JSON.stringify(r.body));
    assert.match(r.body.error!.message, re);
  }
  // a BERT classifier explains its label by attention rollout (src/tasks/explain-attention.ts)
  const explain = await post(`${bertUrl}/v1/tasks/classify`, { input: 'a witty film', explain: true });
  assert.equal(explain.status, 200, JSON.stringify(explain.body));
  assert.deepEqual((explain.body.data as { attention: unknown }[])[0]!.attention, classify(loadTaskModel(join(BERT, 'cls')), ['a witty film'], { explain: true })[0]!.attention);
  const get = await fetch(`${bartUrl}/v1/tasks/summarize`);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  const cls = await post(`${bertUrl}/v1/tasks/embed`, { input: bert.sentences[0], pooling: 'cls' });
  assert.equal(cls.status, 200, '[CLS] pooling on an encoder');
});

test('a Tree-LSTM: /v1/tasks/sentiment with phrases; no embeddings', async () => {
  const vocab = ['<unk>', 'a', 'great', 'film'];
  const model = treeFamily.create(treeConfig({ arch: 'tree-lstm', vocabSize: vocab.length, embedDim: 8, hiddenSize: 6, numLabels: 2 }), { seed: 2 });
  saveTreeModel(join(root, 'tree'), { model, vocab, labels: ['neg', 'pos'], lowercase: true });
  const s = await serve(loadTaskModel(join(root, 'tree')), 'sst');
  servers.push(s);
  const r = await post(`${s.url}/v1/tasks/sentiment`, { input: 'a great film', phrases: true });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const [item] = r.body.data as { label: string; phrases: { text: string; depth: number }[]; tree: string }[];
  assert.deepEqual(item!.phrases.map((p) => [p.text, p.depth]), [['a great film', 0], ['a', 1], ['great film', 1], ['great', 2], ['film', 2]]);
  assert.match(item!.tree, /^\(\d \(\d a\) \(\d \(\d great\) \(\d film\)\)\)$/);
  const emb = await post(`${s.url}/v1/embeddings`, { input: 'a' });
  assert.equal(emb.body.error!.code, 'model_not_supported');
  const health = await (await fetch(`${s.url}/health`)).json() as Record<string, unknown>;
  assert.equal(health.context_length, null);
});

test('a decoder server keeps its routes and adds /v1/tasks/embed (= /v1/embeddings); classify is model_not_supported', async () => {
  const s = await startServer();
  try {
    const a = await post(`${s.url}/v1/embeddings`, { input: 'Once upon a time' });
    const b = await post(`${s.url}/v1/tasks/embed`, { input: 'Once upon a time' });
    assert.equal(b.status, 200);
    assert.deepEqual(b.body.data, a.body.data);
    const c = await post(`${s.url}/v1/tasks/classify`, { input: 'x' });
    assert.equal(c.body.error!.code, 'model_not_supported');
    assert.match(c.body.error!.message, /a decoder-only language model: POST \/v1\/tasks\/classify needs a classifier .*POST \/v1\/completions/);
  } finally {
    await s.close();
  }
});

test('llmts serve starts on an encoder (no decode step): task routes answer, chat is model_not_supported', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--model', join(BERT, 'cls'), '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; stdout: ${out} stderr: ${err}`)), 60_000);
      child.stdout.on('data', () => {
        const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    assert.match(out, /cls \(a bert encoder with a sequence-classification head: task routes only\)/);
    const r = await post(`${url}/v1/tasks/classify`, { input: 'the cat' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const chat = await post(`${url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(chat.body.error!.code, 'model_not_supported');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, err);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
