// The web UI in real headless Chromium (playwright-core + the system's Chromium), against the real
// `llmts serve` server (createServer) over stories260K, started with an API key: the chat page
// (streamed answers, Stop, multi-turn history, API key, errors) and the training dashboard over
// real run directories (with the key the browser keeps, and asking for it when it has none).
// The JSON routes behind the pages are tested without a browser in ui-api.test.ts.
// scripts/run-tests.mjs runs this file (*.browser.test.ts) only where Chromium is found or
// can be installed, and says so in one line otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { ChatTemplate } from '../../src/infer/chat-template.ts';
import { InferenceEngine, type CompletionRequest, type GenerationHandle } from '../../src/infer/scheduler.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { createServer } from '../../src/serve/server.ts';
import { MetricsLog, readMetrics } from '../../src/train/metrics.ts';
import { launchChromium } from './browser.ts';
import { API_KEY, makeRuns } from './ui-runs.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-ui-'));
let runsDir: string;
let app: FastifyInstance;
let base: string;
let browser: Browser;

/** What the pages expose on `window` (the test's tsconfig has no DOM types, so `globalThis` is cast to this). */
interface PageGlobals {
  llmtsChat: { history: { role: string; content: string }[]; busy: boolean; answers: number; model: string | null };
  llmtsDashboard: { run: string | null; loads: number; active: boolean; records: unknown[]; charts: Record<string, { data: { datasets: { data: unknown[] }[] } }> };
  document: { documentElement: { scrollWidth: number; clientWidth: number } };
}

/** A new page whose browser already keeps the API key (as a returning user's does: localStorage). */
async function keyedPage(viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.addInitScript((key) => {
    (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('llmts.apiKey', key);
  }, API_KEY);
  return page;
}

/** With LLMTS_UI_SCREENSHOTS=<dir>, saves a full-page screenshot there (to look at the pages). */
async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.LLMTS_UI_SCREENSHOTS;
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** The dashboard's state as dashboard.js exposes it on `window.llmtsDashboard`. */
interface DashboardView {
  run: string | null;
  loads: number;
  active: boolean;
  points: Record<string, number[]>;
}

async function dashboardView(page: Page): Promise<DashboardView> {
  return page.evaluate(() => {
    const d = (globalThis as unknown as PageGlobals).llmtsDashboard;
    const points: Record<string, number[]> = {};
    for (const [k, chart] of Object.entries(d.charts)) points[k] = chart.data.datasets.map((ds) => ds.data.length);
    return { run: d.run, loads: d.loads, active: d.active, points };
  });
}

/**
 * The real engine, with each streamed token handed on `paceMs` later, so that a person (here
 * Playwright) can watch an answer grow and stop it halfway; stories260K alone writes a whole
 * answer in a few milliseconds.
 */
class PacedEngine extends InferenceEngine {
  paceMs = 0;

  override submit(req: CompletionRequest): GenerationHandle {
    const inner = super.submit(req);
    const engine = this; // eslint-disable-line @typescript-eslint/no-this-alias
    return {
      id: inner.id,
      result: inner.result,
      cancel: () => inner.cancel(),
      async *[Symbol.asyncIterator]() {
        for await (const ev of inner) {
          if (engine.paceMs > 0) await new Promise((r) => setTimeout(r, engine.paceMs)); // read live: 0 flushes the rest
          yield ev;
        }
      },
    };
  }
}

const MODEL_DIR = new URL('../../data/llama2c-stories260k/', import.meta.url).pathname;
const loaded = loadModel(join(MODEL_DIR, 'stories260K.bin'), join(MODEL_DIR, 'tok512.bin'));
const engine = new PacedEngine(loaded.model, loaded.tokenizer);
const accessLog: string[] = [];

before(async () => {
  browser = await launchChromium();
  runsDir = await makeRuns(root);

  app = await createServer({
    engine, tokenizer: loaded.tokenizer, template: ChatTemplate.chatml(), modelId: 'stories260K', apiKey: API_KEY, runsDir,
    log: (line) => accessLog.push(line),
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await browser?.close();
  await app?.close();
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

test('dashboard in Chromium: lists the run, plots every record, shows the config', async () => {
  const page = await keyedPage({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/dashboard`);
  await page.waitForFunction(() => (globalThis as unknown as Partial<PageGlobals>).llmtsDashboard?.loads === 1);
  const recs = readMetrics(join(runsDir, 'tiny-run'));
  const count = (kind: string, key: string): number => recs.filter((r) => r.kind === kind && typeof r[key] === 'number').length;
  const view = await dashboardView(page);
  assert.equal(view.run, 'tiny-run');
  assert.equal(count('train', 'loss'), 12); // logInterval 2 over 24 steps
  assert.deepEqual(view.points, {
    loss: [count('train', 'loss'), count('eval', 'valLoss') - 1, 1], // periodic evals, then the final one over the whole split
    lr: [count('train', 'lr')],
    tps: [count('train', 'tokPerSec')],
    grad: [count('train', 'gradNorm')],
  });
  // the run list: one button per run, the picked one pressed
  const buttons = page.locator('#run-list button');
  assert.equal(await buttons.count(), 1);
  assert.match(await buttons.first().innerText(), /tiny-run[^]*step 24/);
  assert.equal(await buttons.first().getAttribute('aria-pressed'), 'true');
  assert.match(await page.locator('#stats').innerText(), /24 \/ 24/);
  assert.match(await page.locator('#dash-status').innerText(), /Finished/);
  // the resolved config, and the chart's text alternative
  await page.locator('#config-panel summary').click();
  assert.match(await page.locator('#config').innerText(), /maxSteps\s+24/);
  assert.match(await page.locator('#chart-loss').getAttribute('aria-label') ?? '', /train loss: 12 points/);
  await shot(page, 'dashboard');
  assert.deepEqual(errors, []);
  await page.close();
});

test('dashboard follows a run that is training: new records appear without a reload', async () => {
  const dir = join(runsDir, 'live-run');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train_config.json'), JSON.stringify({ preset: 'tiny', maxSteps: 100 }));
  const log = new MetricsLog(dir, { resumeStep: 0 });
  for (let step = 1; step <= 5; step++) log.write({ step, kind: 'train', loss: 4 - step / 10, lr: 1e-3, tokPerSec: 1000, gradNorm: 1 });

  const page = await keyedPage({ width: 390, height: 844 }); // phone-sized
  await page.goto(`${base}/dashboard?run=live-run`);
  await page.waitForFunction(() => (globalThis as unknown as Partial<PageGlobals>).llmtsDashboard?.loads === 1);
  let view = await dashboardView(page);
  assert.equal(view.run, 'live-run');
  assert.equal(view.active, true);
  assert.deepEqual(view.points.loss, [5, 0, 0]);
  assert.match(await page.locator('#run-list button[data-run="live-run"]').innerText(), /training/);

  log.write({ step: 6, kind: 'train', loss: 3.3, lr: 1e-3, tokPerSec: 1000, gradNorm: 1 });
  log.write({ step: 6, kind: 'eval', valLoss: 3.5, perplexity: Math.exp(3.5), batches: 2 });
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).llmtsDashboard.records.length === 7, undefined, { timeout: 10_000 });
  view = await dashboardView(page);
  assert.deepEqual(view.points.loss, [6, 1, 0]);
  assert.match(await page.locator('#run-list button[data-run="live-run"]').innerText(), /step 6 · loss 3\.3/); // the list entry follows too
  // picking the other run from the list switches the plots
  await page.locator('#run-list button[data-run="tiny-run"]').click();
  await page.waitForFunction(() => {
    const d = (globalThis as unknown as PageGlobals).llmtsDashboard;
    return d.run === 'tiny-run' && d.records.length > 0; // pick() empties the records until they come
  });
  view = await dashboardView(page);
  assert.equal(view.run, 'tiny-run');
  assert.deepEqual(view.points.loss, [12, 3, 1]);
  // nothing sticks out sideways at phone width
  const overflow = await page.evaluate(() => {
    const root = (globalThis as unknown as PageGlobals).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
  assert.equal(overflow, 0);
  await shot(page, 'dashboard-phone');
  await page.close();
});

test('dashboard without a key: asks for it, loads the runs with the typed key, and keeps it for the next visit', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const sentKeys: (string | undefined)[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) sentKeys.push(r.headers().authorization);
  });
  await page.goto(`${base}/dashboard`);
  await page.locator('#key-form').waitFor({ state: 'visible' });
  assert.match(await page.locator('#dash-status').innerText(), /API key/);
  assert.equal(await page.locator('#run-list button').count(), 0);
  await page.fill('#api-key', API_KEY);
  await page.press('#api-key', 'Enter');
  await page.waitForFunction(() => (globalThis as unknown as Partial<PageGlobals>).llmtsDashboard?.loads === 1);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).llmtsDashboard.loads), 1); // loaded once, though Enter fires submit and change
  assert.equal(await page.isHidden('#key-form'), true);
  assert.ok((await page.locator('#run-list button').count()) >= 1);
  assert.equal((await dashboardView(page)).run, await page.locator('#run-list button').first().getAttribute('data-run')); // the newest run
  assert.equal(sentKeys[0], undefined);
  assert.equal(sentKeys[sentKeys.length - 1], `Bearer ${API_KEY}`);
  // the chat page reads the same saved key
  await page.goto(`${base}/`);
  await page.locator('#model', { hasText: 'model: stories260K' }).waitFor();
  assert.equal(await page.inputValue('#api-key'), API_KEY);
  await page.goto(`${base}/dashboard`);
  await page.waitForFunction(() => (globalThis as unknown as Partial<PageGlobals>).llmtsDashboard?.loads === 1);
  assert.equal(await page.isHidden('#key-form'), true);
  assert.deepEqual(errors, []);
  await page.close();
});

/** Opens the chat page with the API key already saved in the browser, as a returning user has it. */
async function chatPage(viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await keyedPage(viewport);
  await page.goto(`${base}/`);
  await page.locator('#model', { hasText: 'model: stories260K' }).waitFor();
  return page;
}

/** The chat page's state (`window.llmtsChat`). */
async function chatState(page: Page): Promise<PageGlobals['llmtsChat']> {
  return page.evaluate(() => {
    const c = (globalThis as unknown as PageGlobals).llmtsChat;
    return { history: c.history, busy: c.busy, answers: c.answers, model: c.model };
  });
}

async function waitAnswers(page: Page, n: number): Promise<void> {
  await page.waitForFunction((k) => (globalThis as unknown as PageGlobals).llmtsChat.answers === k, n, { timeout: 20_000 });
}

/** Bodies of the page's POST /v1/chat/completions requests, in order. */
function recordChatRequests(page: Page): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/v1/chat/completions')) bodies.push(r.postDataJSON() as Record<string, unknown>);
  });
  return bodies;
}

test('chat page: without a key /v1 is refused and the page says so; a typed key is kept in the browser', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.locator('#model', { hasText: 'API key needed' }).waitFor();
  assert.match(await page.locator('#status').innerText(), /needs an API key/);
  await page.fill('#api-key', API_KEY);
  await page.locator('#api-key').blur(); // change event: saved, models listed again
  await page.locator('#model', { hasText: 'model: stories260K' }).waitFor();
  await page.reload();
  assert.equal(await page.inputValue('#api-key'), API_KEY);
  await page.locator('#model', { hasText: 'model: stories260K' }).waitFor();
  await page.close();
});

test('chat page: the answer streams in, equals the API\'s greedy answer, and the history is multi-turn', async () => {
  engine.paceMs = 15;
  const page = await chatPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const bodies = recordChatRequests(page);
  await page.fill('#system', 'You are a storyteller.');
  await page.fill('#temperature', '0');
  await page.fill('#max-tokens', '24');
  await page.fill('#input', 'Tell me a story about a cat.');
  await page.press('#input', 'Enter');

  // part of the answer is on screen while it is still being written
  const answer = page.locator('.msg.assistant .text').last();
  await page.waitForFunction(() => {
    const g = globalThis as unknown as { llmtsChat: { busy: boolean }; document: { querySelector(s: string): { textContent: string } | null } };
    return g.llmtsChat.busy && (g.document.querySelector('.msg.assistant.streaming .text')?.textContent ?? '').length > 0;
  }, undefined, { polling: 5, timeout: 20_000 });
  const partial = await answer.textContent() ?? '';
  assert.equal(await page.isDisabled('#send'), true);
  assert.equal(await page.isEnabled('#stop'), true);
  await waitAnswers(page, 1);
  const full = await answer.textContent() ?? '';
  assert.ok(full.startsWith(partial) && full.length > partial.length, `partial ${JSON.stringify(partial)} then ${JSON.stringify(full)}`);
  assert.equal(await page.isEnabled('#send'), true);
  assert.equal(await page.isDisabled('#stop'), true);

  // what the page sent, and the same request answered without streaming by the API
  assert.equal(bodies.length, 1);
  const sent = bodies[0]!;
  assert.deepEqual(sent.messages, [{ role: 'system', content: 'You are a storyteller.' }, { role: 'user', content: 'Tell me a story about a cat.' }]);
  assert.equal(sent.stream, true);
  assert.equal(sent.temperature, 0);
  assert.equal(sent.max_tokens, 24);
  assert.equal(sent.top_k, undefined); // 0 = off: not sent
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({ ...sent, stream: false, stream_options: undefined }),
  });
  assert.equal(res.status, 200);
  const api = await res.json() as { choices: { message: { content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };
  assert.equal(full, api.choices[0]!.message.content);
  const bubble = page.locator('.msg.assistant').last();
  assert.equal(await bubble.getAttribute('data-finish'), api.choices[0]!.finish_reason);
  assert.match(await bubble.locator('.meta').innerText(), new RegExp(`^${api.usage.completion_tokens} tokens`));

  // second turn: the whole conversation goes back to the server
  await page.fill('#input', 'And then?');
  await page.click('#send');
  await waitAnswers(page, 2);
  assert.equal(bodies.length, 2);
  const roles = (bodies[1]!.messages as { role: string; content: string }[]).map((m) => m.role);
  assert.deepEqual(roles, ['system', 'user', 'assistant', 'user']);
  assert.equal((bodies[1]!.messages as { content: string }[])[2]!.content, full);
  const state = await chatState(page);
  assert.equal(state.history.length, 4);
  assert.equal(await page.locator('.msg').count(), 4);
  await shot(page, 'chat');

  // New chat forgets it all
  await page.click('#new-chat');
  assert.deepEqual((await chatState(page)).history, []);
  assert.equal(await page.locator('.msg').count(), 0);
  assert.equal(await page.isVisible('#empty'), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('chat page: Stop ends the answer halfway, keeps what came, and the server sees the client leave', async () => {
  engine.paceMs = 40;
  const page = await chatPage({ width: 390, height: 844 }); // phone-sized
  assert.equal(await page.locator('#settings-details').getAttribute('open'), null); // settings folded away
  await page.fill('#input', 'Once upon a time');
  await page.click('#send');
  await page.waitForFunction(() => {
    const g = globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } };
    return (g.document.querySelector('.msg.assistant.streaming .text')?.textContent ?? '').length > 5;
  }, undefined, { timeout: 20_000 });
  await page.click('#stop');
  await waitAnswers(page, 1);
  const bubble = page.locator('.msg.assistant').last();
  assert.equal(await bubble.getAttribute('data-finish'), 'stopped');
  const kept = await bubble.locator('.text').textContent() ?? '';
  assert.ok(kept.length > 5, kept);
  assert.match(await page.locator('#status').innerText(), /Stopped/);
  assert.equal(await page.isEnabled('#send'), true);
  // nothing more arrives after Stop
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await bubble.locator('.text').textContent(), kept);
  const state = await chatState(page);
  assert.deepEqual(state.history, [{ role: 'user', content: 'Once upon a time' }, { role: 'assistant', content: kept }]);
  // the server saw the client leave in the middle of the stream (stories260K itself has usually
  // finished by then: the engine's own cancellation is tested with the server's tests)
  const closed = (l: string): boolean => /^POST \/v1\/chat\/completions 499 .*client closed/.test(l);
  const end = Date.now() + 5000;
  while (!accessLog.some(closed) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(accessLog.some(closed), accessLog.join('\n'));
  const overflow = await page.evaluate(() => {
    const r = (globalThis as unknown as PageGlobals).document.documentElement;
    return r.scrollWidth - r.clientWidth;
  });
  assert.equal(overflow, 0);
  await shot(page, 'chat-phone');
  await page.close();
  engine.paceMs = 0; // the server writes the rest of the (already generated) answer to nobody: no need to wait
});

test('chat page: a request the server refuses shows its message and gives the text back', async () => {
  engine.paceMs = 0;
  const page = await chatPage();
  await page.fill('#top-p', '5');
  await page.fill('#input', 'Hello');
  await page.press('#input', 'Enter');
  await waitAnswers(page, 1);
  const err = page.locator('.msg.error');
  assert.equal(await err.count(), 1);
  assert.match(await err.innerText(), /top_p[^]*HTTP 400/);
  assert.equal(await page.inputValue('#input'), 'Hello');
  assert.deepEqual((await chatState(page)).history, []);
  assert.equal(await page.locator('.msg.user').count(), 0);
  await page.close();
});

test('the page\'s SSE reader joins events split across reads (and inside a UTF-8 character), CRLF, comments, multi-line data', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/dashboard`);
  const got = await page.evaluate(async () => {
    const url = '/ui/sse.js'; // a variable: resolved by the browser, not by TypeScript
    const { readSse } = (await import(url)) as { readSse(body: ReadableStream<Uint8Array>): AsyncIterable<string> };
    const bytes = new TextEncoder().encode('data: {"a":1}\n\ndata: x\r\n\r\n: a comment\n\nevent: e\ndata: line1\ndata: line2\n\ndata: café\n\ndata: m1\r\ndata: m2\r\n\r\ndata: [DONE]\n\n');
    const cuts = [3, 9, 15, 16, 23, 25, 30, 61, 62, 83, 95, bytes.length]; // 23, 25 and 95 split '\r\n', 83 the 'é' of café
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        let from = 0;
        for (const to of cuts) {
          c.enqueue(bytes.slice(from, to));
          from = to;
        }
        c.close();
      },
    });
    const out: string[] = [];
    for await (const d of readSse(body)) out.push(d);
    return out;
  });
  assert.deepEqual(got, ['{"a":1}', 'x', 'line1\nline2', 'café', 'm1\nm2', '[DONE]']);
  await page.close();
});
