import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Linear, Module, ModuleList, LayerNorm, Dropout, type StateEntry } from '../../src/nn/index.ts';
import { gpt2Config, llamaConfig } from '../../src/models/decoder/config.ts';
import { countParams } from '../../src/models/decoder/info.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import { noGrad, Tensor } from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';

const tinyGpt2 = () => gpt2Config({ vocabSize: 13, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 });
const tinyLlama = () => llamaConfig({ vocabSize: 13, blockSize: 8, nLayer: 1, nHead: 4, nKvHead: 2, nEmbd: 8, intermediateSize: 12 });

test('GPT-2 state dict names follow Hugging Face and are stable', () => {
  const names = [...createModel(tinyGpt2(), { seed: 1 }).stateDict().keys()];
  assert.deepEqual(names, [
    'transformer.wte.weight', 'transformer.wpe.weight',
    'transformer.h.0.ln_1.weight', 'transformer.h.0.ln_1.bias',
    'transformer.h.0.attn.c_attn.weight', 'transformer.h.0.attn.c_attn.bias',
    'transformer.h.0.attn.c_proj.weight', 'transformer.h.0.attn.c_proj.bias',
    'transformer.h.0.ln_2.weight', 'transformer.h.0.ln_2.bias',
    'transformer.h.0.mlp.c_fc.weight', 'transformer.h.0.mlp.c_fc.bias',
    'transformer.h.0.mlp.c_proj.weight', 'transformer.h.0.mlp.c_proj.bias',
    'transformer.ln_f.weight', 'transformer.ln_f.bias',
  ]);
  // a second model (other seed) has the very same names in the same order
  assert.deepEqual([...createModel(tinyGpt2(), { seed: 2 }).stateDict().keys()], names);
});

test('Llama state dict names follow Hugging Face (GQA shapes, untied lm_head)', () => {
  const sd = createModel(tinyLlama(), { seed: 1 }).stateDict();
  assert.deepEqual([...sd.keys()], [
    'model.embed_tokens.weight',
    'model.layers.0.input_layernorm.weight',
    'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.k_proj.weight',
    'model.layers.0.self_attn.v_proj.weight', 'model.layers.0.self_attn.o_proj.weight',
    'model.layers.0.post_attention_layernorm.weight',
    'model.layers.0.mlp.gate_proj.weight', 'model.layers.0.mlp.up_proj.weight', 'model.layers.0.mlp.down_proj.weight',
    'model.norm.weight', 'lm_head.weight',
  ]);
  assert.deepEqual(sd.get('model.layers.0.self_attn.k_proj.weight')!.shape, [4, 8]); // 2 kv heads x hs 2
  assert.deepEqual(sd.get('model.layers.0.mlp.gate_proj.weight')!.shape, [12, 8]);
});

test('numParameters matches the analytic count of the config', () => {
  for (const c of [tinyGpt2(), tinyLlama(), gpt2Config({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 })]) {
    assert.equal(createModel(c).numParameters(), countParams(c));
  }
  // GPT-2 124M: the well-known 124,439,808
  assert.equal(countParams(gpt2Config({ vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768 })), 124_439_808);
});

test('same seed -> same weights; other seed -> other weights', () => {
  const a = createModel(tinyGpt2(), { seed: 3 }).stateDict();
  const b = createModel(tinyGpt2(), { seed: 3 }).stateDict();
  const c = createModel(tinyGpt2(), { seed: 4 }).stateDict();
  for (const [k, t] of a) assert.deepEqual(Array.from(t.data), Array.from(b.get(k)!.data), k);
  assert.notDeepEqual(Array.from(a.get('transformer.wte.weight')!.data), Array.from(c.get('transformer.wte.weight')!.data));
});

test('loadStateDict copies weights (same outputs) and rejects mismatches by name', () => {
  const a = createModel(tinyGpt2(), { seed: 1 });
  const b = createModel(tinyGpt2(), { seed: 2 });
  const ids = Int32Array.from([1, 2, 3, 4]);
  const out = (m: AnyModel) => noGrad(() => m.forward(ids, 1, 4).logits.toArray());
  assert.notDeepEqual(out(a), out(b));
  const loaded = b.loadStateDict(a.stateDict());
  assert.equal(loaded.loaded.length, 16);
  assert.deepEqual(out(b), out(a));
  // copies, not aliases
  a.stateDict().get('transformer.ln_f.bias')!.data[0] = 5;
  assert.equal(b.stateDict().get('transformer.ln_f.bias')!.data[0], 0);

  const sd = new Map(a.stateDict());
  sd.delete('transformer.wpe.weight');
  assert.throws(() => b.loadStateDict(sd), /missing \[transformer\.wpe\.weight\]/);
  assert.equal(b.loadStateDict(sd, { strict: false }).loaded.length, 15);
  const bad = new Map<string, StateEntry>(a.stateDict());
  bad.set('transformer.ln_f.bias', { shape: [7], data: new Float32Array(7) });
  assert.throws(() => b.loadStateDict(bad), /'transformer\.ln_f\.bias' has shape \(7\), the model expects \(8\)/);
  const extra = new Map<string, StateEntry>(a.stateDict());
  extra.set('lm_head.weight', { shape: [13, 8], data: new Float32Array(104) });
  assert.throws(() => b.loadStateDict(extra), /unexpected \[lm_head\.weight\]/);
});

test('train()/eval() reach every submodule; zeroGrad zeroes every gradient', () => {
  const m = createModel(tinyGpt2());
  m.eval();
  assert.ok(m.namedModules().every(([, x]) => !x.training));
  m.train();
  assert.ok(m.namedModules().every(([, x]) => x.training));
  const { loss } = m.forward(Int32Array.from([1, 2, 3]), 1, 3, Int32Array.from([2, 3, 4]));
  loss!.backward();
  assert.ok(m.parameters().some((p) => p.grad!.some((g) => g !== 0)));
  m.zeroGrad();
  assert.ok(m.parameters().every((p) => p.grad!.every((g) => g === 0)));
});

test('custom modules: nested names, ModuleList, shared parameters counted once, bad names rejected', () => {
  class Pair extends Module {
    readonly a: Linear;
    readonly list: ModuleList<LayerNorm>;
    constructor() {
      super();
      const rng = new Rng(1);
      this.a = this.addModule('a', new Linear(2, 3, { rng }));
      this.list = this.addModule('list', new ModuleList([new LayerNorm(3), new LayerNorm(3)]));
      this.addParameter('shared', this.a.weight);
      this.addModule('drop', new Dropout(0.5));
    }
  }
  const p = new Pair();
  // own parameters come before submodules'; a shared tensor keeps its first name
  assert.deepEqual(p.namedParameters().map(([n]) => n), [
    'shared', 'a.bias', 'list.0.weight', 'list.0.bias', 'list.1.weight', 'list.1.bias',
  ]);
  assert.equal(p.numParameters(), 6 + 3 + 4 * 3);
  assert.equal(p.list.at(1), p.list.items[1]);
  assert.throws(() => p.list.at(2), /out of range/);
  class Bad extends Module {
    constructor() {
      super();
      this.addParameter('w', Tensor.zeros([1]));
      this.addParameter('w', Tensor.zeros([1]));
    }
  }
  assert.throws(() => new Bad(), /registered twice/);
});

test('createModel({ init: false }) draws no random numbers: zero weights, same names and shapes, norms still ones', () => {
  for (const config of [tinyGpt2(), tinyLlama()]) {
    const seeded = createModel(config, { seed: 3 }).stateDict();
    const blank = createModel(config, { seed: 3, init: false }).stateDict();
    assert.deepEqual([...blank.keys()], [...seeded.keys()]);
    for (const [name, t] of blank) {
      assert.deepEqual(t.shape, seeded.get(name)!.shape, name);
      const isGain = /(ln_\d|ln_f|norm)\.weight$/.test(name);
      assert.ok(t.data.every((v) => v === (isGain ? 1 : 0)), `${name} should be ${isGain ? 'ones' : 'zeros'}`);
    }
    // the scope ends with the call: the next model is random again, from its own seed
    const after = createModel(config, { seed: 3 }).stateDict();
    for (const [name, t] of after) assert.deepEqual(t.data, seeded.get(name)!.data, name);
  }
});
