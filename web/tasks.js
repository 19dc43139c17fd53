/* global document, window */
/**
 * Tasks page: a tab per task route of the server (summarize, translate, classify, embed).
 * GET /health says which routes the served model has; the other tabs are disabled with the
 * reason. Each non-empty line of the text box is one input; the answer is shown per input:
 * the summary or translation, the label with a bar per label's probability (a Tree-LSTM's
 * phrases; a HAN's sentence and word attention weights, a Transformer classifier's
 * attention rollout, as highlights), or the embeddings'
 * size and their cosine similarities. `window.llmtsTasks` exposes the state for tests.
 */
import { withApiKey } from './api-key.js';

const $ = (id) => document.getElementById(id);
const els = {
  model: $('model'), note: $('model-note'), panel: $('task-panel'), form: $('task-form'), input: $('task-input'),
  run: $('run'), status: $('status'), results: $('results'), beams: $('num-beams'), maxLength: $('max-length'),
  phrases: $('phrases'), explain: $('explain'), pooling: $('pooling'),
  opts: { generate: $('opts-generate'), classify: $('opts-classify'), embed: $('opts-embed') },
};
const tabs = [...document.querySelectorAll('[role="tab"]')];

/** Each tab: its route, its option group, and what it does (for a disabled tab's reason). */
const TASKS = {
  summarize: { route: '/v1/tasks/summarize', opts: 'generate', verb: 'summarise (it needs an encoder-decoder)' },
  translate: { route: '/v1/tasks/translate', opts: 'generate', verb: 'translate (it needs an encoder-decoder)' },
  classify: { route: '/v1/tasks/classify', opts: 'classify', verb: 'classify (it needs a classifier)' },
  embed: { route: '/v1/tasks/embed', opts: 'embed', verb: 'embed texts' },
};

const state = { health: null, task: null, results: null, runs: 0, busy: false };
window.llmtsTasks = state;

function setStatus(text, isError = false) {
  els.status.textContent = text;
  els.status.classList.toggle('error', isError);
}

/** An element with a class and text. */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Message of an error answer in OpenAI's shape, else the HTTP status. */
async function errorMessage(res) {
  try {
    const body = await res.json();
    if (body?.error?.message) return body.error.message;
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}`;
}

function selectTab(task) {
  state.task = task;
  for (const t of tabs) t.setAttribute('aria-selected', String(t.dataset.task === task));
  els.panel.setAttribute('aria-labelledby', `tab-${task}`);
  for (const [name, group] of Object.entries(els.opts)) group.hidden = name !== TASKS[task].opts;
  els.phrases.closest('label').hidden = state.health?.kind !== 'tree';
  els.explain.closest('label').hidden = state.health?.explain !== true;
  els.results.replaceChildren();
  state.results = null;
  setStatus('');
}

async function loadHealth() {
  let res;
  try {
    res = await fetch('/health', { headers: withApiKey() });
  } catch {
    els.model.textContent = 'model: unreachable';
    return;
  }
  if (res.status === 401) {
    els.model.textContent = 'model: API key needed';
    els.note.textContent = 'This server needs an API key: enter it in the chat page\'s settings, then reload.';
    return;
  }
  const h = await res.json();
  state.health = h;
  els.model.textContent = `model: ${h.model}`;
  els.note.textContent = `${h.model} is ${h.description}.`;
  const routes = new Set(h.routes ?? []);
  for (const t of tabs) {
    const spec = TASKS[t.dataset.task];
    const ok = routes.has(spec.route);
    t.disabled = !ok;
    t.title = ok ? '' : `This model does not ${spec.verb}.`;
  }
  const first = tabs.find((t) => !t.disabled);
  if (first) selectTab(first.dataset.task);
  else setStatus('This model serves none of these tasks.', true);
}

/** The request body of the current tab. */
function requestBody(inputs) {
  const body = { input: inputs };
  if (TASKS[state.task].opts === 'generate') {
    const beams = Number(els.beams.value);
    if (els.beams.value !== '' && beams !== 1) body.num_beams = beams;
    if (els.maxLength.value !== '') body.max_length = Number(els.maxLength.value);
  } else if (state.task === 'classify') {
    if (els.phrases.checked && state.health?.kind === 'tree') body.phrases = true;
    if (els.explain.checked && state.health?.explain === true) body.explain = true;
  } else if (state.task === 'embed') {
    body.pooling = els.pooling.value;
  }
  return body;
}

/** Label bars: one row per label with its probability. */
function bars(scores) {
  const grid = el('div', 'bars');
  for (const s of scores) {
    grid.append(el('span', '', s.label));
    const bar = el('div', 'bar');
    bar.style.width = `${(100 * s.score).toFixed(1)}%`;
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-label', s.label);
    bar.setAttribute('aria-valuenow', s.score.toFixed(4));
    grid.append(bar, el('span', 'num', s.score.toFixed(3)));
  }
  return grid;
}

/** Attention weights as highlights: each sentence's bar, each word's background, by weight. */
function attentionView(att) {
  const box = el('div', 'attention');
  box.setAttribute('aria-label', 'Attention');
  for (const s of att.sentences) {
    const line = el('span', 'sentence');
    line.style.setProperty('--w', String(s.weight));
    line.dataset.weight = String(s.weight);
    s.words.forEach((w, i) => {
      const mark = el('mark', '', w.text);
      mark.style.setProperty('--w', String(w.weight));
      mark.dataset.weight = String(w.weight);
      mark.title = `${(100 * w.weight).toFixed(1)}%`;
      line.append(mark);
      if (i < s.words.length - 1) line.append(' ');
    });
    box.append(line);
  }
  return box;
}

function cosine(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s; // the vectors are unit length
}

function render(inputs, data) {
  const out = [];
  if (state.task === 'embed') {
    const vecs = data.map((d) => d.embedding);
    const head = el('div', 'result');
    head.append(el('span', 'output', `${vecs.length} embedding${vecs.length === 1 ? '' : 's'} of ${vecs[0]?.length ?? 0} numbers (unit length)`));
    if (vecs.length > 1) {
      const table = el('table', 'sims');
      table.setAttribute('aria-label', 'Cosine similarities');
      const hr = el('tr');
      hr.append(el('th', '', ''), ...inputs.map((_, j) => el('th', '', String(j + 1))));
      table.append(hr);
      vecs.forEach((a, i) => {
        const tr = el('tr');
        tr.append(el('th', '', String(i + 1)), ...vecs.map((b) => el('td', '', cosine(a, b).toFixed(3))));
        table.append(tr);
      });
      head.append(table);
    }
    out.push(head);
  } else {
    data.forEach((d, i) => {
      const r = el('div', 'result');
      r.append(el('span', 'input', inputs[i]));
      if (state.task === 'summarize') r.append(el('div', 'output', d.summary_text));
      else if (state.task === 'translate') r.append(el('div', 'output', d.translation_text));
      else {
        const line = el('div', 'output');
        line.append(el('span', 'label', d.label), ` ${(100 * d.score).toFixed(1)}%${d.truncated ? ' (cut to the model\'s context)' : ''}`);
        r.append(line, bars(d.scores));
        if (d.phrases) {
          const list = el('ul', 'phrases');
          list.setAttribute('aria-label', 'Phrases');
          for (const p of d.phrases) {
            const li = el('li', '', `${p.label}  ${p.text}`);
            li.style.paddingLeft = `${p.depth * 1.2}rem`;
            list.append(li);
          }
          r.append(list);
        }
        if (d.attention) r.append(attentionView(d.attention));
      }
      out.push(r);
    });
  }
  els.results.replaceChildren(...out);
}

async function run(event) {
  event.preventDefault();
  if (state.busy || !state.task) return;
  const inputs = els.input.value.split('\n').filter((l) => l.trim() !== '');
  if (inputs.length === 0) {
    setStatus('Type at least one line.', true);
    return;
  }
  state.busy = true;
  els.run.disabled = true;
  setStatus('Running…');
  const t0 = performance.now();
  try {
    const res = await fetch(TASKS[state.task].route, {
      method: 'POST', headers: withApiKey({ 'content-type': 'application/json' }), body: JSON.stringify(requestBody(inputs)),
    });
    if (!res.ok) {
      setStatus(await errorMessage(res), true);
      return;
    }
    const body = await res.json();
    state.results = body.data;
    render(inputs, body.data);
    setStatus(`${inputs.length} input${inputs.length === 1 ? '' : 's'} in ${Math.round(performance.now() - t0)} ms`);
  } catch (e) {
    setStatus(`request failed: ${e instanceof Error ? e.message : String(e)}`, true);
  } finally {
    state.busy = false;
    els.run.disabled = false;
    state.runs++;
  }
}

for (const t of tabs) t.addEventListener('click', () => { if (!t.disabled) selectTab(t.dataset.task); });
els.form.addEventListener('submit', run);
els.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) els.form.requestSubmit();
});
void loadHealth();
