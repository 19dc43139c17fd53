import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationHead, lmHead, tokenClassificationHead, withHead } from '../../src/models/heads.ts';
import { gpt2Config, llamaConfig } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const llama = () => createModel(llamaConfig({ vocabSize: 17, blockSize: 16, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 16, intermediateSize: 24 }), { seed: 5 });
const gpt2 = () => createModel(gpt2Config({ vocabSize: 17, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 }), { seed: 6 });
const PAD = 0;
// two rows of T = 5: right padding and left padding
const ids = Int32Array.from([3, 4, 5, PAD, PAD, PAD, PAD, 7, 8, 9]);
const input = { ids, B: 2, T: 5 };

test('heads give the shapes of their task; state dicts carry HF names', () => {
  const base = llama();
  const clf = withHead(base, classificationHead({ numLabels: 3, padId: PAD }), { seed: 1 });
  const tok = withHead(base, tokenClassificationHead({ numLabels: 4 }), { seed: 1 });
  const lm = withHead(base, lmHead({ vocabSize: 17 }), { seed: 1 });
  noGrad(() => {
    assert.deepEqual(clf.forward(input).logits.shape, [2, 3]);
    assert.deepEqual(tok.forward(input).logits.shape, [2, 5, 4]);
    assert.deepEqual(lm.forward(input).logits.shape, [2, 5, 17]);
  });
  const names = [...clf.stateDict().keys()];
  assert.ok(names.includes('score.weight') && names.includes('model.layers.1.mlp.down_proj.weight'));
  assert.ok(!names.includes('lm_head.weight'), 'the base model keeps its own LM head');
  assert.deepEqual(names.filter((n) => !n.startsWith('model.')), ['score.weight']);
  assert.deepEqual([...tok.stateDict().keys()].filter((n) => !n.startsWith('model.')), ['score.weight', 'score.bias']);
  assert.ok([...withHead(gpt2(), classificationHead({ numLabels: 2 })).stateDict().keys()].every((n) => n.startsWith('transformer.') || n === 'score.weight'));
  assert.equal(clf.numParameters(), base.numParameters() - 17 * 16 + 3 * 16, 'trunk + score, no lm_head');
});

test('last-token pooling reads the rightmost non-pad token: padding changes nothing', () => {
  for (const base of [llama(), gpt2()]) {
    const clf = withHead(base, classificationHead({ numLabels: 3, padId: PAD }), { seed: 2 });
    clf.eval();
    noGrad(() => {
      const padded = clf.forward(input).logits.toArray();
      // row 0 alone, unpadded: its last token is 5 at position 2 (causal: later pads cannot reach it)
      const alone = clf.forward({ ids: Int32Array.from([3, 4, 5]), B: 1, T: 3 }).logits.toArray();
      padded.slice(0, 3).forEach((v, i) => assert.ok(Math.abs(v - alone[i]!) < 1e-6, `row 0 label ${i}: ${v} vs ${alone[i]}`));
      // row 1 (left padding): by hand, the hidden state at position 4 times score.weight
      const h = clf.hiddenStates(input).toArray(); // (2, 5, 16)
      const w = clf.head.stateDict().get('weight')!.data; // (3, 16)
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let c = 0; c < 16; c++) s += h[(1 * 5 + 4) * 16 + c]! * w[k * 16 + c]!;
        assert.ok(Math.abs(s - padded[3 + k]!) < 1e-5, `row 1 label ${k}`);
      }
    });
  }
});

test('mean pooling averages the non-pad positions', () => {
  const clf = withHead(llama(), classificationHead({ numLabels: 2, padId: PAD, pooling: 'mean' }), { seed: 3 });
  noGrad(() => {
    const got = clf.forward(input).logits.toArray();
    const h = clf.hiddenStates(input).toArray();
    const w = clf.head.stateDict().get('weight')!.data;
    const rows: [number, number[]][] = [[0, [0, 1, 2]], [1, [2, 3, 4]]];
    for (const [b, pos] of rows) {
      for (let k = 0; k < 2; k++) {
        let s = 0;
        for (const t of pos) for (let c = 0; c < 16; c++) s += h[(b * 5 + t) * 16 + c]! * w[k * 16 + c]! / pos.length;
        assert.ok(Math.abs(s - got[b * 2 + k]!) < 1e-5);
      }
    }
  });
  assert.throws(() => noGrad(() => clf.forward({ ids: new Int32Array(4), B: 1, T: 4 })), (e: unknown) => e instanceof LlmtsError && /all padding/.test(e.message));
});

test('gradients flow from each head into the trunk', () => {
  const cases = [
    { factory: classificationHead({ numLabels: 3, padId: PAD }), labels: Int32Array.from([2, 0]) },
    { factory: tokenClassificationHead({ numLabels: 4 }), labels: Int32Array.from([1, 2, 3, -100, -100, -100, -100, 0, 1, 2]) },
    { factory: lmHead({ vocabSize: 17 }), labels: Int32Array.from([4, 5, 6, -100, -100, -100, -100, 8, 9, 10]) },
  ];
  for (const { factory, labels } of cases) {
    const m = withHead(llama(), factory, { seed: 4 });
    const { loss } = m.forward(input, labels);
    assert.ok(loss && Number.isFinite(loss.item()));
    loss!.backward();
    for (const name of ['score.weight', 'lm_head.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.embed_tokens.weight']) {
      const p = m.stateDict().get(name);
      if (!p) continue;
      assert.ok(p.grad && p.grad.some((g) => g !== 0), `${name} has a gradient`);
    }
  }
});
