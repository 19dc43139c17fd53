/**
 * The encoder's inference path (src/models/encoder/inference.ts, taken inside noGrad with
 * dropout off) against its training path (the same model with a graph): the same hidden
 * states and pooled output at every position on batches with right and left padding, a
 * row of padding only and segment ids (exact and tanh GELU), on both backends; with
 * `skipPadding` the same values at the real positions and zeros at the padded ones; and
 * the packed layout itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, nativeBackend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import type { Backend } from '../../src/backend/backend.ts';
import { asEncoder, bertConfig } from '../../src/models/encoder/index.ts';
import { packBatch } from '../../src/models/encoder/inference.ts';
import { createModel } from '../../src/models/registry.ts';
import { noGrad, tidy, type Tensor } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose } from '../tensor/helpers.ts';

const V = 50, B = 4, T = 11, C = 16;

function batch(): { ids: Int32Array; attentionMask: Float32Array; tokenTypes: Int32Array } {
  const rng = new Rng(4);
  const ids = Int32Array.from({ length: B * T }, () => 1 + rng.int(V - 1));
  const attentionMask = new Float32Array(B * T), tokenTypes = new Int32Array(B * T);
  for (let t = 0; t < T; t++) {
    attentionMask[t] = t < 6 ? 1 : 0; // right padding
    attentionMask[T + t] = t >= 4 ? 1 : 0; // left padding
    attentionMask[3 * T + t] = 1; // row 2: padding only; row 3: none
    tokenTypes[3 * T + t] = t >= 5 ? 1 : 0;
  }
  return { ids, attentionMask, tokenTypes };
}

const values = (t: Tensor | null): Float32Array => t!.data.slice();

const native = nativeBackend().backend;
const backends: [string, Backend][] = [['reference', referenceBackend()], ...(native ? [['native', native] as [string, Backend]] : [])];
for (const [name, be] of backends) {
  for (const hiddenAct of ['gelu', 'gelu_new'] as const) {
    test(`inference path (${name}, ${hiddenAct}): the training path's hidden states and pooled output at every position; skipPadding zeros the padding`, () => {
      const prev = backend();
      setBackend(be);
      try {
        const model = asEncoder(createModel(bertConfig({ vocabSize: V, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: C, head: 'none', pooler: true, hiddenAct }), { seed: 8 }), 'test');
        model.eval();
        const input = { ...batch(), B, T };
        const graph = tidy(() => { const o = model.encode(input); return [o.hidden, o.pooled!]; }); // with a graph: the training path
        assert.ok(graph[0]!.node, 'the reference run records a graph');
        const [hidden, pooled, skipped] = noGrad(() => tidy(() => {
          const o = model.encode(input);
          return [o.hidden, o.pooled!, model.encode({ ...input, skipPadding: true }).hidden];
        }));
        assert.equal(hidden!.node, null);
        assertClose(values(hidden!), values(graph[0]!), 2e-6, 2e-5, 'hidden');
        assertClose(values(pooled!), values(graph[1]!), 2e-6, 2e-5, 'pooled');
        const want = values(graph[0]!).map((v, i) => (input.attentionMask[Math.floor(i / C)] ? v : 0));
        assertClose(values(skipped!), want, 2e-6, 2e-5, 'skipPadding');
        assert.ok(skipped!.data.subarray(2 * T * C, 3 * T * C).every((v) => v === 0), 'the padding-only row is zeros');
      } finally {
        setBackend(prev);
      }
    });
  }
}

test('inference path: only with dropout off (a training-mode model with dropout keeps dropping under noGrad)', () => {
  const model = asEncoder(createModel(bertConfig({ vocabSize: V, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: C, head: 'none', dropout: 0.5 }), { seed: 8 }), 'test');
  const input = { ...batch(), B, T };
  const run = (): Float32Array => noGrad(() => tidy(() => model.encode(input).hidden).data.slice());
  model.train();
  const train = run();
  model.eval();
  const evalA = run(), evalB = run();
  assert.deepEqual(evalA, evalB);
  assert.notDeepEqual(train, evalA);
});

test('packBatch: each sequence its real rows, then its padding (or none); no mask -> the batch in order', () => {
  const mask = Float32Array.from([1, 1, 0, 0, 1, 1, 0, 0, 0]); // B 3, T 3
  const full = packBatch(3, 3, mask, false);
  assert.deepEqual(Array.from(full.order!), [0, 1, 2, 4, 5, 3, 6, 7, 8]);
  assert.deepEqual(Array.from(full.rowStart), [0, 3, 6, 9]);
  assert.deepEqual(Array.from(full.nKeys), [2, 2, 0]);
  const skip = packBatch(3, 3, mask, true);
  assert.deepEqual(Array.from(skip.order!), [0, 1, 4, 5]);
  assert.deepEqual(Array.from(skip.rowStart), [0, 2, 4, 4]);
  assert.equal(skip.N, 4);
  const none = packBatch(2, 3, new Float32Array(6).fill(1), true);
  assert.equal(none.order, null);
  assert.deepEqual(Array.from(none.rowStart), [0, 3, 6]);
  assert.deepEqual(Array.from(none.nKeys), [3, 3]);
});
