import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DecodeStep } from '../../src/infer/decode-step.ts';
import { Generation, generate, streamGenerate, encodePrompt, stopTokenIds, type GenerationStep } from '../../src/infer/index.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { gpt2Config, llamaConfig, type DecoderConfig } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { noGrad, tidy } from '../../src/tensor/index.ts';

const DIR = 'data/llama2c-stories260k';
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected-greedy.json'), 'utf8')) as {
  cases: { prompt: string; steps: number; prompt_ids_with_bos: number[]; next_tokens_per_step: number[]; stdout_text: string }[];
};
const { model: stories, tokenizer: tok512 } = loadModel(path.join(DIR, 'stories260K.bin'), path.join(DIR, 'tok512.bin'));

const configs: [string, DecoderConfig][] = [
  ['gpt2 (fused qkv, biases, learned positions)', gpt2Config({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 })],
  ['llama (GQA, halves RoPE, untied)', llamaConfig({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 16, intermediateSize: 24 })],
  ['llama (interleaved RoPE, tied, biases)', llamaConfig({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, intermediateSize: 20, ropeInterleaved: true, tieEmbeddings: true, bias: true })],
];

for (const [name, cfg] of configs) {
  test(`DecodeStep gives the logits of AnyModel.forward: ${name}`, () => {
    const m = createModel(cfg, { seed: 7 });
    m.eval();
    // non-zero biases so that a missing bias would show
    for (const [n, p] of m.stateDict()) if (n.endsWith('.bias')) p.data.forEach((_, i) => { p.data[i] = 0.01 * ((i % 5) - 2); });
    const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    const V = cfg.vocabSize;
    const want = noGrad(() => m.forward(Int32Array.from(ids), 1, ids.length).logits.data.slice()); // (1, T, V)
    const cache = m.newCache(1);
    noGrad(() => tidy(() => { m.forward(Int32Array.from(ids.slice(0, 4)), 1, 4, null, cache); })); // prefill 4
    const step = new DecodeStep(m);
    const logits = new Float32Array(V);
    for (let t = 4; t < ids.length; t++) {
      step.run(ids[t]!, cache, logits);
      for (let v = 0; v < V; v++) assert.ok(Math.abs(logits[v]! - want[t * V + v]!) < 1e-4, `t ${t} v ${v}: ${logits[v]} vs ${want[t * V + v]}`);
    }
    assert.equal(cache.length, ids.length);
  });
}

test('stories260K greedy: the ids and text of llama2.c run.c, both recorded cases', () => {
  for (const c of expected.cases) {
    const prompt = encodePrompt(tok512, c.prompt);
    assert.deepEqual(prompt, c.prompt_ids_with_bos);
    // run.c's `steps` counts positions from BOS: the last steps - (prompt - 1) are generated
    const fresh = c.next_tokens_per_step.slice(prompt.length - 1);
    const g = new Generation(stories, prompt, { temperature: 0, maxTokens: fresh.length, stopTokens: stopTokenIds(tok512) }, tok512);
    let text = g.promptText;
    for (let s = g.step(); s; s = g.step()) text += s.text;
    const r = g.result();
    assert.deepEqual(r.ids, fresh);
    assert.equal(r.finishReason, 'length');
    assert.equal(text + '\n', c.stdout_text);
  }
});

const story = expected.cases[0]!;
const storyText = story.stdout_text.slice(0, -1);
const greedy = (opts: object) => generate(stories, [1], { temperature: 0, maxTokens: 120, ...opts }, tok512);

test('stop strings end the text before the string, also when it spans tokens', () => {
  for (const stop of ['.', 'named Lily', 'Lil']) {
    const r = greedy({ stop: [stop, 'never-there'] });
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.text, storyText.slice(0, storyText.indexOf(stop)), stop);
  }
  const streamed: string[] = [];
  const r = generate(stories, [1], { temperature: 0, maxTokens: 120, stop: ['girl'] }, tok512, (s) => streamed.push(s.text));
  assert.equal(streamed.join(''), r.text);
  assert.ok(!streamed.join('').includes('gir'), 'a stop-string prefix is never shown');
});

test('stop ids, max tokens 0, and the result counts', () => {
  const first = story.next_tokens_per_step[0]!;
  const r = greedy({ stopTokens: [first] });
  assert.equal(r.finishReason, 'stop');
  assert.deepEqual(r.ids, []);
  const z = greedy({ maxTokens: 0 });
  assert.deepEqual([z.ids.length, z.finishReason], [0, 'length']);
  const n = greedy({ maxTokens: 7 });
  assert.deepEqual(n.ids, story.next_tokens_per_step.slice(0, 7));
  assert.deepEqual([n.promptTokens, n.completionTokens], [1, 7]);
});

test('sampling is reproducible from its seed and differs across seeds; top-p, top-k and repetition penalty apply', () => {
  const opts = { temperature: 1, topP: 0.9, maxTokens: 60 };
  const a = generate(stories, [1], { ...opts, seed: 42 }, tok512);
  const b = generate(stories, [1], { ...opts, seed: 42 }, tok512);
  const c = generate(stories, [1], { ...opts, seed: 43 }, tok512);
  assert.deepEqual(a.ids, b.ids);
  assert.notDeepEqual(a.ids, c.ids);
  // top-k 1 is greedy whatever the temperature
  assert.deepEqual(generate(stories, [1], { temperature: 2, topK: 1, maxTokens: 30, seed: 1 }).ids, story.next_tokens_per_step.slice(0, 30));
  // a strong repetition penalty changes the greedy text (which repeats itself)
  const rep = generate(stories, [1], { temperature: 0, repetitionPenalty: 3, maxTokens: 60 }).ids;
  assert.notDeepEqual(rep, story.next_tokens_per_step.slice(0, 60));
  assert.throws(() => generate(stories, [1], { topP: 0 }), /topP = 0 is out of range/);
});

test('streamGenerate: async iteration, abort after three tokens', async () => {
  const ac = new AbortController();
  const steps: GenerationStep[] = [];
  const it = streamGenerate(stories, [1], { temperature: 0, maxTokens: 50, signal: ac.signal }, tok512);
  let res = await it.next();
  while (!res.done) {
    steps.push(res.value);
    if (steps.length === 3) ac.abort();
    res = await it.next();
  }
  assert.equal(res.value.finishReason, 'aborted');
  assert.deepEqual(res.value.ids, story.next_tokens_per_step.slice(0, 3));
  assert.equal(steps.map((s) => s.text).join(''), res.value.text);
});

test('context overflow: slide past blockSize, or stop at it', () => {
  const m = createModel(llamaConfig({ vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, intermediateSize: 12 }), { seed: 3 });
  const slid = generate(m, [1, 2, 3], { temperature: 0, maxTokens: 20 });
  assert.equal(slid.ids.length, 20);
  const stopped = generate(m, [1, 2, 3], { temperature: 0, maxTokens: 20, contextOverflow: 'stop' });
  assert.equal(stopped.finishReason, 'length');
  assert.equal(stopped.ids.length, 8 - 3 + 1, 'the last position of the cache still yields a token');
  assert.deepEqual(slid.ids.slice(0, 6), stopped.ids);
  assert.throws(() => generate(m, []), /at least one prompt token/);
  assert.throws(() => generate(m, [11]), /outside the model's vocabulary/);
});
