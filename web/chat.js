/* global document, window, localStorage */
/**
 * Chat page: keeps the conversation (multi-turn history), sends it to POST /v1/chat/completions
 * with `stream: true`, and shows the answer as its server-sent events arrive. Stop aborts the
 * fetch (the server then cancels the generation). `window.llmtsChat` exposes the state for tests.
 */
import { apiKey, setApiKey, withApiKey } from './api-key.js';
import { readSse } from './sse.js';

const $ = (id) => document.getElementById(id);
const els = {
  messages: $('messages'), empty: $('empty'), form: $('composer'), input: $('input'),
  send: $('send'), stop: $('stop'), newChat: $('new-chat'), status: $('status'), model: $('model'),
  system: $('system'), temperature: $('temperature'), topP: $('top-p'), topK: $('top-k'),
  maxTokens: $('max-tokens'), seed: $('seed'), apiKey: $('api-key'), details: $('settings-details'),
};

/** The conversation so far (user and assistant turns; the system prompt is added when sending). */
const state = { history: [], model: null, controller: null, busy: false, answers: 0 };
window.llmtsChat = state;

const SETTINGS_KEY = 'llmts.chat.settings';
const SETTING_FIELDS = ['system', 'temperature', 'topP', 'topK', 'maxTokens', 'seed'];

function loadSettings() {
  try {
    const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}');
    for (const f of SETTING_FIELDS) if (typeof saved[f] === 'string') els[f].value = saved[f];
  } catch {
    // storage disabled or garbage in it: keep the defaults
  }
  els.apiKey.value = apiKey();
}

function saveSettings() {
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(Object.fromEntries(SETTING_FIELDS.map((f) => [f, els[f].value]))));
  } catch {
    // storage disabled: settings last for this page only
  }
}

function headers() {
  return withApiKey({ 'content-type': 'application/json' });
}

function setStatus(text, isError = false) {
  els.status.textContent = text;
  els.status.classList.toggle('error', isError);
}

function setBusy(busy) {
  state.busy = busy;
  els.send.disabled = busy;
  els.stop.disabled = !busy;
}

/** Message of an error answer in OpenAI's shape, else the HTTP status. */
async function errorMessage(res) {
  try {
    const body = await res.json();
    if (body?.error?.message) return `${body.error.message} (HTTP ${res.status})`;
  } catch {
    // not JSON
  }
  return `HTTP ${res.status} ${res.statusText}`;
}

async function loadModel() {
  try {
    const res = await fetch('/v1/models', { headers: headers() });
    if (res.status === 401) {
      els.model.textContent = 'model: API key needed';
      setStatus('This server needs an API key: enter it under Settings.', true);
      return;
    }
    if (!res.ok) throw new Error(await errorMessage(res));
    const list = await res.json();
    state.model = list?.data?.[0]?.id ?? null;
    els.model.textContent = state.model ? `model: ${state.model}` : 'model: none';
    const health = await (await fetch('/health', { headers: headers() })).json();
    if (Array.isArray(health?.routes) && !health.routes.includes('/v1/chat/completions')) {
      setStatus(`${state.model} is ${health.description} and does not chat: use the Tasks page (/tasks) for what it does.`, true);
      els.send.disabled = true;
    }
  } catch (e) {
    els.model.textContent = 'model: unreachable';
    setStatus(`Could not list models: ${e.message}`, true);
  }
}

function addMessage(role, text) {
  els.empty.hidden = true;
  const div = document.createElement('div');
  div.className = `msg ${role}`;
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = role === 'user' ? 'You' : role === 'assistant' ? 'Model' : 'Error';
  const body = document.createElement('div');
  body.className = 'text';
  body.textContent = text;
  div.append(who, body);
  els.messages.append(div);
  scrollDown();
  return div;
}

function scrollDown() {
  els.messages.scrollTop = els.messages.scrollHeight;
}

function numberOrUndefined(input) {
  const v = input.value.trim();
  const n = Number(v);
  return v === '' || !Number.isFinite(n) ? undefined : n;
}

function intOrUndefined(input) {
  const n = numberOrUndefined(input);
  return n === undefined ? undefined : Math.trunc(n);
}

/** The request body: the system prompt (if any), the history, the sampling controls. */
function requestBody() {
  const messages = [];
  const system = els.system.value.trim();
  if (system) messages.push({ role: 'system', content: system });
  messages.push(...state.history);
  const body = { messages, stream: true, stream_options: { include_usage: true } };
  if (state.model) body.model = state.model; // absent: the server's one model
  const temperature = numberOrUndefined(els.temperature);
  const topP = numberOrUndefined(els.topP);
  const topK = intOrUndefined(els.topK);
  const maxTokens = intOrUndefined(els.maxTokens);
  const seed = intOrUndefined(els.seed);
  if (temperature !== undefined) body.temperature = temperature;
  if (topP !== undefined) body.top_p = topP;
  if (topK !== undefined && topK > 0) body.top_k = topK;
  if (maxTokens !== undefined) body.max_tokens = maxTokens;
  if (seed !== undefined) body.seed = seed;
  return body;
}

async function send(text) {
  if (state.busy) return;
  saveSettings();
  state.history.push({ role: 'user', content: text });
  const userDiv = addMessage('user', text);
  const div = addMessage('assistant', '');
  const textEl = div.querySelector('.text');
  div.classList.add('streaming');
  div.setAttribute('aria-busy', 'true');
  const controller = new AbortController();
  state.controller = controller;
  setBusy(true);
  setStatus('Generating…');

  let answer = '';
  let finish = null;
  let chunks = 0;
  let usage = null;
  let error = null;
  const t0 = performance.now();
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST', headers: headers(), body: JSON.stringify(requestBody()), signal: controller.signal,
    });
    if (!res.ok) throw new Error(await errorMessage(res));
    for await (const data of readSse(res.body)) {
      if (data === '[DONE]') break;
      const event = JSON.parse(data);
      if (event.error) throw new Error(event.error.message ?? 'error from the server');
      if (event.usage) usage = event.usage;
      const choice = event.choices?.[0];
      const delta = choice?.delta?.content ?? '';
      if (delta) {
        answer += delta;
        chunks++;
        textEl.textContent = answer;
        scrollDown();
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
  } catch (e) {
    if (e?.name === 'AbortError') finish = 'stopped';
    else error = e?.message ?? String(e);
  }
  const seconds = (performance.now() - t0) / 1000;
  state.controller = null;
  div.classList.remove('streaming');
  div.removeAttribute('aria-busy');

  if (error && !answer) {
    // nothing came back: take the turn out of the history and give the text back to edit
    state.history.pop();
    userDiv.remove();
    div.classList.add('error');
    div.querySelector('.who').textContent = 'Error';
    textEl.textContent = error;
    if (!els.input.value) els.input.value = text;
    setStatus(error, true);
  } else {
    state.history.push({ role: 'assistant', content: answer });
    const meta = document.createElement('span');
    meta.className = 'meta';
    const tokens = usage?.completion_tokens ?? chunks;
    const rate = seconds > 0 ? ` · ${(tokens / seconds).toFixed(1)} tok/s` : '';
    meta.textContent = `${tokens} tokens · ${seconds.toFixed(1)} s${rate} · ${error ? `error: ${error}` : `finish: ${finish ?? 'unknown'}`}`;
    div.append(meta);
    div.dataset.finish = finish ?? '';
    setStatus(finish === 'stopped' ? 'Stopped.' : error ? error : 'Done.', Boolean(error));
  }
  state.answers++;
  setBusy(false);
  scrollDown();
  els.input.focus();
}

function stop() {
  state.controller?.abort();
}

function newChat() {
  stop();
  state.history = [];
  for (const el of [...els.messages.querySelectorAll('.msg')]) el.remove();
  els.empty.hidden = false;
  setStatus('New chat.');
  els.input.focus();
}

els.form.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = els.input.value.trim();
  if (!text || state.busy) return;
  els.input.value = '';
  void send(text);
});
els.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    els.form.requestSubmit();
  }
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && state.busy) stop();
});
$('settings-form').addEventListener('submit', (e) => e.preventDefault());
els.stop.addEventListener('click', stop);
els.newChat.addEventListener('click', newChat);
for (const f of SETTING_FIELDS) els[f].addEventListener('change', saveSettings);
els.apiKey.addEventListener('change', () => {
  setApiKey(els.apiKey.value);
  void loadModel();
});

loadSettings();
if (window.matchMedia('(max-width: 800px)').matches) els.details.open = false;
setBusy(false);
void loadModel();
els.input.focus();
