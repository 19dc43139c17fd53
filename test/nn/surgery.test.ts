import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Linear, Module, nameMatcher, type StateEntry } from '../../src/nn/index.ts';
import { llamaConfig } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { add, type Tensor } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const tiny = () => createModel(llamaConfig({ vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 8, intermediateSize: 12 }), { seed: 1 });
const ids = Int32Array.from([1, 2, 3, 4]);
const targets = Int32Array.from([2, 3, 4, 5]);

test('name patterns: * stays within a segment, ** crosses dots, ? is one character, RegExp as given', () => {
  assert.ok(nameMatcher('model.layers.*.mlp.up_proj.weight')('model.layers.1.mlp.up_proj.weight'));
  assert.ok(!nameMatcher('model.*.weight')('model.layers.1.mlp.up_proj.weight'));
  assert.ok(nameMatcher('model.**.weight')('model.layers.1.mlp.up_proj.weight'));
  assert.ok(nameMatcher('model.layers.?.**')('model.layers.0.input_layernorm.weight'));
  assert.ok(!nameMatcher('model.layers.?.**')('model.layers.10.input_layernorm.weight'));
  assert.ok(nameMatcher('lm_head.weight')('lm_head.weight') && !nameMatcher('lm_head')('lm_head.weight'), 'a glob matches whole names');
  assert.ok(nameMatcher(/q_proj/g)('model.layers.0.self_attn.q_proj.weight'));
});

test('freeze / unfreeze by pattern; trainable count; frozen parameters get no gradient', () => {
  const m = tiny();
  const all = m.numParameters();
  assert.equal(m.numTrainableParameters(), all);
  const frozen = m.freeze('**');
  assert.equal(frozen.length, m.namedParameters().length);
  assert.equal(m.numTrainableParameters(), 0);
  const open = m.unfreeze('model.layers.*.self_attn.q_proj.weight');
  assert.deepEqual(open, ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.self_attn.q_proj.weight']);
  assert.equal(m.numTrainableParameters(), 2 * 8 * 8);
  assert.deepEqual(m.trainableParameters().map(([n]) => n), open);
  m.forward(ids, 1, 4, targets).loss!.backward();
  for (const [name, p] of m.namedParameters()) {
    if (open.includes(name)) assert.ok(p.grad && p.grad.some((g) => g !== 0), `${name} has a gradient`);
    else assert.ok(!p.grad || p.grad.every((g) => g === 0), `${name} is frozen`);
  }
  assert.throws(() => m.freeze('no.such.*'), (e: unknown) => e instanceof LlmtsError && /no parameter name matches no\.such\.\*/.test(e.message));
});

/** y = 2 base(x) (a stand-in for LoRA: wraps a Linear, adds to its output). */
class Doubled extends Module {
  constructor(readonly base: Linear) {
    super();
    this.addModule('base', base);
  }

  forward(x: Tensor): Tensor {
    const y = this.base.forward(x); // (..., out)
    return add(y, y); // (..., out)
  }
}

test('replaceModule puts a wrapper in the path, the parent calls it, names follow', () => {
  const m = tiny();
  const before = m.forward(ids, 1, 4).logits.toArray();
  const path = 'model.layers.0.mlp.down_proj';
  const old = m.getModule(path);
  assert.ok(old instanceof Linear);
  const back = m.replaceModule(path, new Doubled(old));
  assert.equal(back, old);
  assert.ok(m.getModule(path) instanceof Doubled);
  assert.ok(m.stateDict().has(`${path}.base.weight`) && !m.stateDict().has(`${path}.weight`));
  const after = m.forward(ids, 1, 4).logits.toArray();
  assert.notDeepEqual(after, before, 'the MLP now calls the wrapper');
  assert.throws(() => m.decodePlan(), /a projection is a Doubled, not a Linear.*merge adapters/, 'the fast decode path refuses an unmerged wrapper');
  m.replaceModule(path, old);
  assert.deepEqual(m.forward(ids, 1, 4).logits.toArray(), before, 'putting the Linear back restores the outputs');
  assert.throws(() => m.replaceModule('model.layers.0.mlp.nope', old), /no submodule at 'model\.layers\.0\.mlp\.nope'/);
  assert.throws(() => m.getModule('model.layers.7'), /no submodule '7'/);
});

test('loadStateDict: strict names every missing and unexpected key; partial loads the rest and reports', () => {
  const a = tiny(), b = createModel(llamaConfig({ vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 8, intermediateSize: 12 }), { seed: 2 });
  const sd = new Map<string, StateEntry>(a.stateDict());
  const gone = ['model.layers.0.mlp.up_proj.weight', 'model.layers.1.mlp.up_proj.weight', 'model.norm.weight', 'lm_head.weight', 'model.embed_tokens.weight', 'model.layers.1.self_attn.o_proj.weight'];
  for (const n of gone) sd.delete(n);
  const extra = ['score.weight', 'x.0', 'x.1', 'x.2', 'x.3', 'x.4', 'x.5'];
  for (const n of extra) sd.set(n, { shape: [1], data: new Float32Array(1) });
  assert.throws(() => b.loadStateDict(sd), (e: unknown) => {
    assert.ok(e instanceof LlmtsError);
    for (const n of [...gone, ...extra]) assert.ok(e.message.includes(n), `names ${n}`);
    return true;
  });
  const r = b.loadStateDict(sd, { strict: false });
  assert.deepEqual(new Set(r.missing), new Set(gone));
  assert.deepEqual(r.unexpected, extra);
  assert.equal(r.loaded.length, a.namedParameters().length - gone.length);
  assert.deepEqual(b.stateDict().get('model.norm.weight')!.data, createModel(llamaConfig({ vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 8, intermediateSize: 12 }), { seed: 2 }).stateDict().get('model.norm.weight')!.data, 'missing ones are left as they were');
  assert.deepEqual(b.stateDict().get('model.layers.0.self_attn.q_proj.weight')!.data, a.stateDict().get('model.layers.0.self_attn.q_proj.weight')!.data);
});
