/**
 * Whole-model gradient check, as llm.c's test_gpt2: every element of every parameter's
 * gradient of a tiny decoder, computed through the trainer's generic path (batch ->
 * objective -> loss -> backward, as loop.ts runs it), against central finite differences
 * of that same loss, everything in float64 on the reference backend (`withFloat64`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, setBackend } from '../../src/backend/index.ts';
import { createModel, gpt2Config, llamaConfig, type ModelConfig } from '../../src/models/index.ts';
import { noGrad, withFloat64 } from '../../src/tensor/index.ts';
import { causalLm, IGNORE, type CausalLmBatch } from '../../src/train/objectives/causal-lm.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad } from '../tensor/helpers.ts';

setBackend(referenceBackend());

const V = 11, B = 2, T = 5;

/** A fixed batch with one ignored target, so the mask path is part of the check. */
function batch(): CausalLmBatch {
  const rng = new Rng(4);
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
  targets[3] = IGNORE;
  return { ids, targets, rows: B, T, tokens: B * T };
}

const configs: [string, ModelConfig][] = [
  ['gpt2 (learned positions, LayerNorm, GELU, biases, tied lm_head)', gpt2Config({ vocabSize: V, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8 })],
  ['llama (RoPE, RMSNorm, SwiGLU, grouped-query attention, untied lm_head)', llamaConfig({ vocabSize: V, blockSize: 8, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 8, intermediateSize: 12 })],
];

for (const [name, config] of configs) {
  test(`${name}: every parameter's gradient equals float64 finite differences of the objective's loss`, () => {
    withFloat64(() => {
      const model = createModel(config, { seed: 7 });
      const b = batch();
      model.zeroGrad();
      const { loss } = causalLm.loss(model, b);
      assert.ok(loss.data instanceof Float64Array, 'the loss is computed in float64');
      loss.backward();
      const f = (): number => noGrad(() => causalLm.loss(model, b).loss.item());
      let checked = 0;
      for (const [pname, p] of model.namedParameters()) {
        assert.ok(p.data instanceof Float64Array, `${pname} is float64`);
        assert.ok(p.grad, `${pname} got no gradient`);
        const num = numericGrad(f, p.data, 1e-5);
        assertClose(p.grad, num, 1e-8, 1e-5, `${name}: d loss / d ${pname}`);
        checked += p.size;
      }
      assert.equal(checked, model.numParameters(), 'every parameter element was checked');
    });
  });
}
