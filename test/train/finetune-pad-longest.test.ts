// finetune --task classify with padToLongest: each batch is padded to its longest row
// instead of blockSize. For a causal decoder the right padding never reaches a real
// token, so the run's losses, validation loss and accuracy are those of the run padded to
// blockSize; the batches really are shorter than blockSize.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/io/load-model.ts';
import { finetune, type FinetuneSettings, type LabelledIds } from '../../src/train/finetune.ts';
import { prepareFinetuneModel } from '../../src/train/finetune-model.ts';
import type { Pooling } from '../../src/models/heads.ts';

const BASE = 'test/fixtures/hf-models/hf-gpt2-float32';
const PAD = 0;

/** Toy rows of 2..9 tokens: "the <noun> was <adjective>" with a few extra words; label = the adjective's polarity. */
function rows(encode: (s: string) => number[]): LabelledIds[] {
  const pos = ['good', 'great', 'nice'], neg = ['bad', 'awful', 'sad'], nouns = ['food', 'movie', 'phone', 'place'];
  return Array.from({ length: 40 }, (_, i) => {
    const p = (i * 7919) % 3 !== 0;
    const text = `the ${nouns[i % 4]} was ${(p ? pos : neg)[i % 3]}${' really'.repeat(i % 5)}`;
    return { ids: encode(text), label: p ? 1 : 0 };
  });
}

async function run(padToLongest: boolean, pooling: Pooling, blockSize = 32) {
  const out = mkdtempSync(join(tmpdir(), 'llmts-pad-longest-'));
  try {
    const { model, tokenizer } = loadModel(BASE);
    const data = rows((s) => tokenizer.encode(s));
    const ft = prepareFinetuneModel(model, { task: 'classify', lora: null, seed: 3, lr: 3e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0, labels: ['0', '1'], pooling, padId: PAD });
    const s: FinetuneSettings = {
      out: join(out, 'run'), seed: 3, maxSteps: 8, gradAccum: 1, gradClip: 1, lr: 3e-3, minLr: 3e-4, warmupSteps: 2, logInterval: 1000, evalInterval: 0, ckptInterval: 0,
      batchSize: 8, blockSize, evalIters: 1, keepLast: 1, patience: 0, padId: PAD, progress: false, options: {}, padToLongest,
    };
    return await finetune(ft, { task: 'classify', train: data.slice(0, 28), val: data.slice(28) }, s, { tokenizer, baseModel: BASE, log: () => {} });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

for (const pooling of ['last', 'mean'] as Pooling[]) {
  test(`classify padToLongest (${pooling} pooling): the same losses, val loss and accuracy as padding to blockSize`, async () => {
    const [full, short] = [await run(false, pooling), await run(true, pooling)];
    assert.equal(short.losses.length, 8);
    short.losses.forEach((l, i) => assert.ok(Math.abs(l - full.losses[i]!) < 1e-4, `step ${i + 1}: ${l} vs ${full.losses[i]}`));
    assert.ok(Math.abs(short.valLoss! - full.valLoss!) < 1e-4, `val loss ${short.valLoss} vs ${full.valLoss}`);
    assert.equal(short.metrics!.accuracy, full.metrics!.accuracy);
  });
}

test('classify padToLongest: the batches really are short (a blockSize past the model\'s 64 positions trains; padded to it, it fails)', async () => {
  await assert.rejects(run(false, 'last', 96));
  const r = await run(true, 'last', 96);
  assert.equal(r.stopped, 'done');
});

test('sft padToLongest: the same losses and val loss as padding to blockSize', async () => {
  const sft = async (padToLongest: boolean) => {
    const out = mkdtempSync(join(tmpdir(), 'llmts-pad-longest-'));
    try {
      const { model, tokenizer } = loadModel(BASE);
      const data = rows((s) => tokenizer.encode(s)).map((r) => ({ ids: r.ids, mask: r.ids.map((_, t) => (t >= 2 ? 1 : 0)) }));
      const ft = prepareFinetuneModel(model, { task: 'sft', lora: null, seed: 3, lr: 3e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0 });
      const s: FinetuneSettings = {
        out: join(out, 'run'), seed: 3, maxSteps: 6, gradAccum: 1, gradClip: 1, lr: 3e-3, minLr: 3e-4, warmupSteps: 2, logInterval: 1000, evalInterval: 0, ckptInterval: 0,
        batchSize: 8, blockSize: 32, evalIters: 1, keepLast: 1, patience: 0, padId: PAD, progress: false, options: {}, padToLongest,
      };
      return await finetune(ft, { task: 'sft', train: data.slice(0, 28), val: data.slice(28) }, s, { tokenizer, baseModel: BASE, log: () => {} });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  };
  const [full, short] = [await sft(false), await sft(true)];
  short.losses.forEach((l, i) => assert.ok(Math.abs(l - full.losses[i]!) < 1e-4, `step ${i + 1}: ${l} vs ${full.losses[i]}`));
  assert.ok(Math.abs(short.valLoss! - full.valLoss!) < 1e-4, `val loss ${short.valLoss} vs ${full.valLoss}`);
});
