// The tasks page (/tasks: a tab per task route) in real headless Chromium against real
// servers (createServer): a BERT classifier fixture (classify: labels and bars equal to the
// API's answer; embed: cosine similarities), a BART fixture (summarize equal to the API's
// answer; the tabs the model lacks disabled with the reason; the server's 400 shown), a
// Tree-LSTM (every phrase's label) and a HAN (explain: its sentence and word attention
// weights as highlights, equal to the API's), the last two tiny and random.
// scripts/run-tests.mjs runs this file (*.browser.test.ts) only where Chromium is found.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { saveHanModel } from '../../src/io/han-model-dir.ts';
import { saveTreeModel } from '../../src/io/tree-model-dir.ts';
import { DOCUMENT_DEFAULTS, hanConfig, hanFamily } from '../../src/models/han/index.ts';
import { treeConfig, treeFamily } from '../../src/models/tree/index.ts';
import { createServer } from '../../src/serve/server.ts';
import { loadTaskModel } from '../../src/tasks/index.ts';
import { launchChromium } from './browser.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-tasks-ui-'));
const apps: FastifyInstance[] = [];
const urls: Record<'bert' | 'bart' | 'tree' | 'han', string> = { bert: '', bart: '', tree: '', han: '' };
let browser: Browser;

/** What tasks.js exposes on `window` (the test's tsconfig has no DOM types). */
interface TasksGlobals {
  llmtsTasks: { health: { kind: string } | null; task: string | null; results: unknown[] | null; runs: number; busy: boolean };
}

before(async () => {
  const vocab = ['<unk>', 'a', 'great', 'film'];
  const tree = treeFamily.create(treeConfig({ arch: 'tree-lstm', vocabSize: vocab.length, embedDim: 8, hiddenSize: 6, numLabels: 2 }), { seed: 2 });
  saveTreeModel(join(root, 'tree'), { model: tree, vocab, labels: ['neg', 'pos'], lowercase: true });
  const words = ['<unk>', 'win', 'money', 'now', 'hello', 'friend'];
  const han = hanFamily.create(hanConfig({ arch: 'han', vocabSize: words.length, embedDim: 8, wordHidden: 4, sentHidden: 4, attnDim: 6, numLabels: 2 }), { seed: 3 });
  saveHanModel(join(root, 'han'), { model: han, vocab: words, labels: ['ham', 'spam'], document: DOCUMENT_DEFAULTS });
  const models = { bert: 'test/fixtures/hf-bert/cls', bart: 'test/fixtures/hf-bart/model', tree: join(root, 'tree'), han: join(root, 'han') } as const;
  for (const [name, path] of Object.entries(models) as ['bert' | 'bart' | 'tree' | 'han', string][]) {
    const app = await createServer({ task: loadTaskModel(path), modelId: name });
    apps.push(app);
    urls[name] = await app.listen({ host: '127.0.0.1', port: 0 });
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const app of apps) await app.close();
  rmSync(root, { recursive: true, force: true });
});

/** The page loaded, its /health read and a tab selected. */
async function open(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  await page.goto(`${url}/tasks`);
  await page.waitForFunction(() => (globalThis as unknown as TasksGlobals).llmtsTasks.task !== null);
  return page;
}

/** Types the lines, runs the tab, and waits for the answer. */
async function runTask(page: Page, lines: string[]): Promise<void> {
  const before = await page.evaluate(() => (globalThis as unknown as TasksGlobals).llmtsTasks.runs);
  await page.fill('#task-input', lines.join('\n'));
  await page.click('#run');
  await page.waitForFunction((n) => (globalThis as unknown as TasksGlobals).llmtsTasks.runs > n, before);
}

async function post(url: string, body: unknown): Promise<{ data: Record<string, unknown>[] }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return await res.json() as { data: Record<string, unknown>[] };
}

test('a BERT classifier: the classify tab is chosen, its labels and bars are the API\'s answer; embed shows cosine similarities', async () => {
  const page = await open(urls.bert);
  assert.equal(await page.evaluate(() => (globalThis as unknown as TasksGlobals).llmtsTasks.task), 'classify');
  assert.equal(await page.isDisabled('#tab-summarize'), true);
  assert.match(await page.getAttribute('#tab-summarize', 'title') ?? '', /does not summarise \(it needs an encoder-decoder\)/);
  assert.match(await page.textContent('#model-note') ?? '', /bert is a bert encoder with a sequence-classification head/);
  const lines = ['The cat sat on the mat.', 'A little girl played with a big red ball in the park!'];
  await runTask(page, lines);
  const api = await post(`${urls.bert}/v1/tasks/classify`, { input: lines });
  assert.deepEqual(await page.$$eval('.result .label', (ns) => ns.map((n) => n.textContent)), api.data.map((d) => d.label));
  const meters = await page.$$eval('.result .bar', (ns) => ns.map((n) => Number(n.getAttribute('aria-valuenow'))));
  const want = api.data.flatMap((d) => (d.scores as { score: number }[]).map((s) => Number(s.score.toFixed(4))));
  assert.deepEqual(meters, want, 'one bar per label per text, at the API\'s probability');

  // a BERT explains by attention rollout: one sentence, a highlight per word, the API's weights
  assert.equal(await page.isVisible('#explain'), true, '/health explain: true');
  await page.check('#explain');
  await runTask(page, [lines[0]!]);
  const explained = await post(`${urls.bert}/v1/tasks/classify`, { input: [lines[0]], explain: true });
  const rollout = (explained.data[0]!.attention as { sentences: { words: { text: string; weight: number }[] }[] }).sentences[0]!.words;
  assert.deepEqual(await page.$$eval('.attention mark', (ns) => ns.map((n) => [n.textContent, Number(n.getAttribute('data-weight'))])), rollout.map((w) => [w.text, w.weight]));
  await page.uncheck('#explain');
  assert.equal(await page.isVisible('#phrases'), false, 'phrases are a Tree-LSTM\'s');

  await page.click('#tab-embed');
  await runTask(page, ['a cat', 'a dog']);
  const cells = await page.$$eval('table.sims td', (ns) => ns.map((n) => Number(n.textContent)));
  assert.equal(cells.length, 4);
  assert.equal(cells[0], 1);
  assert.equal(cells[3], 1);
  assert.equal(cells[1], cells[2], 'symmetric');
  assert.ok(cells[1]! < 1);
  await page.close();
  const chat = await browser.newPage();
  await chat.goto(`${urls.bert}/`);
  await chat.waitForFunction(() => /does not chat/.test((globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('status').textContent));
  assert.match(await chat.textContent('#status') ?? '', /^bert is a bert encoder with a sequence-classification head and does not chat: use the Tasks page \(\/tasks\)/);
  assert.equal(await chat.isDisabled('#send'), true, 'the chat page says so instead of failing on send');
  await chat.close();
});

test('a BART: summarize shows the API\'s summaries; classify and embed tabs follow /health', async () => {
  const page = await open(urls.bart);
  assert.equal(await page.evaluate(() => (globalThis as unknown as TasksGlobals).llmtsTasks.task), 'summarize');
  assert.equal(await page.isDisabled('#tab-classify'), true);
  assert.equal(await page.isDisabled('#tab-translate'), false);
  assert.equal(await page.isVisible('#opts-generate'), true);
  const lines = ['We study tiny models.', 'A second abstract about beams.'];
  await page.fill('#max-length', '12');
  await runTask(page, lines);
  const api = await post(`${urls.bart}/v1/tasks/summarize`, { input: lines, max_length: 12 });
  assert.deepEqual(await page.$$eval('.result .output', (ns) => ns.map((n) => n.textContent)), api.data.map((d) => d.summary_text));
  assert.deepEqual(await page.$$eval('.result .input', (ns) => ns.map((n) => n.textContent)), lines);
  await runTask(page, ['word '.repeat(100)]);
  assert.match(await page.textContent('#status') ?? '', /This model's maximum context length is 64 tokens/, 'the server\'s 400 message');
  assert.equal(await page.getAttribute('#status', 'class'), 'status error');
  await page.close();
});

test('a Tree-LSTM: the phrases option labels every phrase, indented by depth', async () => {
  const page = await open(urls.tree);
  assert.equal(await page.isVisible('#phrases'), true);
  await page.check('#phrases');
  await runTask(page, ['a great film']);
  const items = await page.$$eval('ul.phrases li', (ns) => ns.map((n) => [n.textContent, (n as unknown as { style: { paddingLeft: string } }).style.paddingLeft]));
  assert.equal(items.length, 5);
  assert.match(items[0]![0]!, /^(neg|pos) {2}a great film$/);
  assert.deepEqual(items.map((i) => i[1]), ['0rem', '1.2rem', '1.2rem', '2.4rem', '2.4rem']);
  await page.close();
});

test('a HAN with explain: its sentence and word attention weights are drawn as highlights, equal to the API\'s', async () => {
  const page = await open(urls.han);
  assert.equal(await page.evaluate(() => (globalThis as unknown as TasksGlobals).llmtsTasks.task), 'classify');
  const text = 'Win money now! Hello friend.';
  await page.check('#explain');
  await runTask(page, [text]);
  const api = await post(`${urls.han}/v1/tasks/classify`, { input: [text], explain: true });
  const att = api.data[0]!.attention as { sentences: { weight: number; words: { text: string; weight: number }[] }[] };
  assert.equal(att.sentences.length, 2);
  const marks = await page.$$eval('.attention mark', (ns) => ns.map((n) => [n.textContent, Number(n.getAttribute('data-weight')),
    (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(n).backgroundColor]));
  const words = att.sentences.flatMap((s) => s.words);
  assert.deepEqual(marks.map((m) => [m[0], m[1]]), words.map((w) => [w.text, w.weight]));
  const alpha = Number(/rgba\(36, 87, 197, ([\d.]+)\)/.exec(String(marks[0]![2]))?.[1]);
  assert.ok(Math.abs(alpha - words[0]!.weight) < 0.01, `the word's weight is its highlight's opacity: ${marks[0]![2]}`);
  assert.deepEqual(await page.$$eval('.attention .sentence', (ns) => ns.map((n) => Number(n.getAttribute('data-weight')))), att.sentences.map((s) => s.weight));
  await page.close();
});
