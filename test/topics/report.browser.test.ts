// The topics report page (src/topics/report-html.ts) in real headless Chromium (playwright-core +
// the system's Chromium, as test/serve/ui.browser.test.ts): the topic map has a dot per document
// in its topic's colour, the trend chart a line per topic, the table a row per topic; document
// text is shown, never run; and the page fits a phone's width. scripts/run-tests.mjs runs this
// file (*.browser.test.ts) only where Chromium is found or can be installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { TopicDoc } from '../../src/topics/corpus.ts';
import { fitTopics, type TopicsResult } from '../../src/topics/fit.ts';
import { MAX_DOTS, topicColour, topicsHtml } from '../../src/topics/report-html.ts';
import { Rng } from '../../src/util/rng.ts';

let browser: Browser;

before(async () => {
  const candidates = [process.env.LLMTS_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new Error(`the report test needs Chromium and found none (looked at ${candidates.join(', ')}): apt-get install chromium, or set LLMTS_CHROMIUM`);
  browser = await chromium.launch({ executablePath: path, args: ['--no-sandbox'] });
});
after(async () => { await browser?.close(); });

/** n documents in 3 planted topics over 4 years; one source name tries to inject a script. */
function planted(n: number): TopicsResult {
  const groups = [['battery', 'phone', 'charger'], ['film', 'actor', 'plot'], ['pizza', 'waiter', 'menu']];
  const rng = new Rng(3), dim = 6, docs: TopicDoc[] = [];
  const rows = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const g = i % 3, w = groups[g]!;
    const text = `the ${w[i % 3]} and ${w[(i + 1) % 3]} & more`;
    docs.push({ text, source: i === 0 ? '<script>window.injected = true</script>' : `doc${i}`, date: { year: 2010 + (i % 4) } });
    for (let t = 0; t < dim; t++) rows[i * dim + t] = (t === g ? 4 : 0) + 0.5 * rng.normal();
  }
  return fitTopics(docs, rows, dim, { k: 3, seed: 1 });
}

test('the report shows a dot per document, a trend line and a table row per topic, and runs no document text', async () => {
  const r = planted(60);
  const file = join(mkdtempSync(join(tmpdir(), 'llmts-topics-html-')), 'topics.html');
  writeFileSync(file, topicsHtml(r, 'reviews <2020>'));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  assert.equal(await page.title(), 'reviews <2020>: topics');
  assert.equal(await page.locator('#topic-map circle.doc').count(), 60);
  for (const t of r.topics) {
    const dots = page.locator(`#topic-map circle.doc[data-topic="${t.id}"]`);
    assert.equal(await dots.count(), t.size);
    assert.equal(await dots.first().getAttribute('fill'), topicColour(t.id));
    const line = page.locator(`#trend-chart polyline.trend[data-topic="${t.id}"]`);
    assert.equal((await line.getAttribute('points'))!.trim().split(/\s+/).length, 4, 'one point per year');
  }
  assert.equal(await page.locator('li.legend-item').count(), 3);
  assert.equal(await page.locator('tr.topic-row').count(), 3);
  const box = await page.locator('#topic-map').boundingBox();
  assert.ok(box !== null && box.width > 300 && box.height > 200, `map box ${JSON.stringify(box)}`);
  assert.equal(await page.evaluate('window.injected'), undefined, 'a document\'s text ran as script');
  assert.match((await page.locator('#topic-map circle.doc title').first().textContent())!, /^<script>window\.injected = true<\/script> - topic 0: /);
  assert.match(await page.locator('table').innerText(), /the battery and phone & more/);
  assert.deepEqual(errors, []);
  // a phone's width: no horizontal scrolling, the charts shrink
  await page.setViewportSize({ width: 390, height: 800 });
  assert.equal(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth'), true);
  await page.close();
});

test('a collection over MAX_DOTS documents is drawn as an even sample, and says so', async () => {
  const r = planted(3);
  const n = MAX_DOTS * 2 + 1; // one in 3 drawn
  const many = { ...r, documents: n, docs: Array.from({ length: n }, (_, i) => ({ ...r.docs[i % 3]!, x: i, y: i % 17 })) };
  const file = join(mkdtempSync(join(tmpdir(), 'llmts-topics-html-')), 'topics.html');
  writeFileSync(file, topicsHtml(many, 'many'));
  const page = await browser.newPage();
  await page.goto(pathToFileURL(file).href);
  assert.equal(await page.locator('#topic-map circle.doc').count(), Math.ceil(n / 3));
  assert.equal(await page.locator('p.note').innerText(), `${Math.ceil(n / 3)} of ${n} documents drawn (one in 3).`);
  await page.close();
});

test('an HDBSCAN report: the outlier topic is grey, named "outliers" in the legend and the table, and counted in the title', async () => {
  const groups = [['battery', 'phone', 'charger'], ['film', 'actor', 'plot']];
  const rng = new Rng(4), dim = 5, docs: TopicDoc[] = [];
  const n = 44, rows = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const odd = i >= 40, g = i % 2, w = groups[g]!;
    docs.push({ text: odd ? `the weather was odd ${i}` : `the ${w[i % 3]} and ${w[(i + 1) % 3]}`, source: `doc${i}`, date: { year: 2010 + (i % 4) } });
    // 40 documents in two tight groups, 4 scattered far away
    for (let t = 0; t < dim; t++) rows[i * dim + t] = odd ? 10 * (rng.uniform() - 0.5) + (t === 2 + (i % 3) ? 12 : 0) : (t === g ? 4 : 0) + 0.3 * rng.normal();
  }
  const r = fitTopics(docs, rows, dim, { cluster: 'hdbscan', minClusterSize: 5, seed: 1 });
  assert.equal(r.k, 2);
  assert.ok(r.outliers >= 4);
  const file = join(mkdtempSync(join(tmpdir(), 'llmts-topics-html-')), 'topics.html');
  writeFileSync(file, topicsHtml(r, 'odd'));
  const page = await browser.newPage();
  await page.goto(pathToFileURL(file).href);
  assert.equal(await page.locator('h1').innerText(), `odd: 2 topics in 44 documents (${r.outliers} outliers)`);
  const outlierDots = page.locator('#topic-map circle.doc[data-topic="2"]');
  assert.equal(await outlierDots.count(), r.outliers);
  assert.equal(await outlierDots.first().getAttribute('fill'), '#999999');
  assert.equal(await page.locator('#trend-chart polyline.trend[data-topic="2"]').getAttribute('stroke'), '#999999');
  assert.match(await page.locator('li.legend-item').nth(2).innerText(), /^outliers: (odd, weather|weather, odd) \(4\)$/);
  assert.equal(await page.locator('tr.topic-row').nth(2).locator('td').first().innerText(), 'outliers');
  await page.close();
});
