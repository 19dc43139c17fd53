// The sliding KV window with attention sinks (src/infer/kv-window.ts) and generation past
// the context through it (src/infer/engine.ts, contextOverflow 'shift').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeStep } from '../../src/infer/decode-step.ts';
import { generate } from '../../src/infer/engine.ts';
import { KVWindow } from '../../src/infer/kv-window.ts';
import { InferenceEngine } from '../../src/infer/scheduler.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { scoreStream } from '../../src/infer/stream-perplexity.ts';
import { scoreIds } from '../../src/eval/perplexity.ts';
import { parseRopeScaling, withContext } from '../../src/models/context.ts';
import { gpt2Config, llamaConfig, type DecoderConfig } from '../../src/models/decoder/config.ts';
import type { LanguageModel } from '../../src/models/model.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';

function model(c: Partial<DecoderConfig> = {}): LanguageModel {
  const cfg = llamaConfig({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 16, intermediateSize: 24, ...c });
  return createModel(cfg, { seed: 5 }) as unknown as LanguageModel;
}

const ids = Array.from({ length: 40 }, (_, i) => (i * 5 + 2) % 23);

for (const scaling of [{}, { ropeScaling: 'yarn', ropeFactor: 2, blockSize: 32 }, { ropeInterleaved: true }] as Partial<DecoderConfig>[]) {
  test(`a shift keeps the sinks and moves the rest as if it had been fed there (layer 0 keys and values) ${JSON.stringify(scaling)}`, () => {
    const m = model(scaling);
    const cap = m.config.blockSize;
    const cache = m.newCache(1, 16);
    noGrad(() => m.forward(Int32Array.from(ids.slice(0, 16)), 1, 16, null, cache));
    const w = new KVWindow(m, { keep: 3, discard: 5 });
    assert.equal(w.shift(cache), 5);
    assert.equal(cache.length, 11);
    // layer 0's k and v depend only on the token and its position: feed the kept ids afresh
    const kept = [...ids.slice(0, 3), ...ids.slice(8, 16)];
    const fresh = m.newCache(1, 16);
    noGrad(() => m.forward(Int32Array.from(kept), 1, kept.length, null, fresh));
    const hs = cache.headSize;
    for (let h = 0; h < cache.nKvHead; h++) {
      for (let s = 0; s < 11; s++) {
        for (let d = 0; d < hs; d++) {
          const o = (h * 16 + s) * hs + d;
          assert.ok(Math.abs(cache.keys[0]!.data[o]! - fresh.keys[0]!.data[o]!) < 1e-5, `key head ${h} slot ${s}`);
          assert.equal(cache.values[0]!.data[o], fresh.values[0]!.data[o]);
        }
      }
    }
    assert.ok(cap >= 16);
  });
}

test('decoding far past the context with the window: bounded cache, sinks kept, finite logits', () => {
  const m = model();
  const step = new DecodeStep(m);
  const w = new KVWindow(m); // keep 4, discard half of the rest
  const cache = m.newCache(1);
  const keys = cache.keys[0]!.data;
  let sink = new Float32Array(0);
  const logits = new Float32Array(23);
  let shifts = 0;
  for (let t = 0; t < 500; t++) {
    if (cache.length === cache.capacity) {
      assert.equal(w.shift(cache), 6); // (16 - 4) / 2
      shifts++;
    }
    step.run(ids[t % ids.length]!, cache, logits);
    assert.ok(logits.every(Number.isFinite));
    if (t === 3) sink = keys.slice(0, 4 * cache.headSize); // head 0's first 4 positions
  }
  assert.equal(cache.capacity, 16);
  assert.equal(cache.keys[0]!.data, keys, 'the same buffers: no growth');
  assert.deepEqual(cache.keys[0]!.data.slice(0, 4 * cache.headSize), sink, 'the sink positions never move');
  assert.ok(shifts > 70);
});

test('generate runs far past the context by shifting (default), reproducibly; stop and slide still work', () => {
  const m = model();
  const a = generate(m, [1, 2, 3], { temperature: 1, topK: 5, seed: 3, maxTokens: 300 });
  const b = generate(m, [1, 2, 3], { temperature: 1, topK: 5, seed: 3, maxTokens: 300 });
  assert.equal(a.ids.length, 300);
  assert.equal(a.finishReason, 'length');
  assert.deepEqual(a.ids, b.ids);
  const greedy = generate(m, [1, 2, 3], { temperature: 0, maxTokens: 40 });
  const slide = generate(m, [1, 2, 3], { temperature: 0, maxTokens: 40, contextOverflow: 'slide' });
  const stop = generate(m, [1, 2, 3], { temperature: 0, maxTokens: 40, contextOverflow: 'stop' });
  assert.equal(stop.ids.length, 16 - 3 + 1);
  assert.deepEqual(greedy.ids.slice(0, 14), stop.ids, 'identical until the cache is full');
  assert.deepEqual(slide.ids.slice(0, 14), stop.ids);
  assert.equal(greedy.ids.length, 40);
  // a smaller window than blockSize
  const small = generate(m, [1, 2, 3], { temperature: 0, maxTokens: 40, contextSize: 8, keep: 2 });
  assert.deepEqual(small.ids.slice(0, 6), stop.ids.slice(0, 6));
  assert.equal(small.ids.length, 40);
});

test('a prompt longer than the window keeps its first keep ids and its last ones', () => {
  const m = model();
  const long = generate(m, ids, { temperature: 0, maxTokens: 5, keep: 4 });
  const cut = generate(m, [...ids.slice(0, 4), ...ids.slice(-12)], { temperature: 0, maxTokens: 5, keep: 4 });
  assert.deepEqual(long.ids, cut.ids);
  assert.equal(long.promptTokens, 40);
});

test('GPT-2 (learned positions) cannot shift: it refills the cache instead, and the window refuses to shift it', () => {
  const g = createModel(gpt2Config({ vocabSize: 23, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 1 }) as unknown as LanguageModel;
  const out = generate(g, [1, 2], { temperature: 0, maxTokens: 50 });
  const slide = generate(g, [1, 2], { temperature: 0, maxTokens: 50, contextOverflow: 'slide' });
  assert.deepEqual(out.ids, slide.ids);
  const w = new KVWindow(g);
  assert.equal(w.canShift, false);
  assert.throws(() => w.shift(g.newCache(1)), (e: unknown) => e instanceof LlmtsError && e.code === 'E_MODEL');
});

test('window options out of range are E_CONFIG naming the option', () => {
  const m = model();
  assert.throws(() => generate(m, [1], { keep: 15, maxTokens: 3 }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG' && /keep = 15/.test(e.message));
  assert.throws(() => generate(m, [1], { keep: -1, maxTokens: 3 }), /keep = -1 is out of range/);
  assert.throws(() => generate(m, [1], { contextSize: 1, maxTokens: 3 }), /contextSize = 1 is out of range/);
  assert.throws(() => new KVWindow(m, { discard: 0 }), /discard = 0/);
});

test('stream perplexity: equals windowed scoring while the stream fits, then slides with a fixed cache', () => {
  const m = model();
  const short = ids.slice(0, 15); // 14 predictions fit a 16-position window: no shift
  const a = scoreStream(m, short, { window: 16, keep: 4, chunk: 3 });
  const b = scoreIds(m as unknown as AnyModel, short, { blockSize: 16 });
  assert.equal(a.shifts, 0);
  assert.ok(Math.abs(a.totalNats - b.totalNats) < 1e-4, `${a.totalNats} vs ${b.totalNats}`);
  const long = Array.from({ length: 400 }, (_, i) => (i * 7 + 1) % 23);
  const r = scoreStream(m, long, { window: 16, keep: 4 });
  assert.equal(r.tokens, 399);
  assert.ok(r.shifts > 50 && Number.isFinite(r.perplexity));
  assert.equal(r.kvBytes, 2 * 2 * 2 * 16 * 4 * 4); // k and v, 2 layers, 2 kv heads, 16 positions, hs 4, fp32
  const g = createModel(gpt2Config({ vocabSize: 23, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 1 }) as unknown as LanguageModel;
  assert.throws(() => scoreStream(g, long), (e: unknown) => e instanceof LlmtsError && e.code === 'E_EVAL' && /learned positions/.test(e.message));
  assert.throws(() => scoreStream(m, long, { window: 16, keep: 9 }), /keep = 9 is out of range/);
});

test('withContext: the same weights at a longer context, with or without a RoPE scaling; parseRopeScaling', () => {
  const m = model();
  const longer = withContext(m as unknown as AnyModel, { context: 64 }) as unknown as LanguageModel;
  assert.equal(longer.config.blockSize, 64);
  const x = Int32Array.from(ids.slice(0, 16));
  const l0 = noGrad(() => m.forward(x, 1, 16).logits.data);
  const l1 = noGrad(() => longer.forward(x, 1, 16).logits.data);
  assert.deepEqual(l1, l0, 'RoPE needs no table: the first 16 positions are unchanged');
  assert.equal(generate(longer, [1, 2, 3], { temperature: 0, maxTokens: 50, contextOverflow: 'stop' }).ids.length, 50);
  const yarn = withContext(m as unknown as AnyModel, { rope: parseRopeScaling('yarn:4', '--rope-scaling') });
  const c = yarn.config as DecoderConfig;
  assert.deepEqual([c.blockSize, c.ropeScaling, c.ropeFactor, c.ropeOriginalContext], [64, 'yarn', 4, 16]);
  const back = withContext(yarn, { rope: 'none' }).config as DecoderConfig;
  assert.deepEqual([back.blockSize, back.ropeScaling], [16, undefined]);
  assert.deepEqual(parseRopeScaling('linear:2.5:512', '--rope-scaling'), { type: 'linear', factor: 2.5, original: 512 });
  assert.throws(() => parseRopeScaling('ntk:4', '--rope-scaling'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_FLAG' && /--rope-scaling ntk:4: the type/.test(e.message));
  assert.throws(() => parseRopeScaling('yarn:0.5', '--rope-scaling'), /factor must be a number >= 1/);
  assert.throws(() => parseRopeScaling('yarn', '--rope-scaling'), /factor must be a number >= 1/);
  const g = createModel(gpt2Config({ vocabSize: 23, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 1 });
  assert.throws(() => withContext(g, { context: 32 }), /16 learned positions/);
  assert.throws(() => withContext(g, { rope: { type: 'yarn', factor: 2 } }), /learned positions, not RoPE/);
});

test('the serving engine with contextShift runs past the context like generate does; without it, it ends at the context', async () => {
  const m = model();
  const tok = new CharTokenizer([...'abcdefghijklmnopqrstuvw']);
  const shifting = new InferenceEngine(m as unknown as AnyModel, tok, { maxBatch: 2, contextShift: { keep: 4 } });
  const [a, b] = [shifting.submit({ prompt: [1, 2, 3], maxTokens: 60, temperature: 0 }), shifting.submit({ prompt: [5, 6], maxTokens: 45, temperature: 0 })];
  const [ra, rb] = await Promise.all([a.result, b.result]);
  assert.equal(ra.finishReason, 'length');
  assert.equal(ra.completionTokens, 60);
  assert.equal(rb.completionTokens, 45);
  assert.deepEqual(ra.ids, generate(m, [1, 2, 3], { temperature: 0, maxTokens: 60, keep: 4 }).ids);
  assert.deepEqual(rb.ids, generate(m, [5, 6], { temperature: 0, maxTokens: 45, keep: 4 }).ids);
  await shifting.close();
  const plain = new InferenceEngine(m as unknown as AnyModel, tok, { maxBatch: 1 });
  const r = await plain.submit({ prompt: [1, 2, 3], maxTokens: 60, temperature: 0 }).result;
  assert.equal(r.completionTokens, 16 - 3);
  await plain.close();
  const g = createModel(gpt2Config({ vocabSize: 23, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 1 });
  assert.throws(() => new InferenceEngine(g, tok, { contextShift: {} }), /learned positions/);
});
