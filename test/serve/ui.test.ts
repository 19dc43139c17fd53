// The web UI in real headless Chromium (playwright-core + the system's Chromium): the training
// dashboard over real run directories, and the JSON routes behind it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { registerUi } from '../../src/serve/ui.ts';
import { tokenizeFiles } from '../../src/data/tokenize.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { MetricsLog, readMetrics } from '../../src/train/metrics.ts';
import { planRun, train } from '../../src/train/trainer.ts';

/**
 * Starts headless Chromium: $LLMTS_CHROMIUM, else Debian's /usr/bin/chromium. A machine without it
 * fails here with the fix (CI installs it in .ci/run); the UI tests never skip silently.
 */
async function launchChromium(): Promise<Browser> {
  const candidates = [process.env.LLMTS_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(`the web UI tests need Chromium and found none (looked at ${candidates.join(', ')}): install it with ` +
      '`apt-get update && apt-get install -y --no-install-recommends chromium` (Debian/Ubuntu), or set LLMTS_CHROMIUM to a Chrome/Chromium binary');
  }
  return chromium.launch({ executablePath: path, args: ['--no-sandbox'] });
}

const root = mkdtempSync(join(tmpdir(), 'llmts-ui-'));
const runsDir = join(root, 'runs');
let app: FastifyInstance;
let base: string;
let browser: Browser;

/** What the pages expose on `window` (the test's tsconfig has no DOM types, so `globalThis` is cast to this). */
interface PageGlobals {
  llmtsDashboard: { run: string | null; loads: number; active: boolean; records: unknown[]; charts: Record<string, { data: { datasets: { data: unknown[] }[] } }> };
  document: { documentElement: { scrollWidth: number; clientWidth: number } };
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

before(async () => {
  browser = await launchChromium();
  // a real (very short) training run: metrics.jsonl, train_config.json, checkpoints
  const text = readFileSync(new URL('../../data/tinyshakespeare/input.txt', import.meta.url), 'utf8').slice(0, 30_000);
  writeFileSync(join(root, 'text.txt'), text);
  tokenizeFiles([join(root, 'text.txt')], CharTokenizer.fromText(text), join(root, 'data'));
  await train(planRun({ overrides: { preset: 'tiny', data: join(root, 'data'), out: join(runsDir, 'tiny-run'), maxSteps: 24, evalInterval: 8, evalIters: 2, logInterval: 2, ckptInterval: 0, progress: false } }), { log: () => {} });
  mkdirSync(join(runsDir, 'no-metrics'), { recursive: true }); // not a run: no metrics.jsonl

  app = Fastify();
  await registerUi(app, { runsDir });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await browser?.close();
  await app?.close();
  rmSync(root, { recursive: true, force: true });
});

test('GET /api/runs lists the runs that have a metrics.jsonl, with their last step and loss', async () => {
  const res = await app.inject({ method: 'GET', url: '/api/runs' });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { runsDir: string; runs: { name: string; step: number; loss: number; valLoss: number; records: number; finished: boolean; active: boolean }[] };
  assert.equal(body.runsDir, runsDir);
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

test('GET /api/runs/:name/metrics returns the records and the resolved config; bad names are 400, missing runs 404', async () => {
  const res = await app.inject({ method: 'GET', url: '/api/runs/tiny-run/metrics' });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { records: unknown[]; config: { maxSteps: number; preset: string } };
  assert.deepEqual(body.records, readMetrics(join(runsDir, 'tiny-run')));
  assert.equal(body.config.maxSteps, 24);
  assert.equal(body.config.preset, 'tiny');

  writeFileSync(join(root, 'secret.jsonl'), '{"step":1,"kind":"train","loss":1}\n');
  mkdirSync(join(root, 'outside'), { recursive: true });
  writeFileSync(join(root, 'outside', 'metrics.jsonl'), '{"step":1,"kind":"train","loss":1}\n');
  for (const name of ['..%2Foutside', '..%2F..%2Fetc', '.hidden', '%2Fetc', 'a%5Cb', 'tiny-run%00']) {
    const r = await app.inject({ method: 'GET', url: `/api/runs/${name}/metrics` });
    assert.equal(r.statusCode, 400, `${name}: ${r.statusCode} ${r.body}`);
    assert.match((r.json() as { error: { message: string } }).error.message, /bad run name/);
  }
  // a plain '..' segment is resolved by URL normalisation before routing: it never reaches the route
  for (const name of ['..', '%2E%2E']) {
    const r = await app.inject({ method: 'GET', url: `/api/runs/${name}/metrics` });
    assert.equal(r.statusCode, 404, name);
  }
  const missing = await app.inject({ method: 'GET', url: '/api/runs/no-metrics/metrics' });
  assert.equal(missing.statusCode, 404);
  assert.match((missing.json() as { error: { message: string } }).error.message, /no run "no-metrics" with a metrics\.jsonl/);
});

test('pages, web/ assets and the Chart.js build are served; nothing outside web/ is', async () => {
  for (const [url, type, text] of [
    ['/', 'text/html', 'id="messages"'],
    ['/dashboard', 'text/html', 'id="chart-loss"'],
    ['/ui/chat.js', 'text/javascript', 'readSse'],
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

test('dashboard in Chromium: lists the run, plots every record, shows the config', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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
    loss: [count('train', 'loss'), count('eval', 'valLoss')],
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
  await page.screenshot({ path: join(root, 'dashboard.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('dashboard follows a run that is training: new records appear without a reload', async () => {
  const dir = join(runsDir, 'live-run');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train_config.json'), JSON.stringify({ preset: 'tiny', maxSteps: 100 }));
  const log = new MetricsLog(dir, { resumeStep: 0 });
  for (let step = 1; step <= 5; step++) log.write({ step, kind: 'train', loss: 4 - step / 10, lr: 1e-3, tokPerSec: 1000, gradNorm: 1 });

  const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // phone-sized
  await page.goto(`${base}/dashboard?run=live-run`);
  await page.waitForFunction(() => (globalThis as unknown as Partial<PageGlobals>).llmtsDashboard?.loads === 1);
  let view = await dashboardView(page);
  assert.equal(view.run, 'live-run');
  assert.equal(view.active, true);
  assert.deepEqual(view.points.loss, [5, 0]);
  assert.match(await page.locator('#run-list button[data-run="live-run"]').innerText(), /training/);

  log.write({ step: 6, kind: 'train', loss: 3.3, lr: 1e-3, tokPerSec: 1000, gradNorm: 1 });
  log.write({ step: 6, kind: 'eval', valLoss: 3.5, perplexity: Math.exp(3.5), batches: 2 });
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).llmtsDashboard.records.length === 7, undefined, { timeout: 10_000 });
  view = await dashboardView(page);
  assert.deepEqual(view.points.loss, [6, 1]);
  // picking the other run from the list switches the plots
  await page.locator('#run-list button[data-run="tiny-run"]').click();
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).llmtsDashboard.loads >= 3);
  view = await dashboardView(page);
  assert.equal(view.run, 'tiny-run');
  assert.deepEqual(view.points.loss, [12, 4]);
  // nothing sticks out sideways at phone width
  const overflow = await page.evaluate(() => {
    const root = (globalThis as unknown as PageGlobals).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
  assert.equal(overflow, 0);
  await page.screenshot({ path: join(root, 'dashboard-phone.png'), fullPage: true });
  await page.close();
});
