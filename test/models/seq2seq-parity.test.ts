/**
 * BART parity with Hugging Face transformers on the tiny random fixture
 * (test/fixtures/hf-bart/make-fixture.py): the directory save_pretrained wrote loads through
 * the registry; its tokenizer.json (byte-level BPE, RobertaProcessing) gives HF's ids; the
 * encoder's hidden states and the teacher-forced logits (alone and in a padded batch) are
 * within 1e-4 of transformers'; saved by us (an HF directory plus our block), it loads back
 * with the same logits bit for bit, and older files' tied copies are dropped on load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.ts';
import { fromHfTensors } from '../../src/io/hf-format.ts';
import { asSeq2Seq, type Seq2SeqLM } from '../../src/models/seq2seq/index.ts';
import { noGrad, tidy } from '../../src/tensor/index.ts';
import { bpeFromTokenizerJson } from '../../src/tokenizer/hf-json.ts';
import { IGNORE } from '../../src/train/objectives/causal-lm.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const DIR = 'test/fixtures/hf-bart';
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  sources: string[]; sourceIds: number[][]; encoderHidden: number[]; decoderIds: number[]; logits: number[];
  batch: { decoderIds: number[][]; logits: number[][] };
};
const loaded = loadCheckpoint(join(DIR, 'model'));
const model = asSeq2Seq(loaded.model, 'parity');
const root = mkdtempSync(join(tmpdir(), 'llmts-bart-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Teacher-forced logits (rows, T, V) of padded sources and decoder inputs. */
function logits(m: Seq2SeqLM, sources: number[][], decs: number[][]): Float32Array {
  const rows = sources.length, S = Math.max(...sources.map((s) => s.length)), T = Math.max(...decs.map((d) => d.length));
  const source = new Int32Array(rows * S).fill(m.config.padId), sourceMask = new Uint8Array(rows * S);
  const decoderIds = new Int32Array(rows * T).fill(m.config.padId);
  sources.forEach((s, r) => s.forEach((id, i) => { source[r * S + i] = id; sourceMask[r * S + i] = 1; }));
  decs.forEach((d, r) => d.forEach((id, i) => { decoderIds[r * T + i] = id; }));
  let out = new Float32Array(0);
  noGrad(() => tidy(() => {
    out = m.forwardSeq2Seq({ source, sourceMask, S, decoderIds, labels: new Int32Array(rows * T).fill(IGNORE), T, rows }).logits.data.slice();
  }));
  return out;
}

test('the HF directory loads as bart with the config save_pretrained wrote; its tokenizer gives HF\'s ids', () => {
  const c = model.config;
  assert.deepEqual([c.arch, c.vocabSize, c.blockSize, c.nLayer, c.nDecoderLayer, c.nHead, c.nEmbd, c.intermediateSize, c.hiddenAct], ['bart', 321, 64, 2, 2, 4, 32, 64, 'gelu']);
  assert.deepEqual([c.padId, c.bosId, c.eosId, c.decoderStartId, c.shareEmbeddings, c.tieEmbeddings], [1, 0, 2, 2, true, true]);
  expected.sources.forEach((s, i) => assert.deepEqual(loaded.tokenizer.encode(s, { addSpecialTokens: true }), expected.sourceIds[i], s));
  assert.equal(loaded.tokenizer.decode(expected.sourceIds[1]!.slice(1, -1)), expected.sources[1]);
  const json = JSON.parse(readFileSync(join(DIR, 'model', 'tokenizer.json'), 'utf8')) as { post_processor: Record<string, unknown> };
  const bad = { ...json, post_processor: { ...json.post_processor, cls: ['<s>'] } };
  assert.throws(() => bpeFromTokenizerJson(bad, 'tok.json'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_TOKENIZER_JSON' && /tok\.json: post_processor\.cls/.test(e.message));
});

test('encoder hidden states and teacher-forced logits are within 1e-4 of transformers', () => {
  const src = expected.sourceIds[2]!;
  let hidden = new Float32Array(0);
  noGrad(() => tidy(() => { hidden = model.encode({ ids: Int32Array.from(src), B: 1, S: src.length }).data.slice(); }));
  const dh = maxDiff(hidden, expected.encoderHidden);
  const dl = maxDiff(logits(model, [src], [expected.decoderIds]), expected.logits);
  assert.ok(dh < 1e-4, `encoder max |diff| ${dh}`);
  assert.ok(dl < 1e-4, `logits max |diff| ${dl}`);
});

test('a padded batch (source padding masked, decoder padding after the real positions) gives transformers\' logits at every real position', () => {
  const decs = expected.batch.decoderIds;
  const all = logits(model, expected.sourceIds, decs);
  const T = Math.max(...decs.map((d) => d.length)), V = model.config.vocabSize;
  decs.forEach((d, r) => {
    const diff = maxDiff(all.subarray(r * T * V, (r * T + d.length) * V), expected.batch.logits[r]!);
    assert.ok(diff < 1e-4, `row ${r}: max |diff| ${diff}`);
  });
});

test('saved by us and loaded back: same logits bit for bit; tied copies in an older HF file are dropped', () => {
  const dir = join(root, 'bart');
  saveCheckpoint(dir, { model, tokenizer: loaded.tokenizer });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.model_type, 'bart');
  assert.deepEqual(config.architectures, ['BartForConditionalGeneration']);
  const back = asSeq2Seq(loadCheckpoint(dir).model, 'reload');
  const src = [expected.sourceIds[0]!], dec = [expected.decoderIds];
  assert.deepEqual(logits(back, src, dec), logits(model, src, dec));
  const shared = model.namedParameters().find(([n]) => n === 'model.shared.weight')![1];
  const withCopies = new Map(model.namedParameters().map(([n, p]) => [n, { shape: [...p.shape], data: p.data }]));
  for (const n of ['model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight', 'lm_head.weight']) withCopies.set(n, { shape: [...shared.shape], data: shared.data });
  assert.deepEqual([...fromHfTensors(model.config, withCopies).keys()], model.namedParameters().map(([n]) => n));
});
