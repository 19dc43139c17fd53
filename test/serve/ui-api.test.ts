// The web UI's routes without a browser, on a server started with an API key: the dashboard's
// JSON routes (/api/runs, /api/runs/:name/metrics) over real run directories, the pages and
// their files, what the key guards, and that no answer of any route holds an absolute
// server path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ChatTemplate } from '../../src/infer/chat-template.ts';
import { InferenceEngine } from '../../src/infer/scheduler.ts';
import { readMetrics } from '../../src/io/metrics-file.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { createServer } from '../../src/serve/server.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { API_KEY, makeRuns } from './ui-runs.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-ui-api-'));
const MODEL_DIR = new URL('../../data/llama2c-stories260k/', import.meta.url).pathname;
const loaded = loadModel(join(MODEL_DIR, 'stories260K.bin'), join(MODEL_DIR, 'tok512.bin'));
const engine = new InferenceEngine(loaded.model, loaded.tokenizer);
const auth = { authorization: `Bearer ${API_KEY}` };
let runsDir: string;
let app: FastifyInstance;

before(async () => {
  runsDir = await makeRuns(root);
  app = await createServer({ engine, tokenizer: loaded.tokenizer, template: ChatTemplate.chatml(), modelId: 'stories260K', apiKey: API_KEY, runsDir });
  // a route that fails as a bug would, with a server path in its message (the 500 must not show it)
  app.get('/v1/boom', async () => {
    throw new Error(`ENOENT: no such file or directory, open '${join(root, 'runs', 'secret.bin')}'`);
  });
  await app.ready();
});

after(async () => {
  await app?.close();
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

test('GET /api/runs lists the runs that have a metrics.jsonl, with their last step and loss; runsDir is not an absolute path', async () => {
  const res = await app.inject({ method: 'GET', url: '/api/runs', headers: auth });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { runsDir: string; runs: { name: string; step: number; loss: number; valLoss: number; records: number; finished: boolean; active: boolean }[] };
  assert.equal(body.runsDir, 'runs'); // outside the working directory: its last name only
  const recs = readMetrics(join(runsDir, 'tiny-run'));
  const lastTrain = recs.filter((r) => r.kind === 'train').pop()!;
  const lastEval = recs.filter((r) => r.kind === 'eval').pop()!;
  const run = body.runs.find((r) => r.name === 'tiny-run');
  assert.ok(run, JSON.stringify(body.runs));
  assert.deepEqual(body.runs.map((r) => r.name).filter((n) => n === 'no-metrics'), []);
  assert.equal(run.step, 24);
  assert.equal(run.loss, lastTrain.loss);
  assert.equal(run.valLoss, lastEval.valLoss);
  assert.equal(run.records, recs.length);
  assert.equal(run.finished, true); // the final whole-split eval is there
  assert.equal(run.active, false);
});

test('GET /api/runs/:name/metrics returns the records and the config with paths made relative; bad names are 400, missing runs 404', async () => {
  const res = await app.inject({ method: 'GET', url: '/api/runs/tiny-run/metrics', headers: auth });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { records: unknown[]; config: { maxSteps: number; preset: string; data: string; out: string } };
  assert.deepEqual(body.records, readMetrics(join(runsDir, 'tiny-run')));
  assert.equal(body.config.maxSteps, 24);
  assert.equal(body.config.preset, 'tiny');
  assert.equal(body.config.data, 'data'); // was join(root, 'data')
  assert.equal(body.config.out, 'tiny-run'); // was join(root, 'runs', 'tiny-run')

  writeFileSync(join(root, 'secret.jsonl'), '{"step":1,"kind":"train","loss":1}\n');
  mkdirSync(join(root, 'outside'), { recursive: true });
  writeFileSync(join(root, 'outside', 'metrics.jsonl'), '{"step":1,"kind":"train","loss":1}\n');
  for (const name of ['..%2Foutside', '..%2F..%2Fetc', '.hidden', '%2Fetc', 'a%5Cb', 'tiny-run%00']) {
    const r = await app.inject({ method: 'GET', url: `/api/runs/${name}/metrics`, headers: auth });
    assert.equal(r.statusCode, 400, `${name}: ${r.statusCode} ${r.body}`);
    assert.match((r.json() as { error: { message: string } }).error.message, /bad run name/);
  }
  // a plain '..' segment is resolved by URL normalisation before routing: it never reaches the route
  for (const name of ['..', '%2E%2E']) {
    const r = await app.inject({ method: 'GET', url: `/api/runs/${name}/metrics`, headers: auth });
    assert.equal(r.statusCode, 404, name);
  }
  const missing = await app.inject({ method: 'GET', url: '/api/runs/no-metrics/metrics', headers: auth });
  assert.equal(missing.statusCode, 404);
  assert.equal((missing.json() as { error: { message: string } }).error.message, 'no run "no-metrics" with a metrics.jsonl in the runs directory (runs)');
});

test('pages, web/ assets and the Chart.js build are served without the key; nothing outside web/ is', async () => {
  for (const [url, type, text] of [
    ['/', 'text/html', 'id="messages"'],
    ['/dashboard', 'text/html', 'id="chart-loss"'],
    ['/ui/chat.js', 'text/javascript', 'readSse'],
    ['/ui/api-key.js', 'text/javascript', 'withApiKey'],
    ['/ui/style.css', 'text/css', '.chat-layout'],
    ['/ui/vendor/chart.umd.js', 'text/javascript', 'Chart'],
  ]) {
    const r = await app.inject({ method: 'GET', url: url! });
    assert.equal(r.statusCode, 200, url);
    assert.ok(String(r.headers['content-type']).startsWith(type!), `${url}: ${r.headers['content-type']}`);
    assert.ok(r.body.includes(text!), url);
  }
  for (const url of ['/ui/..%2Fpackage.json', '/ui/.env', '/ui/nope.js', '/ui/%2E%2E%2Fsrc%2Fserve%2Fui.ts']) {
    const r = await app.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 404, url);
  }
});

test('with an API key, everything but the pages needs it: /api/*, /v1/*, /health and unknown URLs, however spelled', async () => {
  const guarded: [string, string][] = [
    ['GET', '/api/runs'], ['GET', '/api/runs/tiny-run/metrics'], ['GET', '/api/runs/no-metrics/metrics'], ['HEAD', '/api/runs'],
    ['GET', '/%61pi/runs'], ['GET', '/api/runs/'], ['GET', '/api/runs?x=1'], ['GET', '//api/runs'], ['GET', '/ui/../api/runs'],
    ['GET', '/v1/models'], ['GET', '/v1/models/stories260K'], ['POST', '/v1/completions'], ['POST', '/v1/embeddings'],
    ['GET', '/health'], ['GET', '/nope'], ['OPTIONS', '/api/runs'],
  ];
  for (const [method, url] of guarded) {
    for (const headers of [{}, { authorization: 'Bearer sk-wrong' }, { authorization: API_KEY }]) {
      const r = await app.inject({ method: method as 'GET', url, headers });
      assert.equal(r.statusCode, 401, `${method} ${url} ${JSON.stringify(headers)}: ${r.statusCode} ${r.body.slice(0, 200)}`);
      assert.equal(r.headers['www-authenticate'], 'Bearer');
      if (method !== 'HEAD') assert.equal((r.json() as { error: { code: string } }).error.code, 'invalid_api_key');
    }
  }
  // with the key, the same routes answer
  assert.equal((await app.inject({ method: 'GET', url: '/api/runs', headers: auth })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/health', headers: auth })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/nope', headers: auth })).statusCode, 404);
  // the pages hold no data and stay open
  for (const url of ['/', '/dashboard', '/ui/dashboard.js', '/ui/vendor/chart.umd.js']) {
    assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
  }
});

test('no answer of any route holds an absolute server path (configs, records, error messages, 404s, 500s)', async () => {
  // a run whose config and records name server paths, as a run that stopped on a NaN loss does
  const dir = join(runsDir, 'paths-run');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train_config.json'), JSON.stringify({
    preset: 'tiny', data: join(root, 'data'), out: dir, corpus: `${join(root, 'a.txt')},${join(root, 'b.jsonl')}`, tokenizer: join(homedir(), 'tok', 'tokenizer.json'),
    nested: { list: [join(process.cwd(), 'runs', 'x')] },
  }));
  const log = new MetricsLog(dir, { resumeStep: 0 });
  log.write({ step: 1, kind: 'train', loss: 4, lr: 1e-3, tokPerSec: 1000, gradNorm: 1 });
  log.write({ step: 2, kind: 'train', loss: NaN, error: `loss is not finite at step 2; the last good checkpoint is ${join(dir, 'checkpoints', 'step-1')}. Resume from it (at ${dir}/trainer_state.json)` });

  const secrets = [root, runsDir, process.cwd(), homedir(), tmpdir()];
  const bodies: [string, string][] = [];
  const ask = async (method: string, url: string, payload?: unknown): Promise<void> => {
    const r = await app.inject({ method: method as 'GET', url, headers: { ...auth, ...(payload ? { 'content-type': 'application/json' } : {}) }, payload: payload as string });
    bodies.push([`${method} ${url} ${r.statusCode}`, r.body]);
  };
  for (const url of ['/api/runs', '/api/runs/paths-run/metrics', '/api/runs/tiny-run/metrics', '/api/runs/no-metrics/metrics', '/api/runs/nope/metrics',
    '/api/runs/..%2Fx/metrics', '/v1/models', '/v1/models/stories260K', '/v1/models/gpt-4', '/health', '/nope', '/ui/nope.js', '/v1/boom']) {
    await ask('GET', url);
  }
  await ask('POST', '/v1/completions', { prompt: 'Hi', max_tokens: 2 });
  await ask('POST', '/v1/completions', { prompt: 'Hi', max_tokens: -1 });
  await ask('POST', '/v1/chat/completions', { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 });
  await ask('POST', '/v1/chat/completions', { messages: 'Hi' });
  await ask('POST', '/v1/embeddings', { input: 'Hi' });
  await ask('POST', '/v1/embeddings', { model: 'gpt-4', input: 'Hi' });
  await ask('GET', '/v1/completions');

  for (const [what, body] of bodies) {
    for (const s of secrets) assert.ok(!body.includes(s), `${what} holds ${s}: ${body.slice(0, 400)}`);
  }
  const metrics = JSON.parse(bodies.find(([w]) => w.startsWith('GET /api/runs/paths-run/metrics 200'))![1]) as { config: Record<string, unknown>; records: { error?: string }[] };
  assert.deepEqual(metrics.config, {
    preset: 'tiny', data: 'data', out: 'paths-run', corpus: 'a.txt,b.jsonl', tokenizer: 'tokenizer.json', nested: { list: ['runs/x'] },
  });
  assert.equal(metrics.records[1]!.error, 'loss is not finite at step 2; the last good checkpoint is step-1. Resume from it (at trainer_state.json)');
  const boom = bodies.find(([w]) => w.startsWith('GET /v1/boom'))!;
  assert.match(boom[0], / 500$/);
  assert.match(boom[1], /no such file or directory, open 'secret\.bin'/);
});
