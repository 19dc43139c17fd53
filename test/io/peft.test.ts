// peft's adapter format (src/io/peft.ts): save / load round trip, and an adapter that does not
// fit its model, or a malformed one, is one E_ADAPTER error naming the key or field (the model
// is left as it was).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAdapter, mergeAdapter, readAdapterConfig, saveAdapter } from '../../src/io/peft.ts';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.ts';
import { classificationHead, withHead } from '../../src/models/heads.ts';
import { createModel, gpt2Config, llamaConfig, type AnyModel } from '../../src/models/index.ts';
import { applyLora, loraLayers } from '../../src/nn/lora.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { PEFT_DIR } from './peft-ours.ts';

const gpt2 = gpt2Config({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 });
const llama = llamaConfig({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 16, intermediateSize: 24 });
const ids = Int32Array.from([1, 5, 9, 2, 30, 7]);
const logits = (m: AnyModel) => noGrad(() => m.eval().forward(ids, 1, ids.length).logits.data.slice());

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'llmts-peft-io-'));
}

/** A base (seed 3) with a trained-looking adapter (B random) saved to `dir`. */
function savedAdapter(dir: string, config = gpt2, targets?: string[]): AnyModel {
  const model = createModel(config, { seed: 3 });
  applyLora(model, { r: 2, alpha: 4, targetModules: targets, seed: 8 });
  const rng = new Rng(1);
  for (const [, l] of loraLayers(model)) l.loraB.weight.data.forEach((_, i, b) => { b[i] = 0.2 * rng.normal(); });
  saveAdapter(model, dir, { baseModel: 'tiny' });
  return model;
}

function adapterErr(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LlmtsError, String(e));
    assert.equal(e.code, 'E_ADAPTER');
    assert.match(e.message, re);
    return true;
  });
}

test('save -> load on a fresh base: the same adapter weights and logits; merged logits agree', () => {
  const dir = tmp();
  try {
    const model = savedAdapter(dir, llama, ['q_proj', 'k_proj', 'o_proj', 'up_proj']);
    const want = logits(model);
    const cfg = readAdapterConfig(dir);
    assert.deepEqual({ r: cfg.r, alpha: cfg.alpha, task: cfg.taskType, targets: cfg.targetModules, base: cfg.baseModel, fan: cfg.fanInFanOut },
      { r: 2, alpha: 4, task: 'CAUSAL_LM', targets: ['q_proj', 'k_proj', 'o_proj', 'up_proj'], base: 'tiny', fan: false });
    const keys = Object.keys(loadSafetensors(join(dir, 'adapter_model.safetensors')).tensors);
    assert.equal(keys.length, 2 * 4 * 2);
    assert.equal(keys[0], 'base_model.model.model.layers.0.mlp.up_proj.lora_A.weight', 'keys sorted as safetensors writes them');
    const again = createModel(llama, { seed: 3 });
    const state = loadAdapter(again, dir);
    assert.equal(state.wrapped.length, 8);
    assert.deepEqual(logits(again), want);
    const merged = mergeAdapter(createModel(llama, { seed: 3 }), dir) as AnyModel;
    assert.ok(Math.max(...logits(merged).map((x, i) => Math.abs(x - want[i]!))) < 1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a classification adapter: modules_to_save score saved as base_model.model.score.weight and loaded into the head', () => {
  const dir = tmp();
  try {
    const clf = withHead(createModel(gpt2, { seed: 3 }), classificationHead({ numLabels: 3 }), { seed: 2 });
    applyLora(clf, { r: 2, modulesToSave: ['score'] });
    clf.stateDict().get('score.weight')!.data.fill(0.25);
    saveAdapter(clf, dir, { taskType: 'SEQ_CLS' });
    const { tensors } = loadSafetensors(join(dir, 'adapter_model.safetensors'));
    assert.deepEqual(tensors['base_model.model.score.weight']!.shape, [3, 16]);
    const fresh = withHead(createModel(gpt2, { seed: 3 }), classificationHead({ numLabels: 3 }), { seed: 99 });
    loadAdapter(fresh, dir);
    const score = fresh.stateDict().get('score.weight')!;
    assert.ok(score.data.every((x) => x === 0.25));
    assert.ok(score.requiresGrad, 'the head trains, as peft\'s modules_to_save');
    // on a language model (no head) the score key is named, with the fix
    adapterErr(() => loadAdapter(createModel(gpt2, { seed: 3 }), dir), /key 'base_model\.model\.score\.weight': the model has no parameter 'score\.weight'.*withHead/);
    adapterErr(() => mergeAdapter(createModel(gpt2, { seed: 3 }), dir, { task: 'CAUSAL_LM' }), /task_type is SEQ_CLS; this command runs CAUSAL_LM adapters/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('modules_to_save tensors are stored in HF layout: GPT-2 Conv1D transposed (in, out), interleaved Llama q rows in HF order', () => {
  const dir = tmp();
  try {
    const model = createModel(gpt2, { seed: 3 });
    applyLora(model, { r: 2, modulesToSave: ['c_fc'] });
    const w = model.stateDict().get('transformer.h.0.mlp.c_fc.weight')!; // ours (64, 16)
    saveAdapter(model, dir);
    const t = loadSafetensors(join(dir, 'adapter_model.safetensors')).tensors['base_model.model.transformer.h.0.mlp.c_fc.weight']!;
    assert.deepEqual(t.shape, [16, 64], 'HF Conv1D layout');
    assert.equal((t.data as Float32Array)[1 * 64 + 5], w.data[5 * 16 + 1]);
    const again = createModel(gpt2, { seed: 4 });
    loadAdapter(again, dir);
    assert.deepEqual(again.stateDict().get('transformer.h.0.mlp.c_fc.weight')!.data, w.data);
    rmSync(dir, { recursive: true, force: true });
    const inter = llamaConfig({ vocabSize: 32, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 8, intermediateSize: 12, ropeInterleaved: true });
    const a = createModel(inter, { seed: 3 });
    applyLora(a, { r: 2, targetModules: ['k_proj'], modulesToSave: ['q_proj'] });
    const q = a.stateDict().get('model.layers.0.self_attn.q_proj.weight')!;
    saveAdapter(a, dir);
    const hq = loadSafetensors(join(dir, 'adapter_model.safetensors')).tensors['base_model.model.model.layers.0.self_attn.q_proj.weight']!.data as Float32Array;
    // head 0, hs 4: our row 2j + half is HF row half * 2 + j, so our row 1 (j 0, half 1) is HF row 2
    assert.deepEqual(hq.subarray(2 * 8, 3 * 8), q.data.subarray(1 * 8, 2 * 8));
    const b = createModel(inter, { seed: 9 });
    loadAdapter(b, dir);
    assert.deepEqual(b.stateDict().get('model.layers.0.self_attn.q_proj.weight')!.data, q.data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an adapter for another base: the first mismatched key is named, shapes are named, and the model is left as it was', () => {
  const dir = tmp();
  try {
    savedAdapter(dir);
    const other = createModel(llama, { seed: 3 });
    adapterErr(() => loadAdapter(other, dir), /key 'base_model\.model\.transformer\.h\.0\.attn\.c_attn\.lora_A\.weight': the model has no module 'transformer\.h\.0\.attn\.c_attn'.*base_model_name_or_path: tiny/);
    assert.equal(loraLayers(other).length, 0, 'nothing was applied');
    const wider = createModel(gpt2Config({ vocabSize: 32, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32 }), { seed: 3 });
    adapterErr(() => loadAdapter(wider, dir), /key 'base_model\.model\.transformer\.h\.0\.attn\.c_attn\.lora_A\.weight' has shape \(2, 16\), the model's 'transformer\.h\.0\.attn\.c_attn' with r = 2 needs \(2, 32\)/);
    const deeper = createModel(gpt2Config({ vocabSize: 32, blockSize: 16, nLayer: 3, nHead: 2, nEmbd: 16 }), { seed: 3 });
    adapterErr(() => loadAdapter(deeper, dir), /lacks base_model\.model\.transformer\.h\.2\.attn\.c_attn\.lora_A\.weight/);
    const shallow = createModel(gpt2Config({ vocabSize: 32, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 3 });
    adapterErr(() => loadAdapter(shallow, dir), /the model has no module 'transformer\.h\.1\.attn\.c_attn'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed or unsupported adapter files: one E_ADAPTER error naming the file and field', () => {
  const dir = tmp();
  try {
    savedAdapter(dir);
    const base = () => createModel(gpt2, { seed: 3 });
    const cfgPath = join(dir, 'adapter_config.json');
    const good = readFileSync(cfgPath, 'utf8');
    const withCfg = (patch: Record<string, unknown>, re: RegExp) => {
      writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(good), ...patch }));
      adapterErr(() => loadAdapter(base(), dir), re);
    };
    withCfg({ peft_type: 'IA3' }, /peft_type = "IA3" is not supported.*adapter_config\.json: peft_type/);
    withCfg({ use_dora: true }, /use_dora = true is not supported/);
    withCfg({ r: 0 }, /r must be an integer in \[1, 65536\], got 0/);
    withCfg({ r: 3 }, /has shape \(2, 16\).*with r = 3 needs \(3, 16\)/);
    withCfg({ lora_alpha: 'x' }, /lora_alpha must be a number > 0/);
    withCfg({ target_modules: [] }, /target_modules must be a non-empty list/);
    withCfg({ target_modules: ['c_fc'] }, /lacks base_model\.model\.transformer\.h\.0\.mlp\.c_fc\.lora_A\.weight|adapts 'transformer\.h\.0\.attn\.c_attn', which target_modules \["c_fc"\]/);
    withCfg({ rank_pattern: { c_attn: 4 } }, /rank_pattern = .* is not supported/);
    withCfg({ bias: 'all' }, /bias = "all" is not supported/);
    writeFileSync(cfgPath, '{"peft_type": "LORA",');
    adapterErr(() => loadAdapter(base(), dir), /adapter_config\.json is not valid JSON/);
    writeFileSync(cfgPath, good);
    // a tensor missing from the file, a key without peft's prefix
    const file = join(dir, 'adapter_model.safetensors');
    const { tensors } = loadSafetensors(file);
    const keep = { ...tensors };
    delete keep['base_model.model.transformer.h.1.attn.c_attn.lora_B.weight'];
    saveSafetensors(file, keep);
    adapterErr(() => loadAdapter(base(), dir), /lacks base_model\.model\.transformer\.h\.1\.attn\.c_attn\.lora_B\.weight/);
    saveSafetensors(file, { 'transformer.h.0.attn.c_attn.lora_A.weight': tensors['base_model.model.transformer.h.0.attn.c_attn.lora_A.weight']! });
    adapterErr(() => loadAdapter(base(), dir), /key 'transformer\.h\.0\.attn\.c_attn\.lora_A\.weight' does not start with 'base_model\.model\.'/);
    rmSync(file);
    writeFileSync(join(dir, 'adapter_model.bin'), 'pickle');
    adapterErr(() => loadAdapter(base(), dir), /adapter_model\.safetensors is missing.*safe_serialization=True/);
    adapterErr(() => loadAdapter(base(), join(dir, 'nope')), /adapter_config\.json is missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a peft-made adapter directory copied as peft wrote it loads (its extra config fields are ignored)', () => {
  const dir = tmp();
  try {
    mkdirSync(join(dir, 'a'));
    for (const f of ['adapter_config.json', 'adapter_model.safetensors']) copyFileSync(join(PEFT_DIR, 'peft-gpt2-causal', f), join(dir, 'a', f));
    const cfg = readAdapterConfig(join(dir, 'a'));
    assert.deepEqual({ r: cfg.r, alpha: cfg.alpha, dropout: cfg.dropout, fan: cfg.fanInFanOut, targets: cfg.targetModules }, { r: 4, alpha: 8, dropout: 0.05, fan: true, targets: ['c_attn'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saveAdapter on a model without adapters is an E_LORA error', () => {
  assert.throws(() => saveAdapter(createModel(gpt2), join(tmpdir(), 'llmts-peft-never-written')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_LORA' && /no LoRA adapters to save/.test(e.message));
});
