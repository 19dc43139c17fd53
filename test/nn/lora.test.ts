// LoRA (src/nn/lora.ts): gradients against float64 finite differences, what trains, peft's
// init and scaling, merging, dropout and mode, target matching and its errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, setBackend } from '../../src/backend/index.ts';
import { generate } from '../../src/infer/engine.ts';
import { classificationHead, withHead } from '../../src/models/heads.ts';
import { createModel, gpt2Config, llamaConfig, type AnyModel, type ModelConfig } from '../../src/models/index.ts';
import { Linear } from '../../src/nn/linear.ts';
import { applyLora, loraLayers, LoraLinear, loraState, mergeLora } from '../../src/nn/lora.ts';
import { AdamW } from '../../src/optim/index.ts';
import { noGrad, Tensor, withFloat64 } from '../../src/tensor/index.ts';
import { causalLm, type CausalLmBatch } from '../../src/train/objectives/causal-lm.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad } from '../tensor/helpers.ts';

setBackend(referenceBackend());

const V = 11, B = 2, T = 5;
const gpt2 = gpt2Config({ vocabSize: V, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8 });
const llama = llamaConfig({ vocabSize: V, blockSize: 8, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 8, intermediateSize: 12 });

function batch(): CausalLmBatch {
  const rng = new Rng(4);
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
  return { ids, targets, rows: B, T, tokens: B * T };
}

/** Non-zero B (a fresh adapter has B = 0, which would hide A's gradient path). */
function randomB(model: AnyModel, seed = 3): void {
  const rng = new Rng(seed);
  for (const [, l] of loraLayers(model)) l.loraB.weight.data.forEach((_, i, b) => { b[i] = 0.3 * rng.normal(); });
}

const logitsOf = (m: AnyModel, ids = batch().ids) => noGrad(() => m.forward(ids, B, T).logits.data.slice());

const gradCases: [string, ModelConfig, string[]][] = [
  ['gpt2, c_attn + both c_proj (the MLP\'s runs through the wrapper, not the fused GELU op)', gpt2, ['c_attn', 'c_proj']],
  ['llama, q/v (peft default) + down_proj, rsLoRA', llama, ['q_proj', 'v_proj', 'down_proj']],
];
for (const [name, config, targets] of gradCases) {
  test(`${name}: every adapter gradient equals float64 finite differences; frozen weights get none`, () => {
    withFloat64(() => {
      const model = createModel(config, { seed: 7 });
      applyLora(model, { r: 2, alpha: 3, targetModules: targets, rsLora: config.arch === 'llama', seed: 5 });
      randomB(model);
      const b = batch();
      model.zeroGrad();
      causalLm.loss(model, b).loss.backward();
      const f = (): number => noGrad(() => causalLm.loss(model, b).loss.item());
      let checked = 0;
      for (const [pname, p] of model.namedParameters()) {
        if (!p.requiresGrad) {
          assert.ok(!p.grad || p.grad.every((g) => g === 0), `${pname} is frozen and got a gradient`);
          continue;
        }
        assert.match(pname, /\.lora_[AB]\.weight$/);
        assertClose(p.grad!, numericGrad(f, p.data, 1e-5), 1e-8, 1e-5, `d loss / d ${pname}`);
        checked += p.size;
      }
      assert.equal(checked, model.numTrainableParameters());
      assert.ok(checked > 0);
    });
  });
}

test('only the adapters (and modules_to_save) train: counts are r * (in + out) per wrapped Linear', () => {
  const model = createModel(gpt2, { seed: 1 });
  const state = applyLora(model, { r: 4 }); // peft default for gpt2: c_attn (8 -> 24)
  assert.deepEqual(state.wrapped, ['transformer.h.0.attn.c_attn', 'transformer.h.1.attn.c_attn']);
  assert.equal(model.numTrainableParameters(), 2 * 4 * (8 + 24));
  assert.deepEqual(model.trainableParameters().map(([n]) => n), [
    'transformer.h.0.attn.c_attn.lora_A.weight', 'transformer.h.0.attn.c_attn.lora_B.weight',
    'transformer.h.1.attn.c_attn.lora_A.weight', 'transformer.h.1.attn.c_attn.lora_B.weight']);
  assert.ok(model.stateDict().has('transformer.h.0.attn.c_attn.base_layer.weight'), 'peft\'s base_layer name');
  const l = createModel(llama, { seed: 1 });
  const clf = withHead(l, classificationHead({ numLabels: 3 }));
  const s2 = applyLora(clf, { r: 2, modulesToSave: ['score'] }); // peft default for llama: q_proj, v_proj
  assert.deepEqual(s2.wrapped.map((p) => p.split('.').pop()), ['q_proj', 'v_proj', 'q_proj', 'v_proj']);
  assert.deepEqual(s2.saved, ['score']);
  assert.equal(clf.numTrainableParameters(), 2 * (2 * (8 + 8) + 2 * (8 + 4)) + 3 * 8);
});

test('peft\'s init: A ~ U(-1/sqrt(in), 1/sqrt(in)), B = 0, so a fresh adapter leaves the logits unchanged; scaling alpha/r or alpha/sqrt(r)', () => {
  const model = createModel(gpt2, { seed: 2 });
  model.eval();
  const before = logitsOf(model);
  applyLora(model, { r: 4, alpha: 8, seed: 9 });
  assert.deepEqual(logitsOf(model), before);
  const [[, l]] = loraLayers(model) as [[string, LoraLinear]];
  const bound = 1 / Math.sqrt(8);
  assert.ok(l.loraA.weight.data.every((a) => Math.abs(a) <= bound && a !== 0));
  assert.ok(Math.max(...l.loraA.weight.data.map(Math.abs)) > 0.8 * bound);
  assert.ok(l.loraB.weight.data.every((b) => b === 0));
  assert.equal(l.scaling, 2);
  const rs = applyLora(createModel(gpt2), { r: 4, alpha: 8, rsLora: true });
  assert.equal(rs.rsLora, true);
  assert.equal((loraLayers(createModel(gpt2)).length), 0);
  const m2 = createModel(gpt2);
  applyLora(m2, { r: 4, alpha: 8, rsLora: true });
  assert.equal(loraLayers(m2)[0]![1].scaling, 4);
});

test('the forward is base(x) + scaling * B A x', () => {
  const base = new Linear(5, 3, { rng: new Rng(1) });
  const l = new LoraLinear(base, { r: 2, alpha: 6, dropout: 0, rsLora: false }, new Rng(2));
  l.loraB.weight.data.set([0.1, -0.2, 0.3, 0.4, -0.5, 0.6]);
  const x = Tensor.fromArray([1, -2, 3, 0.5, -1], [1, 5]);
  const y = noGrad(() => l.forward(x)).toArray();
  const w = base.weight.data, A = l.loraA.weight.data, Bw = l.loraB.weight.data, xs = x.data;
  for (let o = 0; o < 3; o++) {
    let want = base.bias!.data[o]!;
    for (let i = 0; i < 5; i++) want += w[o * 5 + i]! * xs[i]!;
    for (let k = 0; k < 2; k++) {
      let ax = 0;
      for (let i = 0; i < 5; i++) ax += A[k * 5 + i]! * xs[i]!;
      want += 3 * Bw[o * 2 + k]! * ax;
    }
    assert.ok(Math.abs(y[o]! - want) < 1e-5, `row ${o}: ${y[o]} vs ${want}`);
  }
});

for (const config of [gpt2, llama]) {
  test(`${config.arch}: mergeLora gives the unmerged logits, plain Linears again, and the fast decode path runs`, () => {
    const model = createModel(config, { seed: 4 });
    applyLora(model, { r: 3, alpha: 5, targetModules: config.arch === 'gpt2' ? ['c_attn', 'c_fc', 'c_proj'] : ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
    randomB(model);
    model.eval();
    const unmerged = logitsOf(model);
    assert.throws(() => model.decodePlan(), (e: unknown) => e instanceof LlmtsError && e.code === 'E_MODEL');
    const paths = mergeLora(model);
    assert.equal(paths.length, config.arch === 'gpt2' ? 8 : 14);
    assert.equal(loraLayers(model).length, 0);
    assert.equal(loraState(model), null);
    assert.ok(!model.namedParameters().some(([n]) => n.includes('lora_') || n.includes('base_layer')));
    const merged = logitsOf(model);
    assertClose(merged, unmerged, 1e-5, 1e-4, 'merged vs unmerged');
    assert.ok(merged.some((x, i) => x !== logitsOf(createModel(config, { seed: 4 }).eval())[i]), 'the merge changed the weights');
    const prompt = Int32Array.from([1, 2, 3]);
    const last = noGrad(() => model.forward(prompt, 1, 3).logits.data.slice(2 * V, 3 * V));
    const out = generate(model, [1, 2, 3], { maxTokens: 4, temperature: 0 });
    assert.equal(out.ids.length, 4);
    assert.equal(out.ids[0], last.indexOf(Math.max(...last)), 'the decode path\'s first greedy token is the merged forward\'s argmax');
  });
}

test('dropout on the adapter input in train mode only; new LoRA layers take the model\'s mode', () => {
  const model = createModel(gpt2, { seed: 4 });
  model.eval();
  applyLora(model, { r: 2, dropout: 0.5 });
  randomB(model);
  const a = logitsOf(model), b = logitsOf(model);
  assert.deepEqual(a, b, 'an eval-mode model stays deterministic after applyLora');
  model.train();
  const c = logitsOf(model);
  assert.ok(c.some((x, i) => x !== a[i]), 'dropout acts in train mode');
});

test('a few AdamW steps on the adapters lower the loss and leave the base weights bit for bit', () => {
  const model = createModel(llama, { seed: 6 });
  for (const p of model.parameters()) if (p.ndim === 2) p.data.forEach((x, i, a) => { a[i] = 10 * x; }); // std 0.2, as the HF fixtures: logits the adapters can move
  const frozen = new Map(model.namedParameters().map(([n, p]) => [n, p.data.slice()]));
  applyLora(model, { r: 4, alpha: 8 });
  const opt = new AdamW(model.trainableParameters().map(([, p]) => p), { lr: 0.01, weightDecay: 0 });
  const b = batch();
  const first = noGrad(() => causalLm.loss(model, b).loss.item());
  for (let i = 0; i < 12; i++) {
    model.zeroGrad();
    causalLm.loss(model, b).loss.backward();
    opt.step();
  }
  const last = noGrad(() => causalLm.loss(model, b).loss.item());
  assert.ok(last < first - 0.2, `loss ${first} -> ${last}`);
  for (const [n, p] of model.namedParameters()) {
    const old = frozen.get(n.replace('.base_layer', ''));
    if (old) assert.deepEqual(p.data, old, `${n} changed`);
  }
});

test('all-linear (peft\'s shorthand): every Linear but lm_head and the modules to save, saved as the list of names', () => {
  const clf = withHead(createModel(llama, { seed: 1 }), classificationHead({ numLabels: 2 }));
  const s = applyLora(clf, { targetModules: 'all-linear', modulesToSave: ['score'] });
  assert.deepEqual(s.targetModules, ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
  assert.equal(s.wrapped.length, 14);
  const lm = createModel(llama, { seed: 1 });
  assert.ok(lm.stateDict().has('lm_head.weight'));
  assert.ok(!applyLora(lm, { targetModules: 'all-linear' }).wrapped.includes('lm_head'));
});

test('targets: a regex over the whole path, exclude_modules; errors name the target and what exists', () => {
  const model = createModel(gpt2, { seed: 1 });
  const s = applyLora(model, { targetModules: 'transformer\\.h\\.0\\.attn\\.c_(attn|proj)', excludeModules: ['c_proj'] });
  assert.deepEqual(s.wrapped, ['transformer.h.0.attn.c_attn']);
  const err = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof LlmtsError && e.code === 'E_LORA' && re.test(e.message));
  err(() => applyLora(model, {}), /has LoRA adapters already/);
  const fresh = () => createModel(gpt2, { seed: 1 });
  err(() => applyLora(fresh(), { targetModules: ['q_proj'] }), /match no module.*Linear layers here end in: c_attn, c_proj, c_fc/);
  err(() => applyLora(fresh(), { targetModules: ['attn'] }), /'transformer\.h\.0\.attn' is a Attention, LoRA wraps Linear layers only/);
  err(() => applyLora(fresh(), { targetModules: '(' }), /not a regular expression/);
  err(() => applyLora(fresh(), { r: 0 }), /r must be an integer >= 1/);
  err(() => applyLora(fresh(), { dropout: 1 }), /dropout must be in \[0, 1\)/);
  err(() => applyLora(fresh(), { modulesToSave: ['score'] }), /modules_to_save 'score' matches no module/);
  err(() => applyLora(createModel(gpt2Config({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 })) as never, { targetModules: [] }), /no default LoRA target modules/);
});
