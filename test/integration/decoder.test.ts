import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2Config, llamaConfig, type DecoderConfig } from '../../src/models/decoder/config.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import { generate } from '../../src/infer/engine.ts';
import { argmax, Sampler } from '../../src/infer/sampling.ts';
import { noGrad, tidy } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const configs: [string, DecoderConfig][] = [
  ['gpt2', gpt2Config({ vocabSize: 17, blockSize: 12, nLayer: 2, nHead: 2, nEmbd: 16 })],
  ['llama (GQA, RoPE)', llamaConfig({ vocabSize: 17, blockSize: 12, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 16, intermediateSize: 24 })],
];

/** Logits (T, V) of a full forward over ids (no cache). */
function fullLogits(m: AnyModel, ids: number[]): Float32Array {
  return noGrad(() => m.forward(Int32Array.from(ids), 1, ids.length).logits.data.slice());
}

for (const [name, cfg] of configs) {
  test(`${name}: prefill + one-token decoding through the KV cache equals full forwards`, () => {
    const m = createModel(cfg, { seed: 11 });
    m.eval();
    const ids = [3, 1, 4, 1, 5, 9, 2, 6];
    const V = cfg.vocabSize;
    const want = fullLogits(m, ids);
    const cache = m.newCache(1);
    const got = new Float32Array(ids.length * V);
    noGrad(() => {
      tidy(() => { got.set(m.forward(Int32Array.from(ids.slice(0, 3)), 1, 3, null, cache).logits.data, 0); });
      for (let t = 3; t < ids.length; t++) {
        tidy(() => { got.set(m.forward(Int32Array.from([ids[t]!]), 1, 1, null, cache).logits.data, t * V); });
      }
    });
    assert.equal(cache.length, ids.length);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-4, `logit ${i}: ${got[i]} vs ${want[i]}`);
  });

  test(`${name}: greedy generate = argmax of full forwards, step by step`, () => {
    const m = createModel(cfg, { seed: 12 });
    const prompt = [2, 7, 1];
    const out = [...prompt, ...generate(m, prompt, { maxTokens: 6, temperature: 0 }).ids];
    assert.equal(out.length, 9);
    assert.deepEqual(out.slice(0, 3), prompt);
    for (let t = 3; t < out.length; t++) {
      const logits = fullLogits(m, out.slice(0, t));
      const row = logits.subarray((t - 1) * cfg.vocabSize, t * cfg.vocabSize);
      assert.equal(out[t], argmax(row), `token ${t}`);
    }
    assert.ok(m.training, 'generate restores train mode');
  });
}

test('generate runs past blockSize (cache refill) and is reproducible from its seed', () => {
  const m = createModel(configs[0]![1], { seed: 13 });
  const a = [1, ...generate(m, [1], { maxTokens: 40, temperature: 1, topK: 5, seed: 3 }).ids];
  const b = [1, ...generate(m, [1], { maxTokens: 40, temperature: 1, topK: 5, seed: 3 }).ids];
  const c = [1, ...generate(m, [1], { maxTokens: 40, temperature: 1, topK: 5, seed: 4 }).ids];
  assert.equal(a.length, 41);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every((id) => id >= 0 && id < 17));
});

test('Sampler: greedy, top-k keeps only the k likeliest, temperature spreads', () => {
  const logits = Float32Array.from([0.1, 3, 2.5, -1, 2.9]);
  assert.equal(new Sampler({ temperature: 0, seed: 1 }).sample(logits), 1);
  const topK = new Sampler({ temperature: 1, topK: 2, seed: 2 });
  const seen = new Set<number>();
  for (let i = 0; i < 300; i++) seen.add(topK.sample(logits));
  assert.deepEqual([...seen].sort(), [1, 4]);
  const hot = new Sampler({ temperature: 5, seed: 3 });
  const all = new Set<number>();
  for (let i = 0; i < 2000; i++) all.add(hot.sample(logits));
  assert.equal(all.size, 5);
});

test('bad inputs give LlmtsErrors that name the problem', () => {
  const m = createModel(configs[0]![1]);
  assert.throws(() => m.forward(Int32Array.from([1, 2, 3]), 1, 2), (e: unknown) => e instanceof LlmtsError && /3 ids for B=1, T=2/.test(e.message));
  assert.throws(() => m.forward(new Int32Array(13), 1, 13), /longer than blockSize 12/);
  assert.throws(() => m.forward(Int32Array.from([99]), 1, 1), /id 99 .* outside the table/);
  assert.throws(() => gpt2Config({ vocabSize: 10, blockSize: 8, nLayer: 1, nHead: 3, nEmbd: 16 }), /not divisible by nHead 3/);
  assert.throws(() => generate(m, [], { maxTokens: 1 }), /at least one prompt token/);
});
