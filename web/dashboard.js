/* global document, window, setInterval */
/**
 * Training dashboard: lists the run directories (GET /api/runs), plots the picked run's
 * metrics.jsonl (GET /api/runs/:name/metrics) with Chart.js (loss and val loss, learning rate,
 * tokens/s, gradient norm) and shows its resolved config. While the run is training (its
 * metrics.jsonl changed within the last minute) it reloads every few seconds. When the server
 * has an API key and the browser has none (or a wrong one), it shows a key field and loads
 * again once a key is entered (kept in the browser, shared with the chat page: api-key.js).
 * `window.llmtsDashboard` exposes the state and the Chart instances for tests.
 */
import { apiKey, setApiKey, withApiKey } from './api-key.js';

const Chart = window.Chart;
const $ = (id) => document.getElementById(id);
const POLL_MS = 3000;
const LIST_POLL_MS = 15000;

const state = { runs: [], run: null, records: [], config: null, active: false, loads: 0, charts: {} };
window.llmtsDashboard = state;

const fmt = new Intl.NumberFormat('en', { maximumSignificantDigits: 4 });
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 3 });

function setStatus(text) {
  $('dash-status').textContent = text;
}

function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

function makeChart(canvasId, datasets, yTitle, opts = {}) {
  return new Chart($(canvasId), {
    type: 'line',
    data: { datasets: datasets.map((d) => ({ data: [], borderWidth: 1.5, pointRadius: 0, tension: 0, ...d })) },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', intersect: false },
      plugins: {
        legend: {
          display: datasets.length > 1,
          // only the series that have points (no "final val loss" before the run ends)
          labels: { boxWidth: 12, filter: (item, data) => data.datasets[item.datasetIndex].data.length > 0 },
        },
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'step' }, ticks: { precision: 0 } },
        y: { type: opts.log ? 'logarithmic' : 'linear', title: { display: true, text: yTitle }, ticks: { callback: (v) => compact.format(v) } },
      },
    },
  });
}

function initCharts() {
  state.charts.loss = makeChart('chart-loss', [
    { label: 'train loss', borderColor: '#2457c5', backgroundColor: '#2457c5' },
    { label: 'val loss', borderColor: '#d1432f', backgroundColor: '#d1432f', pointRadius: 3.5, borderWidth: 2 },
    { label: 'final val loss (whole split)', borderColor: '#1c2230', backgroundColor: '#f5b700', pointRadius: 6, pointStyle: 'rectRot', borderWidth: 1.5, showLine: false },
  ], 'loss');
  state.charts.lr = makeChart('chart-lr', [{ label: 'lr', borderColor: '#7b4fc9', backgroundColor: '#7b4fc9' }], 'learning rate');
  state.charts.tps = makeChart('chart-tps', [{ label: 'tok/s', borderColor: '#0f8a5f', backgroundColor: '#0f8a5f' }], 'tokens / s');
  state.charts.grad = makeChart('chart-grad', [{ label: 'grad norm', borderColor: '#b26a00', backgroundColor: '#b26a00' }], 'gradient norm');
}

/** Points {x: step, y} of the records of `kind` that have a finite number under `key`. */
function series(records, kind, key) {
  return records.filter((r) => r.kind === kind && typeof r[key] === 'number' && Number.isFinite(r[key])).map((r) => ({ x: r.step, y: r[key] }));
}

function setData(chart, ...data) {
  data.forEach((d, i) => { chart.data.datasets[i].data = d; });
  chart.update('none');
  const counts = data.map((d, i) => `${chart.data.datasets[i].label}: ${d.length} points${d.length ? `, last ${fmt.format(d[d.length - 1].y)}` : ''}`);
  chart.canvas.setAttribute('aria-label', counts.join('; '));
}

function renderCharts() {
  const r = state.records;
  // periodic evaluations use a few batches; the trainer's last one (batches -1) the whole split
  const periodic = r.filter((x) => x.batches !== -1);
  const final = r.filter((x) => x.batches === -1);
  setData(state.charts.loss, series(r, 'train', 'loss'), series(periodic, 'eval', 'valLoss'), series(final, 'eval', 'valLoss'));
  setData(state.charts.lr, series(r, 'train', 'lr'));
  setData(state.charts.tps, series(r, 'train', 'tokPerSec'));
  setData(state.charts.grad, series(r, 'train', 'gradNorm'));
}

function stat(label, value) {
  const li = document.createElement('li');
  const strong = document.createElement('strong');
  strong.textContent = value;
  li.append(strong, label);
  return li;
}

function renderStats(modified) {
  const r = state.records;
  const train = r.filter((x) => x.kind === 'train');
  const evals = r.filter((x) => x.kind === 'eval' && typeof x.valLoss === 'number');
  const last = train[train.length - 1];
  const maxSteps = typeof state.config?.maxSteps === 'number' ? state.config.maxSteps : null;
  const step = r.reduce((m, x) => Math.max(m, x.step), 0);
  const items = [
    stat('step', maxSteps ? `${step} / ${maxSteps}` : String(step)),
    stat('train loss', last && typeof last.loss === 'number' ? fmt.format(last.loss) : '–'),
    stat('val loss', evals.length ? fmt.format(evals[evals.length - 1].valLoss) : '–'),
    stat('tokens/s', last && typeof last.tokPerSec === 'number' ? compact.format(last.tokPerSec) : '–'),
    stat('updated', ago(modified)),
  ];
  $('stats').replaceChildren(...items);
  $('run-title').textContent = state.run;
  document.title = `${state.run} · Training dashboard · llm.ts`;
}

function renderConfig() {
  const cfg = state.config;
  $('config-panel').hidden = !cfg;
  if (!cfg) return;
  const list = document.createElement('dl');
  list.className = 'config';
  for (const [k, v] of Object.entries(cfg)) {
    const item = document.createElement('div');
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = typeof v === 'string' ? v : JSON.stringify(v);
    item.append(dt, dd);
    list.append(item);
  }
  $('config').replaceChildren(list);
}

function renderRunList() {
  const list = $('run-list');
  $('no-runs').hidden = state.runs.length > 0;
  list.replaceChildren(...state.runs.map((run) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.run = run.name;
    b.setAttribute('aria-pressed', String(run.name === state.run));
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = run.name;
    if (run.active) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = 'training';
      name.append(badge);
    }
    const sub = document.createElement('span');
    sub.className = 'sub';
    sub.textContent = `step ${run.step}${run.loss !== null ? ` · loss ${fmt.format(run.loss)}` : ''} · ${ago(run.modified)}`;
    b.append(name, sub);
    b.addEventListener('click', () => void pick(run.name));
    li.append(b);
    return li;
  }));
}

/** Keeps the picked run's entry in the list as fresh as its plots (the list itself reloads less often). */
function updateListEntry(body) {
  const run = state.runs.find((x) => x.name === body.name);
  if (!run) return;
  const recs = body.records;
  const train = recs.filter((x) => x.kind === 'train' && typeof x.loss === 'number');
  const next = {
    ...run,
    step: recs.reduce((m, x) => Math.max(m, x.step), 0),
    loss: train.length ? train[train.length - 1].loss : null,
    records: recs.length, modified: body.modified, finished: body.finished, active: body.active,
  };
  if (JSON.stringify(next) === JSON.stringify(run)) return;
  Object.assign(run, next);
  renderRunList();
}

async function getJson(url) {
  const res = await fetch(url, { headers: withApiKey() });
  const body = await res.json().catch(() => null);
  $('key-form').hidden = res.status !== 401; // shown while the server refuses the key the browser has
  if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  return body;
}

async function loadRuns() {
  try {
    const body = await getJson('/api/runs');
    state.runs = body.runs;
    $('runs-dir').textContent = `runs: ${body.runsDir}`;
    renderRunList();
    if (!state.run) $('run-title').textContent = state.runs.length ? 'Pick a run' : 'No runs yet';
  } catch (e) {
    setStatus(`Could not list runs: ${e.message}`);
  }
}

async function loadRun() {
  if (!state.run) return;
  try {
    const body = await getJson(`/api/runs/${encodeURIComponent(state.run)}/metrics`);
    if (body.name !== state.run) return; // another run was picked meanwhile
    state.records = body.records;
    state.config = body.config;
    state.active = body.active;
    updateListEntry(body);
    $('charts').hidden = false;
    renderCharts();
    renderStats(body.modified);
    renderConfig();
    state.loads++;
    setStatus(body.active ? `Training: reloads every ${POLL_MS / 1000} s.`
      : body.finished ? 'Finished.' : 'Not training: no new metrics in the last minute (stopped, or paused).');
  } catch (e) {
    setStatus(`Could not load ${state.run}: ${e.message}`);
  }
}

async function pick(name) {
  state.run = name;
  state.records = [];
  const url = new URL(window.location.href);
  url.searchParams.set('run', name);
  window.history.replaceState(null, '', url);
  renderRunList();
  await loadRun();
}

async function refresh() {
  await loadRuns();
  await loadRun();
}

/** A key typed into the key field (Enter, the button, or leaving the field): kept, and everything loaded again with it. */
async function useKey() {
  const typed = $('api-key').value.trim();
  if (typed === '' || typed === apiKey()) return; // nothing new (Enter fires both submit and change)
  setApiKey(typed);
  await loadRuns();
  const wanted = state.run ?? state.runs[0]?.name;
  if (wanted) await pick(wanted);
}

initCharts();
$('refresh').addEventListener('click', () => void refresh());
$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void useKey();
});
$('api-key').addEventListener('change', () => void useKey());
setInterval(() => { if (state.active) void loadRun(); }, POLL_MS);
setInterval(() => void loadRuns(), LIST_POLL_MS);

await loadRuns();
const wanted = new URL(window.location.href).searchParams.get('run');
const first = state.runs.find((r) => r.name === wanted) ?? state.runs[0];
if (first) await pick(first.name);
