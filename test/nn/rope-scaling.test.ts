// RoPE scaling (linear, dynamic NTK, YaRN) against transformers: inv_freq and attention
// factors from ROPE_INIT_FUNCTIONS, and tiny LlamaForCausalLM models with each scaling
// (logits past the original context, greedy generation). Fixtures and the script that made
// them: test/fixtures/rope-scaling/, scripts/fixtures/make-rope-scaling.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeBackend } from '../../src/backend/native.ts';
import { ReferenceBackend } from '../../src/backend/reference.ts';
import { generate } from '../../src/infer/engine.ts';
import { readCheckpointConfig, saveCheckpoint, loadCheckpoint } from '../../src/io/checkpoint.ts';
import { fromHfTensors, toHfConfig } from '../../src/io/hf-format.ts';
import { loadSafetensors, toFloat32 } from '../../src/io/safetensors.ts';
import { llamaConfig, parseDecoderConfig, ropeSettingsOf, type DecoderConfig } from '../../src/models/decoder/config.ts';
import { ropeFromHf } from '../../src/models/decoder/hf-rope.ts';
import { fromHfConfig } from '../../src/models/decoder/hf.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import type { LanguageModel } from '../../src/models/model.ts';
import type { StateEntry } from '../../src/nn/module.ts';
import { RopeFrequencies, ropeAttnFactor, ropeInvFreq, type RopeScaling } from '../../src/nn/rope-scaling.ts';
import { mul, noGrad, rope, sum, Tensor } from '../../src/tensor/index.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';

const FIX = new URL('../fixtures/rope-scaling/', import.meta.url).pathname;

interface InvFreqCase {
  name: string; head_dim: number; max_position_embeddings: number; rope_theta: number;
  rope_scaling: Record<string, unknown> | null; seq_len: number | null; inv_freq: number[]; attention_factor: number;
}

/** The scaling a config.json's fields describe, through the same reader loading uses. */
function scalingOf(c: InvFreqCase): { theta: number; scaling: RopeScaling | null } {
  const { theta, blockSize, fields } = ropeFromHf({ max_position_embeddings: c.max_position_embeddings, rope_theta: c.rope_theta, rope_scaling: c.rope_scaling }, 'fixture');
  if (!fields.ropeScaling) return { theta, scaling: null };
  const cfg = llamaConfig({ vocabSize: 8, blockSize, nLayer: 1, nHead: 1, nEmbd: c.head_dim, ...fields, ropeTheta: theta });
  return { theta, scaling: ropeSettingsOf(cfg)!.scaling! };
}

test('inv_freq and attention factor equal transformers\' ROPE_INIT_FUNCTIONS for every scaling', () => {
  const { cases } = JSON.parse(readFileSync(join(FIX, 'inv-freq.json'), 'utf8')) as { cases: InvFreqCase[] };
  assert.ok(cases.length >= 10);
  for (const c of cases) {
    const { theta, scaling } = scalingOf(c);
    const ours = Float32Array.from(ropeInvFreq(theta, c.head_dim, scaling, c.seq_len ?? 0));
    assert.equal(ours.length, c.inv_freq.length, c.name);
    for (let i = 0; i < ours.length; i++) {
      const want = c.inv_freq[i]!;
      assert.ok(Math.abs(ours[i]! - want) <= 2e-7 * Math.abs(want), `${c.name} inv_freq[${i}]: ${ours[i]} vs ${want}`);
    }
    assert.ok(Math.abs(ropeAttnFactor(scaling) - c.attention_factor) < 1e-12, `${c.name} attention factor ${ropeAttnFactor(scaling)} vs ${c.attention_factor}`);
  }
});

test('dynamic NTK: the plain table up to the original context, a larger base past it', () => {
  const f = new RopeFrequencies({ theta: 10000, interleaved: false, scaling: { type: 'dynamic', factor: 4, originalContext: 64 } }, 16);
  const plain = ropeInvFreq(10000, 16, null);
  const at64 = f.at(64).invFreq!;
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(at64[i]! - plain[i]!) <= 1e-7 * plain[i]!);
  const at200 = f.at(200).invFreq!;
  assert.equal(at200[0], 1);
  for (let i = 1; i < 8; i++) assert.ok(at200[i]! < plain[i]! * 0.99, `frequency ${i} shrinks past the original context`);
  assert.equal(f.at(10).invFreq, at64 === f.at(10).invFreq ? at64 : f.at(10).invFreq); // the last table is kept
});

test('the rope kernel with inv_freq and attention factor: native equals reference; inverse is the transpose', () => {
  const native = loadNativeBackend().backend;
  const ref = new ReferenceBackend();
  const B = 2, H = 3, T = 7, hs = 10, pos = 5;
  const invFreq = Float32Array.from(ropeInvFreq(10000, hs, { type: 'yarn', factor: 4, originalContext: 16 }));
  const x = Float32Array.from({ length: B * H * T * hs }, (_, i) => Math.sin(0.37 * i + 0.1));
  const a = x.slice();
  ref.rope(B, H, T, hs, pos, 10000, false, false, a, invFreq, 1.2);
  // one row by hand: halves layout, row 0 at position 5
  for (let i = 0; i < hs / 2; i++) {
    const ang = pos * invFreq[i]!, c = 1.2 * Math.cos(ang), s = 1.2 * Math.sin(ang);
    assert.ok(Math.abs(a[i]! - (x[i]! * c - x[i + hs / 2]! * s)) < 1e-6);
  }
  const back = a.slice();
  ref.rope(B, H, T, hs, pos, 10000, false, true, back, invFreq, 1.2);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(back[i]! - 1.44 * x[i]!) < 1e-5, 'inverse(rope(x)) = attnFactor^2 x');
  if (!native) return;
  for (const interleaved of [false, true]) {
    const r = x.slice(), n = x.slice();
    ref.rope(B, H, T, hs, pos, 10000, interleaved, false, r, invFreq, 1.2);
    native.rope(B, H, T, hs, pos, 10000, interleaved, false, n, invFreq, 1.2);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(r[i]! - n[i]!) < 1e-5, `native ${n[i]} vs reference ${r[i]}`);
  }
  // without a table: the unscaled kernel, unchanged
  const r0 = x.slice(), n0 = x.slice(), n1 = x.slice();
  ref.rope(B, H, T, hs, pos, 10000, false, false, r0);
  native.rope(B, H, T, hs, pos, 10000, false, false, n0);
  native.rope(B, H, T, hs, pos, 10000, false, false, n1, null, 1);
  assert.deepEqual(n0, n1);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(r0[i]! - n0[i]!) < 1e-5);
});

/** A fixture directory (HF config.json + model.safetensors) as a model. */
function loadFixture(name: string): AnyModel {
  const dir = join(FIX, name);
  const { config } = readCheckpointConfig(dir);
  const { tensors } = loadSafetensors(join(dir, 'model.safetensors'));
  const state = new Map<string, StateEntry>();
  for (const [n, t] of Object.entries(tensors)) state.set(n, { shape: t.shape, data: toFloat32(t) });
  const model = createModel(config, { seed: 0, init: false });
  model.loadStateDict(fromHfTensors(config, state));
  model.eval();
  return model;
}

for (const name of ['llama-linear', 'llama-dynamic', 'llama-yarn', 'llama-yarn-params']) {
  test(`${name} (transformers' LlamaForCausalLM): logits past the original context and greedy tokens equal transformers'`, () => {
    const exp = JSON.parse(readFileSync(join(FIX, name, 'expected.json'), 'utf8')) as { ids: number[]; rows: number[]; logits: number[][]; greedy_prompt: number[]; greedy: number[] };
    const model = loadFixture(name) as unknown as LanguageModel;
    const c = model.config as DecoderConfig;
    assert.ok(c.ropeScaling && name.includes(c.ropeScaling));
    const T = exp.ids.length, V = c.vocabSize;
    const logits = noGrad(() => model.forward(Int32Array.from(exp.ids), 1, T).logits.data);
    let worst = 0;
    exp.rows.forEach((r, k) => {
      for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(logits[r * V + v]! - exp.logits[k]![v]!));
    });
    assert.ok(worst < 2e-4, `max |logit difference| ${worst}`);
    const greedy = generate(model, exp.greedy_prompt, { maxTokens: exp.greedy.length, temperature: 0, contextOverflow: 'stop' }).ids;
    assert.deepEqual(greedy, exp.greedy);
  });
}

test('config.json both ways: our scaled configs reload equal, and transformers\' fields are written', () => {
  for (const name of ['llama-linear', 'llama-dynamic', 'llama-yarn', 'llama-yarn-params']) {
    const json = JSON.parse(readFileSync(join(FIX, name, 'config.json'), 'utf8')) as Record<string, unknown>;
    const c = fromHfConfig(json, name);
    const hf = toHfConfig(c)!;
    assert.equal(hf.max_position_embeddings, json.max_position_embeddings, name);
    const want = json.rope_parameters as Record<string, unknown>;
    const got = hf.rope_scaling as Record<string, unknown>;
    for (const k of Object.keys(want)) if (k !== 'rope_theta') assert.equal(got[k], want[k], `${name} rope_scaling.${k}`);
    assert.deepEqual(fromHfConfig(hf, name), c);
  }
  // dynamic: max_position_embeddings is the pretraining context; we run to factor times it
  const dyn = fromHfConfig(JSON.parse(readFileSync(join(FIX, 'llama-dynamic', 'config.json'), 'utf8')) as Record<string, unknown>, 'd');
  assert.equal(dyn.blockSize, 64);
  assert.equal(dyn.ropeOriginalContext, 32);
  // a checkpoint of a scaled model saves and loads
  const dir = mkdtempSync(join(tmpdir(), 'llmts-rope-'));
  try {
    const cfg = llamaConfig({ vocabSize: 20, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 16, ropeScaling: 'yarn', ropeFactor: 4, ropeBetaFast: 16 });
    assert.equal(cfg.ropeOriginalContext, 16);
    const model = createModel(cfg, { seed: 1 });
    saveCheckpoint(dir, { model, tokenizer: new CharTokenizer([...'abcdefghijklmnopqrs']) });
    const back = loadCheckpoint(dir);
    assert.deepEqual(back.config, cfg);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config errors name the field: scaling without a factor, YaRN fields without yarn, unsupported HF types', () => {
  const base = { arch: 'llama', vocabSize: 8, blockSize: 16, nLayer: 1, nHead: 1, nEmbd: 8 };
  assert.throws(() => parseDecoderConfig({ ...base, ropeScaling: 'yarn' }), /model\.ropeFactor is missing/);
  assert.throws(() => parseDecoderConfig({ ...base, ropeFactor: 2 }), /ropeFactor is set without ropeScaling/);
  assert.throws(() => parseDecoderConfig({ ...base, ropeScaling: 'linear', ropeFactor: 2, ropeBetaFast: 4 }), /ropeBetaFast is a YaRN field/);
  assert.throws(() => parseDecoderConfig({ ...base, ropeScaling: 'ntk', ropeFactor: 2 }), /ropeScaling must be one of/);
  assert.throws(() => parseDecoderConfig({ ...base, arch: 'gpt2', ropeScaling: 'linear', ropeFactor: 2 }), /ropeScaling is set on a gpt2 model/);
  const hf = { model_type: 'llama', vocab_size: 8, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 1, max_position_embeddings: 16 };
  assert.throws(() => fromHfConfig({ ...hf, rope_scaling: { rope_type: 'llama3', factor: 8 } }, 'x/config.json'), /x\/config.json: rope_scaling.rope_type = "llama3" is not supported/);
  assert.throws(() => fromHfConfig({ ...hf, rope_parameters: { rope_type: 'yarn', factor: 4, truncate: false } }, 'x/config.json'), /truncate/);
  assert.throws(() => fromHfConfig({ ...hf, rope_scaling: { rope_type: 'linear' } }, 'x/config.json'), /rope_scaling.factor is undefined/);
  assert.throws(() => fromHfConfig({ ...hf, rope_scaling: 'yarn' }, 'x/config.json'), /rope_scaling is "yarn", expected an object/);
  const legacy = fromHfConfig({ ...hf, rope_theta: 500000, rope_scaling: { type: 'linear', factor: 2 } }, 'x/config.json');
  assert.equal(legacy.ropeScaling, 'linear');
  assert.equal(legacy.ropeTheta, 500000);
});

test('decoding a scaled model step by step gives the logits of one forward pass (every scaling)', () => {
  for (const scaling of ['linear', 'dynamic', 'yarn'] as const) {
    const cfg = llamaConfig({ vocabSize: 30, blockSize: 48, nLayer: 2, nHead: 2, nKvHead: 1, nEmbd: 16, ropeScaling: scaling, ropeFactor: 3 });
    const model = createModel(cfg, { seed: 2 }) as unknown as LanguageModel;
    const ids = Array.from({ length: 40 }, (_, i) => (i * 7 + 3) % 30);
    // dynamic NTK: a whole pass uses the table of its length, so compare a pass that stays within the original context
    const n = scaling === 'dynamic' ? 16 : 40;
    const full = noGrad(() => model.forward(Int32Array.from(ids.slice(0, n)), 1, n).logits.data);
    const cache = model.newCache(1);
    noGrad(() => {
      for (let t = 0; t < n; t++) {
        const step = model.forward(Int32Array.of(ids[t]!), 1, 1, null, cache).logits.data;
        for (let v = 0; v < 30; v++) assert.ok(Math.abs(step[v]! - full[t * 30 + v]!) < 1e-4, `${scaling} t=${t}`);
      }
    });
  }
});

test('the rope op with a YaRN table: its gradient is the transpose (finite differences)', () => {
  const hs = 8, T = 5;
  const invFreq = Float32Array.from(ropeInvFreq(10000, hs, { type: 'yarn', factor: 4, originalContext: 4 }));
  const x = Tensor.fromArray(Array.from({ length: 2 * T * hs }, (_, i) => Math.sin(1.7 * i)), [1, 2, T, hs], { requiresGrad: true });
  const w = Array.from({ length: 2 * T * hs }, (_, i) => Math.cos(0.9 * i + 0.2));
  const lossOf = (xs: Float32Array): number => noGrad(() => {
    const y = rope(Tensor.fromArray(Array.from(xs), [1, 2, T, hs]), { posOffset: 3, invFreq, attnFactor: 1.3 }).data;
    return y.reduce((s, v, i) => s + v * w[i]!, 0);
  });
  const y = rope(x, { posOffset: 3, invFreq, attnFactor: 1.3 });
  sum(mul(y, Tensor.fromArray(w, [1, 2, T, hs]))).backward();
  const eps = 1e-2;
  for (const i of [0, 3, 11, 42, 79]) {
    const p = x.data.slice(), m = x.data.slice();
    p[i]! += eps;
    m[i]! -= eps;
    const fd = (lossOf(p) - lossOf(m)) / (2 * eps);
    assert.ok(Math.abs(fd - x.grad![i]!) < 2e-3, `d/dx[${i}]: ${x.grad![i]} vs ${fd}`);
  }
});
