import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isLlama2cCheckpoint, loadLlama2c, readLlama2c, saveLlama2c } from '../../src/io/llama2c.ts';
import { llamaConfig } from '../../src/models/decoder/config.ts';
import { createModel, type AnyModel } from '../../src/models/registry.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const DIR = 'data/llama2c-stories260k';
const BIN = path.join(DIR, 'stories260K.bin');
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected-greedy.json'), 'utf8')) as {
  cases: { logits_check: { pos: number; token: number; logits_first8: number[] }[] }[];
};

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'llmts-l2c-'));
}

test('stories260K: header maps onto a Llama config; logits equal run.c at positions 0..2', () => {
  const { header, model } = loadLlama2c(BIN);
  assert.deepEqual({ ...header }, { dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, seqLen: 512, sharedClassifier: true, version: 0 });
  const config = model.config;
  assert.ok(config.arch === 'llama');
  assert.equal(config.ropeInterleaved, true);
  assert.equal(config.tieEmbeddings, true);
  const checks = expected.cases[0]!.logits_check;
  const ids = Int32Array.from(checks.map((c) => c.token));
  const logits = noGrad(() => model.forward(ids, 1, ids.length).logits.data.slice()); // (1, 3, 512)
  for (const c of checks) {
    const row = logits.subarray(c.pos * 512, c.pos * 512 + 8);
    c.logits_first8.forEach((want, i) => assert.ok(Math.abs(row[i]! - want) < 1e-4, `pos ${c.pos} logit ${i}: ${row[i]} vs ${want}`));
  }
  assert.ok(isLlama2cCheckpoint(BIN));
  assert.ok(!isLlama2cCheckpoint(path.join(DIR, 'tok512.bin')));
});

function tinyLlama(tied: boolean): AnyModel {
  const cfg = llamaConfig({ vocabSize: 37, blockSize: 16, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 16, intermediateSize: 24, tieEmbeddings: tied, ropeInterleaved: true });
  return createModel(cfg, { seed: 5 });
}

test('save -> read round trip (shared and unshared classifier) keeps config and every tensor', () => {
  for (const tied of [true, false]) {
    const dir = tmp();
    const file = path.join(dir, 'm.bin');
    const m = tinyLlama(tied);
    saveLlama2c(file, m);
    const head = new Int32Array(fs.readFileSync(file).buffer.slice(0, 28));
    assert.equal(head[5], tied ? 37 : -37, 'vocab sign marks the classifier');
    const { config, state } = readLlama2c(file);
    assert.deepEqual(config, m.config);
    for (const [name, t] of m.stateDict()) assert.deepEqual(Array.from(state.get(name)!.data), Array.from(t.data), name);
    assert.equal(state.size, m.stateDict().size);
  }
});

test('version 1 ("ak42") files load like the legacy layout', () => {
  const m = tinyLlama(false);
  const c = m.config, sd = m.stateDict();
  assert.ok(c.arch === 'llama');
  const header = Buffer.alloc(256);
  header.writeUInt32LE(0x616b3432, 0);
  header.writeInt32LE(1, 4);
  [c.nEmbd, c.intermediateSize, c.nLayer, c.nHead, c.nKvHead, c.vocabSize, c.blockSize].forEach((v, i) => header.writeInt32LE(v, 8 + 4 * i));
  header[36] = 0; // unshared classifier
  const L = [0, 1];
  const names = [
    ...L.map((i) => `model.layers.${i}.input_layernorm.weight`), ...L.map((i) => `model.layers.${i}.post_attention_layernorm.weight`),
    'model.norm.weight', 'model.embed_tokens.weight',
    ...['q', 'k', 'v', 'o'].flatMap((p) => L.map((i) => `model.layers.${i}.self_attn.${p}_proj.weight`)),
    ...['gate', 'down', 'up'].flatMap((p) => L.map((i) => `model.layers.${i}.mlp.${p}_proj.weight`)),
    'lm_head.weight',
  ];
  const parts = [header, ...names.map((n) => (() => { const d = sd.get(n)!.data; return Buffer.from(d.buffer, d.byteOffset, d.byteLength); })())];
  const file = path.join(tmp(), 'v1.bin');
  fs.writeFileSync(file, Buffer.concat(parts));
  const { header: h, model } = loadLlama2c(file);
  assert.equal(h.version, 1);
  for (const [name, t] of m.stateDict()) assert.deepEqual(Array.from(model.stateDict().get(name)!.data), Array.from(t.data), name);
});

test('truncated, padded, foreign and quantized files give E_LLAMA2C errors naming the file', () => {
  const dir = tmp();
  const full = fs.readFileSync(BIN);
  const cases: [string, Buffer, RegExp][] = [
    ['cut.bin', full.subarray(0, full.length - 100), /truncated/],
    ['padded.bin', Buffer.concat([full, Buffer.alloc(8)]), /extra data/],
    ['tiny.bin', full.subarray(0, 10), /header alone has 28/],
    ['text.bin', Buffer.from('this is not a model, just some text in a file'), /not plausible|do not fit/],
    ['q8.bin', Buffer.concat([Buffer.from([0x32, 0x34, 0x6b, 0x61, 2, 0, 0, 0]), Buffer.alloc(300)]), /version 2 is not supported/],
  ];
  for (const [name, bytes, re] of cases) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    assert.throws(() => readLlama2c(file), (e: unknown) => {
      assert.ok(e instanceof LlmtsError, String(e));
      assert.equal(e.code, 'E_LLAMA2C');
      assert.match(e.message, re);
      assert.ok(e.message.includes(file), e.message);
      return true;
    });
  }
});
