/**
 * `llmts train --objective mlm` through the trainer: a bert preset trains on masked
 * batches, logs and records masked-token accuracy and pseudo-perplexity at the end, and the
 * checkpoint loads as an encoder that fill-mask runs; the config refuses objectives that do
 * not fit the model; `wordpiece:N` trains the tokenizer of a masked-LM run on its corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillMask } from '../../src/infer/encoder.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { planRun, train } from '../../src/train/trainer.ts';

const TOKENIZER = 'test/fixtures/hf-bert/mlm/tokenizer.json'; // a 101-id WordPiece with [MASK]: the bundled TinyStories in few ids

test('bert-tiny --objective mlm: masked batches, final masked-token accuracy and pseudo-perplexity, a checkpoint fill-mask runs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'llmts-mlm-'));
  try {
    const lines: string[] = [];
    const plan = planRun({ overrides: { preset: 'bert-tiny', corpus: 'tinystories', tokenizer: TOKENIZER, out: join(root, 'run'), maxSteps: 30, warmupSteps: 3,
      batchSize: 8, blockSize: 32, shortBlockSize: 8, lr: 3e-3, evalInterval: 15, evalIters: 2, ckptInterval: 0, logInterval: 10, progress: false, wholeWordMask: true } });
    assert.equal(plan.model.arch, 'bert');
    const r = await train(plan, { log: (l) => lines.push(l) });
    assert.equal(r.stopped, 'done');
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    const [early, late] = [mean(r.losses.slice(0, 5)), mean(r.losses.slice(-5))];
    assert.ok(late < early - 0.25, `the masked-LM loss falls: ${early} -> ${late} (means of the first and last 5 steps)`);
    const final = lines.find((l) => l.startsWith('final eval | masked-token accuracy'));
    assert.ok(final, lines.join('\n'));
    assert.match(final, /masked-token accuracy \d+\.\d\d% \| masked loss \d+\.\d{4} \([\d,]+ masked tokens, whole val split\) \| pseudo-perplexity \d+\.\d\d \(\d+ tokens\)/);
    const metrics = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const rec = metrics.find((m) => m.batches === -1)!;
    assert.ok(typeof rec.maskedAccuracy === 'number' && rec.maskedAccuracy > 0.03, `accuracy ${rec.maskedAccuracy} above chance (1/101)`);
    assert.ok(typeof rec.pseudoPerplexity === 'number' && rec.pseudoPerplexity < 101, `pseudo-perplexity ${rec.pseudoPerplexity} below the vocabulary size`);
    const { model, tokenizer } = loadModel(r.runDir);
    const preds = fillMask(model, tokenizer, 'the cat sat on the [MASK] .', { topK: 3 });
    assert.equal(preds.length, 1);
    assert.equal(preds[0]!.length, 3);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('train config: an encoder needs --objective mlm, a decoder causal-lm; whole-word masking needs WordPiece', async () => {
  assert.equal(resolveTrainConfig({ overrides: { preset: 'bert-mini' } }).train.objective, 'mlm');
  assert.throws(() => resolveTrainConfig({ overrides: { preset: 'bert-mini', objective: 'causal-lm' } }), /objective causal-lm does not train a bert model/);
  assert.throws(() => resolveTrainConfig({ overrides: { preset: 'tiny', objective: 'mlm' } }), /objective mlm does not train a gpt2 model/);
  const { maskedLmRun } = await import('../../src/train/masked-lm-run.ts');
  const { loadTokenizer } = await import('../../src/tokenizer/load.ts');
  assert.throws(() => maskedLmRun(loadTokenizer('gpt2'), { seed: 1, wholeWordMask: false }), /needs a tokenizer with a mask token/);
  assert.equal(maskedLmRun(loadTokenizer('bert-base-uncased'), { seed: 1, wholeWordMask: true }).options.maskId, 103);
  assert.throws(() => maskedLmRun(loadTokenizer('test/fixtures/hf-models/hf-gpt2-float32/tokenizer.json'), { seed: 1, wholeWordMask: true }), /mask token|wholeWordMask needs a WordPiece tokenizer/);
});

test("tokenizer 'wordpiece:N': a WordPiece with [MASK] trained on the corpus's train split, as bpe:N trains a BPE", async () => {
  const root = mkdtempSync(join(tmpdir(), 'llmts-mlm-wp-'));
  try {
    const { prepareBundledData } = await import('../../src/train/bundled.ts');
    const { loadTokenData } = await import('../../src/data/tokenize.ts');
    const lines: string[] = [];
    const dir = await prepareBundledData({ corpus: 'tinystories', tokenizer: 'wordpiece:400', dir: join(root, 'data'), log: (l) => lines.push(l) });
    const data = loadTokenData(dir);
    assert.equal(data.tokenizer.kind, 'wordpiece');
    assert.equal(data.meta.vocabSize, 400);
    assert.equal(data.meta.tokenizerSource, 'wordpiece:400');
    const { mask, cls, sep } = data.tokenizer.specialIds;
    assert.deepEqual([cls, sep, mask], [2, 3, 4], '[PAD] [UNK] [CLS] [SEP] [MASK] come first');
    assert.ok(lines.some((l) => /^tokenizer: WordPiece trained to 400 ids/.test(l)), lines.join('\n'));
    assert.deepEqual(data.tokenizer.encode('once upon a time').map((id) => data.tokenizer.idToToken(id)), ['once', 'upon', 'a', 'time'], 'frequent words are whole tokens');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
