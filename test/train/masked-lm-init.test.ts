/**
 * `--attentionInit=local` (src/train/masked-lm-init.ts): after the init, each head of a
 * fresh BERT encoder puts its largest score on the key its offset names (head 0: the token
 * on the left, head 1: on the right, ...) for about half the queries or more (1 in 32 by chance),
 * where the default init rarely does; nothing but the position embeddings and the query / key weights
 * changes; the same seed gives the same weights; a decoder is refused, by the function and
 * by the training config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bertConfig } from '../../src/models/encoder/config.ts';
import { gpt2Config } from '../../src/models/decoder/config.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import { initLocalAttention } from '../../src/train/masked-lm-init.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { Rng } from '../../src/util/rng.ts';

const T = 32;

function weights(model: AnyModel): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([n, p]) => [n, Float32Array.from(p.data)]));
}

/**
 * Layer 0's attention scores of random words: h = LayerNorm(word + position + type 0) (the
 * fresh LayerNorm is the identity map after normalising), q = W_q h + b_q, k = W_k h + b_k;
 * for each head, the fraction of queries (away from the edges) whose best key is i - d.
 */
function hitRate(model: AnyModel, offsets: number[]): number[] {
  const w = weights(model);
  const C = model.config.nEmbd, H = model.config.nHead, dh = C / H;
  const words = w.get('bert.embeddings.word_embeddings.weight')!, pos = w.get('bert.embeddings.position_embeddings.weight')!;
  const types = w.get('bert.embeddings.token_type_embeddings.weight')!;
  const rng = new Rng(5);
  const h = Array.from({ length: T }, (_, t) => {
    const id = rng.int(model.config.vocabSize);
    const x = Array.from({ length: C }, (_, c) => words[id * C + c]! + pos[t * C + c]! + types[c]!);
    const mean = x.reduce((a, b) => a + b, 0) / C;
    const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / C + 1e-12);
    return x.map((v) => (v - mean) / sd); // (C)
  });
  const project = (name: string) => {
    const W = w.get(`bert.encoder.layer.0.attention.self.${name}.weight`)!, b = w.get(`bert.encoder.layer.0.attention.self.${name}.bias`)!;
    return h.map((x) => Array.from({ length: C }, (_, o) => b[o]! + x.reduce((a, v, c) => a + W[o * C + c]! * v, 0))); // (T, C)
  };
  const q = project('query'), k = project('key');
  return Array.from({ length: H }, (_, head) => {
    const d = offsets[head % offsets.length]!;
    let hits = 0, n = 0;
    for (let i = 4; i < T - 4; i++, n++) {
      let best = 0, bestScore = -Infinity;
      for (let j = 0; j < T; j++) {
        let s = 0;
        for (let c = head * dh; c < (head + 1) * dh; c++) s += q[i]![c]! * k[j]![c]!;
        if (s > bestScore) [best, bestScore] = [j, s];
      }
      if (best === i - d) hits++;
    }
    return hits / n;
  });
}

for (const [name, nEmbd, nHead, offsets] of [['bert-mini shape', 256, 4, [1, -1, 2, -2]], ['bert-tiny shape', 128, 2, [1, -1]]] as const) {
  test(`local attention init (${name}): each head's best key is its offset's for ~half the queries or more; with the default init, rarely`, () => {
    const config = bertConfig({ vocabSize: 200, blockSize: T, nLayer: 2, nHead, nEmbd });
    const plain = createModel(config, { seed: 3 });
    const local = createModel(config, { seed: 3 });
    initLocalAttention(local, { seed: 3 });
    const rates = hitRate(local, [...offsets]);
    for (const r of rates) assert.ok(r >= 0.4, `hit rates ${rates.join(', ')}`); // chance: 1 in 32 keys
    assert.ok(rates.reduce((a, r) => a + r, 0) / rates.length >= 0.45, `hit rates ${rates.join(', ')}`);
    const before = hitRate(plain, [...offsets]);
    for (const r of before) assert.ok(r <= 0.2, `default init: hit rates ${before.join(', ')}`);
  });
}

test('local attention init changes only the position embeddings and the query / key weights, the same way for the same seed', () => {
  const config = bertConfig({ vocabSize: 50, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32 });
  const plain = weights(createModel(config, { seed: 9 }));
  const a = createModel(config, { seed: 9 }), b = createModel(config, { seed: 9 });
  initLocalAttention(a, { seed: 9 });
  initLocalAttention(b, { seed: 9 });
  const wa = weights(a), wb = weights(b);
  const changed = /position_embeddings\.weight$|attention\.self\.(query|key)\.weight$/;
  for (const [n, v] of wa) {
    assert.deepEqual(v, wb.get(n), `${n}: same seed, same weights`);
    if (changed.test(n)) assert.notDeepEqual(v, plain.get(n), `${n} is rewritten`);
    else assert.deepEqual(v, plain.get(n), `${n} keeps the model's init`);
  }
  const c = createModel(config, { seed: 9 });
  initLocalAttention(c, { seed: 10 });
  assert.notDeepEqual(weights(c).get('bert.embeddings.position_embeddings.weight'), wa.get('bert.embeddings.position_embeddings.weight'));
});

test('local attention init: a decoder is an E_CONFIG error, in the function and in the training config', () => {
  const decoder = createModel(gpt2Config({ vocabSize: 50, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 32 }), { seed: 1 });
  assert.throws(() => initLocalAttention(decoder, { seed: 1 }), (e: Error & { code?: string }) => e.code === 'E_CONFIG' && /BERT encoder's attention, not a gpt2 model/.test(e.message));
  assert.throws(() => resolveTrainConfig({ overrides: { preset: 'tiny', attentionInit: 'local' } }), /attentionInit 'local' initialises an encoder's attention, not a gpt2 model/);
  assert.throws(() => resolveTrainConfig({ overrides: { preset: 'bert-tiny', attentionInit: 'nearby' } }), /attentionInit/);
  assert.equal(resolveTrainConfig({ overrides: { preset: 'bert-tiny', attentionInit: 'local' } }).train.attentionInit, 'local');
});
