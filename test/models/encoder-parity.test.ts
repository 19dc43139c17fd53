/**
 * BERT parity with Hugging Face transformers: directories written by `save_pretrained`
 * (BertForMaskedLM, BertForSequenceClassification, BertModel without the `bert.` prefix,
 * and bert_tiniest's BertLMHeadModel) load through the registry and give transformers'
 * outputs on padded batches within 1e-4 (test/fixtures/hf-bert/make-fixtures.py made them);
 * a loaded model saved by us loads back with the same outputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { asEncoder } from '../../src/models/encoder/index.ts';
import { noGrad, tidy, type Tensor } from '../../src/tensor/index.ts';

const DIR = 'test/fixtures/hf-bert';
interface Batch { input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][] }
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  mlm: Batch & { shape: number[]; logits: number[] };
  cls: Batch & { logits: number[]; last_hidden_state: number[]; pooler_output: number[] };
  tiniest: Batch & { columns: number[]; logits: number[]; argmax: number[][]; logsumexp: number[] };
};

function input(b: Batch) {
  const B = b.input_ids.length, T = b.input_ids[0]!.length;
  return {
    ids: Int32Array.from(b.input_ids.flat()), B, T, attentionMask: Float32Array.from(b.attention_mask.flat()),
    tokenTypes: b.token_type_ids ? Int32Array.from(b.token_type_ids.flat()) : null,
  };
}

/** Largest |a - b| over all entries; lengths must match. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function value(f: () => Tensor): Float32Array {
  let out = new Float32Array(0);
  noGrad(() => tidy(() => { out = f().data.slice(); }));
  return out;
}

test('BertForMaskedLM (save_pretrained): MLM logits on a padded batch within 1e-4 of transformers', () => {
  const { model } = loadModel(join(DIR, 'mlm'));
  const enc = asEncoder(model, 'test');
  const logits = value(() => enc.run(input(expected.mlm)).logits);
  const d = maxDiff(logits, expected.mlm.logits);
  assert.ok(d < 1e-4, `max |diff| ${d}`);
});

test('BertForSequenceClassification and its BertModel (no prefix): logits, last hidden states and pooler output with segment ids within 1e-4', () => {
  const clf = asEncoder(loadModel(join(DIR, 'cls')).model, 'test');
  assert.equal(clf.config.head, 'sequence');
  const d1 = maxDiff(value(() => clf.run(input(expected.cls)).logits), expected.cls.logits);
  assert.ok(d1 < 1e-4, `classification logits: max |diff| ${d1}`);
  const base = asEncoder(loadModel(join(DIR, 'base')).model, 'test');
  assert.equal(base.config.head, 'none');
  const d2 = maxDiff(value(() => base.encode(input(expected.cls)).hidden), expected.cls.last_hidden_state);
  const d3 = maxDiff(value(() => base.encode(input(expected.cls)).pooled!), expected.cls.pooler_output);
  assert.ok(d2 < 1e-4 && d3 < 1e-4, `hidden ${d2}, pooled ${d3}`);
});

test('bert_tiniest (BertLMHeadModel, vocab 30522): logits at chosen columns, argmax and logsumexp within 1e-4', () => {
  const enc = asEncoder(loadModel(join(DIR, 'bert-tiniest')).model, 'test');
  const { columns } = expected.tiniest;
  const logits = value(() => enc.run(input(expected.tiniest)).logits); // (B, T, V)
  const V = enc.config.vocabSize;
  const rows = logits.length / V;
  const picked: number[] = [], lse: number[] = [], argmax: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * V, (r + 1) * V);
    for (const c of columns) picked.push(row[c]!);
    let m = -Infinity, best = 0;
    row.forEach((v, i) => { if (v > m) { m = v; best = i; } });
    let s = 0;
    for (const v of row) s += Math.exp(v - m);
    lse.push(m + Math.log(s));
    argmax.push(best);
  }
  assert.ok(maxDiff(picked, expected.tiniest.logits) < 1e-4, `columns ${maxDiff(picked, expected.tiniest.logits)}`);
  assert.ok(maxDiff(lse, expected.tiniest.logsumexp) < 1e-4, `logsumexp ${maxDiff(lse, expected.tiniest.logsumexp)}`);
  assert.deepEqual(argmax, expected.tiniest.argmax.flat());
});

test('a loaded HF BERT saved by llm.ts loads back with the same outputs and HF names (tied decoder not stored)', () => {
  const root = mkdtempSync(join(tmpdir(), 'llmts-bert-'));
  try {
    for (const name of ['mlm', 'base', 'cls']) {
      const src = loadModel(join(DIR, name));
      saveCheckpoint(join(root, name), { model: src.model, tokenizer: src.tokenizer });
      const back = loadCheckpoint(join(root, name));
      assert.deepEqual(back.config, src.model.config);
      const b = input(expected.cls);
      assert.deepEqual(value(() => asEncoder(back.model, 't').run(b).logits), value(() => asEncoder(src.model, 't').run(b).logits), name);
      const header = JSON.parse(readFileSync(join(root, name, 'model.safetensors')).subarray(8, 8 + readFileSync(join(root, name, 'model.safetensors')).readUInt32LE(0)).toString()) as Record<string, unknown>;
      const keys = Object.keys(header).filter((k) => k !== '__metadata__');
      const hfConfig = JSON.parse(readFileSync(join(root, name, 'config.json'), 'utf8')) as { architectures: string[] };
      if (name === 'base') {
        assert.ok(keys.includes('embeddings.word_embeddings.weight') && !keys.some((k) => k.startsWith('bert.')), 'BertModel keys have no prefix');
        assert.deepEqual(hfConfig.architectures, ['BertModel']);
      } else {
        assert.ok(keys.includes('bert.embeddings.word_embeddings.weight'));
      }
      if (name === 'mlm') {
        assert.ok(keys.includes('cls.predictions.bias') && !keys.includes('cls.predictions.decoder.weight'), 'the decoder is tied to the word embeddings');
        assert.deepEqual(hfConfig.architectures, ['BertForMaskedLM']);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
