import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { backend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import { DecodeStep, probeRowConsistency } from '../../src/infer/decode-step.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { gpt2Config, llamaConfig } from '../../src/models/decoder/config.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import type { KVCache } from '../../src/nn/kv-cache.ts';
import { noGrad, tidy } from '../../src/tensor/index.ts';

const DIR = 'data/llama2c-stories260k';
const { model: stories } = loadModel(path.join(DIR, 'stories260K.bin'), path.join(DIR, 'tok512.bin'));

const configs: [string, () => AnyModel][] = [
  ['gpt2 (fused qkv, biases, learned positions)', () => createModel(gpt2Config({ vocabSize: 23, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 16 }), { seed: 3 })],
  ['llama (GQA, halves RoPE, untied)', () => createModel(llamaConfig({ vocabSize: 23, blockSize: 32, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 16, intermediateSize: 24 }), { seed: 4 })],
  ['stories260K', () => stories],
];

/** Caches prefilled with prompts of different lengths (so each row decodes at its own position). */
function prefilled(m: AnyModel, lengths: number[]): KVCache[] {
  return lengths.map((n, i) => {
    const c = m.newCache(1);
    const ids = Int32Array.from({ length: n }, (_, t) => (7 * t + 3 * i + 1) % m.config.vocabSize);
    noGrad(() => tidy(() => { m.forward(ids, 1, n, null, c); }));
    return c;
  });
}

const lengths = [5, 1, 12, 3, 9, 20, 2];

for (const [name, make] of configs) {
  test(`runBatch: every row gives the logits of a lone step, mixed positions: ${name}`, () => {
    const m = make();
    m.eval();
    for (const [n, p] of m.stateDict()) if (n.endsWith('.bias')) p.data.forEach((_, i) => { p.data[i] = 0.01 * ((i % 5) - 2); });
    const V = m.config.vocabSize;
    const step = new DecodeStep(m);
    const lone = prefilled(m, lengths);
    const ids = lengths.map((_, i) => (5 * i + 2) % V);
    const want = ids.map((id, b) => {
      const l = new Float32Array(V);
      step.run(id, lone[b]!, l);
      return l;
    });
    const probed = step.rowConsistent;
    const strategies = [['matrix-vector per row', false, 1000], ['one GEMM', false, 2]] as const;
    for (const [strategy, consistent, minRows] of [...strategies, ...(probed ? [['row groups', true, 2] as const] : [])]) {
      step.rowConsistent = consistent;
      step.gemmMinRows = minRows;
      for (const B of [3, lengths.length]) {
        const caches = prefilled(m, lengths.slice(0, B));
        const logits = new Float32Array(B * V);
        // two steps: the second decodes at positions the first wrote
        step.runBatch(ids.slice(0, B), caches, logits);
        for (let b = 0; b < B; b++) {
          assert.equal(caches[b]!.length, lengths[b]! + 1);
          for (let v = 0; v < V; v++) {
            const got = logits[b * V + v]!, exp = want[b]![v]!;
            if (strategy !== 'one GEMM') assert.equal(got, exp, `${strategy} B ${B} row ${b} v ${v}`);
            else assert.ok(Math.abs(got - exp) <= 1e-4 * (1 + Math.abs(exp)), `${strategy} B ${B} row ${b} v ${v}: ${got} vs ${exp}`);
          }
        }
      }
    }
    // the caches written by a batched step hold what lone steps write: decode one more token
    step.rowConsistent = false;
    step.gemmMinRows = 2;
    const caches = prefilled(m, lengths);
    const logits = new Float32Array(lengths.length * V);
    step.runBatch(ids, caches, logits);
    step.runBatch(ids.map((id) => (id + 1) % V), caches, logits);
    for (let b = 0; b < lengths.length; b++) {
      const l = new Float32Array(V);
      step.run((ids[b]! + 1) % V, lone[b]!, l);
      for (let v = 0; v < V; v++) assert.ok(Math.abs(logits[b * V + v]! - l[v]!) <= 1e-4 * (1 + Math.abs(l[v]!)));
    }
  });
}

test('runBatch checks its arguments', () => {
  const step = new DecodeStep(stories);
  const V = stories.config.vocabSize;
  const caches = prefilled(stories, [2, 3]);
  assert.throws(() => step.runBatch([1, 2], caches, new Float32Array(V)), /logits/);
  assert.throws(() => step.runBatch([1], caches, new Float32Array(2 * V)), /caches/);
  assert.throws(() => step.runBatch([1, V], caches, new Float32Array(2 * V)), /outside the vocabulary/);
});

test('row groups on a row-consistent backend (the reference one): batched rows are bit-identical to lone rows', () => {
  const native = backend();
  setBackend(referenceBackend());
  try {
    assert.equal(probeRowConsistency(referenceBackend()), true);
    const m = createModel(llamaConfig({ vocabSize: 23, blockSize: 32, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 16, intermediateSize: 24 }), { seed: 4 });
    m.eval();
    const step = new DecodeStep(m);
    assert.equal(step.rowConsistent, true);
    const V = m.config.vocabSize;
    const lens = [4, 1, 7, 2, 9, 3, 5, 6, 8, 2, 11]; // 11 rows: a group of 8, then one of 3
    const lone = prefilled(m, lens), caches = prefilled(m, lens);
    const ids = lens.map((_, i) => (3 * i + 1) % V);
    const logits = new Float32Array(lens.length * V);
    step.runBatch(ids, caches, logits);
    ids.forEach((id, b) => {
      const l = new Float32Array(V);
      step.run(id, lone[b]!, l);
      assert.deepEqual(logits.subarray(b * V, (b + 1) * V), l);
    });
  } finally {
    setBackend(native);
  }
});
