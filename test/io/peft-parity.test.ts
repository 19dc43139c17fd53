// peft parity, both ways, against fixtures made once with peft 0.21 (test/fixtures/peft-adapters/,
// make-fixtures.py): (a) adapters made by peft load here with peft's logits; (b) our adapters are
// byte for byte the files peft loaded, and our merged logits equal the logits peft gave for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { permuteToInterleaved } from '../../src/io/gguf-model.ts';
import { loadAdapter, saveAdapter, type AdapterModel } from '../../src/io/peft.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import { mergeLora } from '../../src/nn/lora.ts';
import type { StateEntry } from '../../src/nn/module.ts';
import { buildOurAdapter, loadBase, maxAbsDiff, OUR_ADAPTERS, PARITY_IDS, parityLogits, PEFT_DIR } from './peft-ours.ts';

interface Expected { ids: number[]; shape: number[]; logits: number[]; max_abs_diff_vs_llmts_merged?: number }

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Expected;
const PEFT_MADE = [
  { name: 'peft-gpt2-causal', base: 'hf-gpt2-float32' },
  { name: 'peft-gpt2-seqcls', base: 'hf-gpt2-float32' },
  { name: 'peft-llama-causal', base: 'hf-llama-float32' },
  { name: 'peft-llama-seqcls', base: 'hf-llama-float32' },
];

for (const f of PEFT_MADE) {
  test(`(a) ${f.name}: a peft-made adapter gives peft's logits, unmerged and merged (<= 1e-4)`, () => {
    const dir = join(PEFT_DIR, f.name);
    const want = readJson(join(dir, 'expected.json'));
    assert.deepEqual(want.ids, Array.from(PARITY_IDS));
    const model = loadBase(f.base, want.shape.length === 1 ? want.shape[0] : undefined);
    const before = parityLogits(model);
    loadAdapter(model, dir);
    const unmerged = parityLogits(model);
    mergeLora(model);
    const merged = parityLogits(model);
    assert.ok(maxAbsDiff(before, want.logits) > 1e-2, 'the adapter changes the logits');
    assert.ok(maxAbsDiff(unmerged, want.logits) <= 1e-4, `unmerged max |diff| ${maxAbsDiff(unmerged, want.logits)}`);
    assert.ok(maxAbsDiff(merged, want.logits) <= 1e-4, `merged max |diff| ${maxAbsDiff(merged, want.logits)}`);
  });
}

/** The HF Llama base rebuilt with llama2.c's interleaved RoPE rows (as a GGUF or llama2.c import holds it). */
function interleavedLlama(): AnyModel {
  const hf = loadBase('hf-llama-float32') as AnyModel;
  const c = hf.config;
  assert.ok(c.arch === 'llama');
  const model = createModel({ ...c, ropeInterleaved: true });
  const state = new Map<string, StateEntry>();
  for (const [name, p] of hf.namedParameters()) {
    const heads = /q_proj\.weight$/.test(name) ? c.nHead : /k_proj\.weight$/.test(name) ? c.nKvHead : 0;
    state.set(name, heads ? { shape: p.shape, data: permuteToInterleaved(p.data, heads, p.shape[0]!, p.shape[1]!) } : p);
  }
  model.loadStateDict(state);
  return model;
}

test('(a) a peft Llama adapter on a Llama with interleaved RoPE rows: lora_B q/k rows permuted, peft\'s logits', () => {
  const dir = join(PEFT_DIR, 'peft-llama-causal');
  const want = readJson(join(dir, 'expected.json'));
  const model = interleavedLlama();
  loadAdapter(model, dir);
  assert.ok(maxAbsDiff(parityLogits(model), want.logits) <= 1e-4);
  mergeLora(model);
  assert.ok(maxAbsDiff(parityLogits(model), want.logits) <= 1e-4);
});

for (const kind of OUR_ADAPTERS) {
  test(`(b) ${kind.name}: our adapter files equal the ones peft loaded, our merged logits equal peft's (<= 1e-4)`, () => {
    const committed = join(PEFT_DIR, kind.name);
    const tmp = mkdtempSync(join(tmpdir(), 'llmts-peft-'));
    try {
      const model = buildOurAdapter(kind);
      saveAdapter(model, tmp, { taskType: kind.taskType, baseModel: kind.base });
      for (const file of ['adapter_config.json', 'adapter_model.safetensors']) {
        assert.ok(readFileSync(join(tmp, file)).equals(readFileSync(join(committed, file))), `${file} differs from the one peft loaded`);
      }
      const peft = readJson(join(committed, 'peft.json'));
      mergeLora(model);
      const merged = parityLogits(model);
      const d = maxAbsDiff(merged, peft.logits);
      assert.ok(d <= 1e-4, `merged vs peft max |diff| ${d}`);
      // the committed adapter loads back here to the same model
      const again = loadBase(kind.base, kind.numLabels);
      loadAdapter(again, committed);
      mergeLora(again);
      assert.ok(maxAbsDiff(parityLogits(again), peft.logits) <= 1e-4);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('(b) an adapter saved from an interleaved Llama is written in HF row order (the same bytes)', () => {
  const committed = join(PEFT_DIR, 'ours-llama-causal');
  const tmp = mkdtempSync(join(tmpdir(), 'llmts-peft-'));
  try {
    const model: AdapterModel = interleavedLlama();
    loadAdapter(model, committed);
    saveAdapter(model, tmp, { taskType: 'CAUSAL_LM', baseModel: 'hf-llama-float32' });
    assert.ok(readFileSync(join(tmp, 'adapter_model.safetensors')).equals(readFileSync(join(committed, 'adapter_model.safetensors'))));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
