// Classifier directories (src/io/classifier-dir.ts) against transformers: directories written
// by `llmts finetune --task classify` (test/fixtures/sft-classifier/, GPT-2 and HF Llama) load
// in transformers' AutoModelForSequenceClassification with the logits llm.ts computes
// (expected.json, made by make-expected.py), and saving a loaded classifier writes the same
// weights bytes and config again. A directory without the head block is one E_CHECKPOINT error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClassifier, saveClassifier } from '../../src/io/classifier-dir.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';

for (const arch of ['gpt2', 'llama']) {
  test(`${arch}: transformers' logits from our classifier directory; a re-save writes the same files`, () => {
    const dir = `test/fixtures/sft-classifier/${arch}`;
    const want = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { rows: number[][]; logits: number[][]; class: string };
    const c = loadClassifier(dir);
    assert.equal((JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { architectures: string[] }).architectures[0], want.class);
    const T = want.rows[0]!.length;
    const got = noGrad(() => c.model.forward({ ids: Int32Array.from(want.rows.flat()), B: want.rows.length, T }).logits.data.slice());
    const diff = want.logits.flat().reduce((m, x, i) => Math.max(m, Math.abs(x - got[i]!)), 0);
    assert.ok(diff <= 1e-5, `max abs diff ${diff}`);
    const out = mkdtempSync(join(tmpdir(), 'llmts-clf-dir-'));
    try {
      saveClassifier(out, { model: c.model, tokenizer: c.tokenizer, labels: c.head.labels, pooling: c.head.pooling, padId: c.head.padId ?? undefined });
      assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(dir, 'model.safetensors')));
      assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test('a model directory without llmts.head is not a classifier: one E_CHECKPOINT error naming config.json', () => {
  assert.throws(() => loadClassifier('test/fixtures/hf-models/hf-gpt2-float32'), (e: unknown) =>
    e instanceof LlmtsError && e.code === 'E_CHECKPOINT' && /config\.json: llmts\.head is missing/.test(e.message));
});
