import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { encodePrompt, generate, InferenceEngine, stopTokenIds, type CompletionRequest } from '../../src/infer/index.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { llamaConfig } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { noGrad, tidy } from '../../src/tensor/index.ts';
import { Llama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const DIR = 'data/llama2c-stories260k';
const { model, tokenizer } = loadModel(path.join(DIR, 'stories260K.bin'), path.join(DIR, 'tok512.bin'));
assert.ok(tokenizer instanceof Llama2cTokenizer);
const tok512: Llama2cTokenizer = tokenizer;
const V = model.config.vocabSize;
const enc = (s: string) => encodePrompt(tokenizer, s);

test('same seed, same output, whatever else is in the batch', async () => {
  const req: CompletionRequest = { prompt: enc('Once upon a time'), maxTokens: 40, temperature: 0.9, topP: 0.95, seed: 42, stopTokens: [] };
  const alone = new InferenceEngine(model, tokenizer);
  const solo = await alone.submit(req).result;
  await alone.close();
  // the same request with up to 11 others, arriving at different times so that it shares
  // steps with different companions (batches of 1 to 10 rows)
  const engine = new InferenceEngine(model, tokenizer, { maxBatch: 10 });
  const others = ['The cat', 'Tom had a ball', 'Lily', 'A dog ran', 'The sun', 'One day', 'Ben and Mia', 'The big tree', 'She'];
  const early = engine.submit({ prompt: enc('Sam saw'), maxTokens: 7, temperature: 1, seed: 5, stopTokens: [] });
  await new Promise((r) => setImmediate(r));
  const mine = engine.submit(req);
  const twin = engine.submit(req);
  const rest = others.map((p, i) => engine.submit({ prompt: enc(p), maxTokens: 5 + 4 * i, temperature: 0.8 + 0.05 * i, seed: 100 + i, stopTokens: [] }));
  const [a, b] = await Promise.all([mine.result, twin.result, early.result, ...rest.map((h) => h.result)]);
  assert.deepEqual(a!.ids, solo.ids);
  assert.deepEqual(b!.ids, solo.ids);
  assert.equal(a!.text, solo.text);
  // and a different seed gives a different continuation
  const other = await engine.submit({ ...req, seed: 43 }).result;
  assert.notDeepEqual(other.ids, solo.ids);
  await engine.close();
});

test('stop strings end the generation and are never emitted', async () => {
  const prompt = enc('Once upon a time');
  const full = generate(model, prompt, { temperature: 0, maxTokens: 60, stopTokens: stopTokenIds(tokenizer) }, tokenizer);
  // a stop string from the middle of the greedy text, split across tokens in general
  const at = Math.floor(full.text.length / 2);
  const stop = full.text.slice(at, at + 5);
  const engine = new InferenceEngine(model, tokenizer);
  const h = engine.submit({ prompt, temperature: 0, maxTokens: 60, stop: ['zzzq', stop] });
  let streamed = '';
  for await (const ev of h) streamed += ev.text;
  const r = await h.result;
  assert.equal(r.finishReason, 'stop');
  assert.equal(r.text, full.text.slice(0, full.text.indexOf(stop)));
  assert.equal(streamed, r.text);
  assert.ok(!streamed.includes(stop));
  await engine.close();
});

/** log-softmax (float64) of the logits after `prefix`, straight through AnyModel.forward. */
function logSoftmaxAfter(prefix: number[]): number[] {
  model.eval();
  let row: number[] = [];
  noGrad(() => tidy(() => {
    const l = model.forward(Int32Array.from(prefix), 1, prefix.length).logits.data; // (1, T, V)
    row = Array.from(l.subarray((prefix.length - 1) * V, prefix.length * V));
  }));
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  return row.map((x) => x - lse);
}

test('logprobs: chosen token and top-n alternatives equal a direct log-softmax of the raw logits', async () => {
  const prompt = enc('The cat');
  const engine = new InferenceEngine(model, tokenizer);
  // a frequency penalty and a temperature change the draw, not the reported logprobs
  const h = engine.submit({ prompt, maxTokens: 8, temperature: 0.7, seed: 9, frequencyPenalty: 1.5, logprobs: 5, stopTokens: [] });
  const events = [];
  for await (const ev of h) events.push(ev);
  const r = await h.result;
  assert.equal(r.logprobs!.length, r.ids.length);
  for (let i = 0; i < r.ids.length; i++) {
    const lp = r.logprobs![i]!;
    assert.deepEqual(events[i]!.logprob, lp);
    const want = logSoftmaxAfter([...prompt, ...r.ids.slice(0, i)]);
    assert.equal(lp.id, r.ids[i]);
    assert.ok(Math.abs(lp.logprob - want[lp.id]!) < 1e-4, `step ${i}: ${lp.logprob} vs ${want[lp.id]}`);
    const order = want.map((x, id) => [x, id] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
    assert.deepEqual(lp.top.map((t) => t.id), order.slice(0, 5).map((o) => o[1]));
    for (const t of [lp, ...lp.top]) {
      assert.ok(Math.abs(t.logprob - want[t.id]!) < 1e-4);
      const bytes = Array.from(tok512.decodeBytes([t.id]));
      assert.deepEqual(t.bytes, bytes);
      assert.equal(t.token, Buffer.from(bytes).toString('utf8'));
    }
  }
  // logprobs: 0 = the chosen token only; undefined = none
  const r0 = await engine.submit({ prompt, maxTokens: 3, temperature: 0, logprobs: 0 }).result;
  assert.ok(r0.logprobs!.every((l) => l.top.length === 0));
  assert.ok(r0.logprobs!.every((l, i) => l.id === r0.ids[i] && l.logprob <= 0));
  const r1 = await engine.submit({ prompt, maxTokens: 3, temperature: 0 }).result;
  assert.equal(r1.logprobs, undefined);
  await engine.close();
});

test('embed: unit norm, deterministic, texts differ, the mean of the final hidden states', () => {
  const engine = new InferenceEngine(model, tokenizer);
  const a = engine.embed(enc('The cat sat on the mat'));
  const b = engine.embed(enc('The cat sat on the mat'));
  const c = engine.embed(enc('A big red ball'));
  assert.equal(a.length, model.config.nEmbd);
  const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
  assert.ok(Math.abs(dot(a, a) - 1) < 1e-5);
  assert.ok(Math.abs(dot(c, c) - 1) < 1e-5);
  assert.deepEqual(a, b);
  assert.ok(dot(a, c) < 0.9999, `cosine ${dot(a, c)}`);
  // by hand: the hidden states are what the lm_head sees, and the embedding is their normalised mean
  const ids = enc('The cat sat on the mat'), T = ids.length, C = model.config.nEmbd;
  model.eval();
  noGrad(() => tidy(() => {
    const h = model.hiddenStates({ ids: Int32Array.from(ids), B: 1, T }).data; // (1, T, C)
    const logits = model.forward(Int32Array.from(ids), 1, T).logits.data; // (1, T, V)
    const head = model.decodePlan().lmHead; // tied: the token embedding (V, C)
    for (const [t, v] of [[0, 5], [T - 1, 300]] as const) {
      let s = 0;
      for (let i = 0; i < C; i++) s += h[t * C + i]! * head[v * C + i]!;
      assert.ok(Math.abs(s - logits[t * V + v]!) < 1e-4);
    }
    const mean = new Float64Array(C);
    for (let t = 0; t < T; t++) for (let i = 0; i < C; i++) mean[i] += h[t * C + i]! / T;
    const norm = Math.sqrt(mean.reduce((s, x) => s + x * x, 0));
    for (let i = 0; i < C; i++) assert.ok(Math.abs(a[i]! - mean[i]! / norm) < 1e-5);
  }));
  assert.throws(() => engine.embed([]), (e) => e instanceof LlmtsError && e.code === 'E_PROMPT');
  assert.throws(() => engine.embed(new Array<number>(model.config.blockSize + 1).fill(3)), (e) => e instanceof LlmtsError && e.code === 'E_PROMPT');
});

test('a model vocabulary larger than the tokenizer\'s: the extra ids are never produced; one failing request leaves the others', async () => {
  const padded = createModel(llamaConfig({ vocabSize: 520, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 16, intermediateSize: 24 }), { seed: 2 });
  const engine = new InferenceEngine(padded, tokenizer, { maxBatch: 4 });
  const hs = [1, 2, 3].map((seed) => engine.submit({ prompt: [1], maxTokens: 60, temperature: 1.5, seed, stopTokens: [], logprobs: 3 }));
  const rs = await Promise.all(hs.map((h) => h.result));
  for (const r of rs) {
    assert.equal(r.completionTokens, 60);
    assert.ok(r.ids.every((id) => id < tokenizer.vocabSize));
    assert.ok(r.logprobs!.every((l) => l.top.every((t) => t.id < tokenizer.vocabSize)));
  }
  // a tokenizer that fails on one id fails only the request that produced it
  const flaky = Object.create(tokenizer) as typeof tokenizer;
  const boom = rs[0]!.ids[3]!;
  flaky.decodeBytes = (ids, opts) => {
    if (Array.from(ids).includes(boom)) throw new Error('boom');
    return tokenizer.decodeBytes(ids, opts);
  };
  const e2 = new InferenceEngine(padded, flaky, { maxBatch: 4 });
  const bad = e2.submit({ prompt: [1], maxTokens: 60, temperature: 1.5, seed: 1, stopTokens: [] });
  const good = e2.submit({ prompt: [1, 2], maxTokens: 5, temperature: 0, stopTokens: [boom] });
  await assert.rejects(bad.result, /boom/);
  assert.equal((await good.result).completionTokens, 5);
  await Promise.all([engine.close(), e2.close()]);
});

test('a long prompt is prefilled in chunks and continues as generate() does', async () => {
  let text = '';
  while (enc(text).length < 460) text += 'Lily and Tom went to the park. They saw a big dog and a small cat. ';
  const prompt = enc(text).slice(0, 460); // two chunks: 256 + 204
  const want = generate(model, prompt, { temperature: 0, maxTokens: 30, stopTokens: [] }, tokenizer);
  const engine = new InferenceEngine(model, tokenizer);
  const short = engine.submit({ prompt: enc('The cat'), maxTokens: 30, temperature: 0, stopTokens: [] });
  const long = engine.submit({ prompt, maxTokens: 30, temperature: 0, stopTokens: [] });
  const [rs, rl] = await Promise.all([short.result, long.result]);
  assert.equal(rs.completionTokens, 30);
  assert.equal(rl.promptTokens, 460);
  assert.deepEqual(rl.ids, want.ids);
  assert.equal(rl.text, want.text);
  await engine.close();
});

test('generate takes a text prompt with a tokenizer (encoded as encodePrompt does) and refuses one without', () => {
  const fromText = generate(model, 'Once upon a time', { maxTokens: 12, temperature: 0 }, tokenizer);
  const fromIds = generate(model, enc('Once upon a time'), { maxTokens: 12, temperature: 0 }, tokenizer);
  assert.deepEqual(fromText, fromIds);
  assert.equal(fromText.promptTokens, enc('Once upon a time').length);
  assert.ok(fromText.text.length > 0);
  assert.throws(() => generate(model, 'Once upon a time', { maxTokens: 4 }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_PROMPT' && /a text prompt needs a tokenizer/.test(e.message));
});
