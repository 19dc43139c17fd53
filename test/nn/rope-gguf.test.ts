// RoPE scaling in GGUF metadata (src/io/gguf-rope.ts): llama.cpp's key names both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ggufBytes, metaNumber, metaString, parseGguf } from '../../src/io/gguf.ts';
import { modelFromGguf, modelToGguf } from '../../src/io/gguf-model.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { withContext } from '../../src/models/context.ts';
import type { DecoderConfig } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import type { LanguageModel } from '../../src/models/model.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const STORIES = ['data/llama2c-stories260k/stories260K.bin', 'data/llama2c-stories260k/tok512.bin'] as const;

test('a YaRN-scaled Llama writes llama.rope.scaling.* as llama.cpp names them and reads back the same model', () => {
  const { model, tokenizer } = loadModel(...STORIES);
  const scaled = withContext(model, { rope: { type: 'yarn', factor: 2 } });
  const c0 = scaled.config as DecoderConfig;
  const cfg: DecoderConfig = { ...c0, ropeAttnFactor: 1.2, ropeBetaFast: 16, ropeBetaSlow: 2 };
  const m = createModel(cfg, { seed: 0, init: false });
  m.loadStateDict(new Map([...scaled.stateDict()].map(([n, t]) => [n, { shape: t.shape, data: t.data }])));
  const g = parseGguf(ggufBytes(modelToGguf(m, tokenizer, 'f32')), 'yarn.gguf');
  assert.equal(metaString(g, 'llama.rope.scaling.type'), 'yarn');
  assert.equal(metaNumber(g, 'llama.rope.scaling.factor'), 2);
  assert.equal(metaNumber(g, 'llama.rope.scaling.original_context_length'), 512);
  assert.equal(metaNumber(g, 'llama.context_length'), 1024);
  assert.equal(metaNumber(g, 'llama.rope.scaling.yarn_beta_fast'), 16);
  assert.equal(metaNumber(g, 'llama.rope.scaling.yarn_beta_slow'), 2);
  // llama.cpp multiplies its own 0.1 ln(factor) + 1 by attn_factor
  assert.ok(Math.abs(metaNumber(g, 'llama.rope.scaling.attn_factor') * (0.1 * Math.log(2) + 1) - 1.2) < 1e-6);
  const back = modelFromGguf(g);
  const bc = back.config;
  assert.deepEqual([bc.ropeScaling, bc.ropeFactor, bc.ropeOriginalContext, bc.blockSize, bc.ropeBetaFast, bc.ropeBetaSlow], ['yarn', 2, 512, 1024, 16, 2]);
  assert.ok(Math.abs(bc.ropeAttnFactor! - 1.2) < 1e-6);
  const lm = createModel(bc, { seed: 0, init: false }) as unknown as LanguageModel;
  lm.loadStateDict(back.state);
  const ids = Int32Array.from([1, 403, 407, 261, 378, 5, 77, 300]);
  const want = noGrad(() => (m as unknown as LanguageModel).forward(ids, 1, 8).logits.data);
  const got = noGrad(() => lm.forward(ids, 1, 8).logits.data);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i]! - got[i]!) < 1e-4);
  // linear too; an unscaled model writes no scaling keys
  const lin = parseGguf(ggufBytes(modelToGguf(withContext(model, { rope: { type: 'linear', factor: 4 } }), tokenizer, 'f32')), 'lin.gguf');
  assert.equal(metaString(lin, 'llama.rope.scaling.type'), 'linear');
  assert.equal(modelFromGguf(lin).config.ropeFactor, 4);
  const plain = parseGguf(ggufBytes(modelToGguf(model, tokenizer, 'f32')), 'plain.gguf');
  assert.equal(plain.metadata.has('llama.rope.scaling.type'), false);
  assert.equal(modelFromGguf(plain).config.ropeScaling, undefined);
});

test('GGUF RoPE scaling errors: dynamic NTK cannot be exported, longrope cannot be read', () => {
  const { model, tokenizer } = loadModel(...STORIES);
  const dyn = withContext(model, { rope: { type: 'dynamic', factor: 2 } });
  assert.throws(() => modelToGguf(dyn, tokenizer, 'f32'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_GGUF_EXPORT' && /dynamic NTK/.test(e.message));
  const content = modelToGguf(model, tokenizer, 'f32');
  content.metadata.set('llama.rope.scaling.type', { type: 'string', value: 'longrope' });
  assert.throws(() => modelFromGguf(parseGguf(ggufBytes(content), 'lr.gguf')), /lr.gguf: llama.rope.scaling.type: "longrope" is not supported/);
});
