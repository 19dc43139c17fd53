// A peft-made adapter whose modules_to_save is the tied embedding (peft 0.21 with
// ensure_weight_tying: it saves the embedding twice, as embed_tokens and lm_head, and lists
// 'embed_tokens' and 'model.embed_tokens') on the llama2.c stories260K base: llm.ts loads it
// with peft's logits (test/fixtures/peft-adapters/make-tied.py made it), unmerged and merged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../src/io/load-model.ts';
import { loadAdapter } from '../../src/io/peft.ts';
import { loraState, mergeLora } from '../../src/nn/lora.ts';
import { noGrad } from '../../src/tensor/index.ts';

const MODEL = 'data/llama2c-stories260k/stories260K.bin', TOKENIZER = 'data/llama2c-stories260k/tok512.bin';
const DIR = 'test/fixtures/peft-adapters/peft-llama2c-tied-embed';

test('a peft adapter with the tied embedding in modules_to_save gives peft\'s logits (<= 1e-4), unmerged and merged', () => {
  const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as { ids: number[]; logits: number[] };
  const ids = Int32Array.from(expected.ids);
  const model = loadModel(MODEL, TOKENIZER).model;
  const base = noGrad(() => model.forward(ids, 1, ids.length).logits.data.slice());
  loadAdapter(model, DIR);
  assert.deepEqual(loraState(model)?.saved, ['model.embed_tokens'], 'one module saved, listed once');
  const maxDiff = (a: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - expected.logits[i]!)), 0);
  const unmerged = noGrad(() => model.forward(ids, 1, ids.length).logits.data.slice());
  assert.ok(maxDiff(unmerged) <= 1e-4, `unmerged: max |diff| ${maxDiff(unmerged)}`);
  assert.ok(maxDiff(base) > 0.1, 'the adapter changes the logits');
  mergeLora(model);
  const merged = noGrad(() => model.forward(ids, 1, ids.length).logits.data.slice());
  assert.ok(maxDiff(merged) <= 1e-4, `merged: max |diff| ${maxDiff(merged)}`);
});
