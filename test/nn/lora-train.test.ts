// LoRA through the one training loop (src/train/loop.ts), as `llmts finetune --lora` runs it:
// a frozen decoder trunk with adapters and a classification head (modules_to_save) learns a
// label; only adapter and head weights move; the run is deterministic with adapter dropout;
// the saved adapter (peft's format) puts the same classifier on a fresh base.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meanLoss } from '../../src/eval/loss.ts';
import { loadAdapter, saveAdapter } from '../../src/io/peft.ts';
import { classificationHead, createModel, gpt2Config, withHead } from '../../src/models/index.ts';
import { applyLora } from '../../src/nn/lora.ts';
import { AdamW } from '../../src/optim/index.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { trainLoop } from '../../src/train/loop.ts';
import { classify, classifyBatch } from '../../src/train/objectives/classify.ts';
import { Rng } from '../../src/util/rng.ts';

const V = 20;
const config = gpt2Config({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 32 });

/** Rows of 3-8 tokens in [2, V), labelled 1 when they hold token 7; padding 0. */
function containsSeven(step: number, micro: number) {
  const rng = new Rng(2000 + step * 17 + micro);
  return classifyBatch(Array.from({ length: 16 }, () => {
    const ids = Array.from({ length: 3 + rng.int(6) }, () => 2 + rng.int(V - 2));
    return { ids, label: ids.includes(7) ? 1 : 0 };
  }), { T: 8, padId: 0 });
}

const base = (headSeed = 6) => withHead(createModel(config, { seed: 5 }), classificationHead({ numLabels: 2, padId: 0 }), { seed: headSeed });

async function train(steps: number) {
  const model = base();
  applyLora(model, { r: 4, alpha: 8, dropout: 0.1, targetModules: ['c_attn', 'c_fc'], modulesToSave: ['score'], seed: 2 });
  const opt = new AdamW(model.trainableParameters().map(([, p]) => p), { lr: 2e-2, weightDecay: 0 });
  const out = await trainLoop({
    model, objective: classify, batches: { batch: containsSeven }, optimizer: opt,
    schedule: { maxLr: 2e-2, minLr: 2e-2, warmupSteps: 0, totalSteps: steps, decay: 'constant' },
    settings: { maxSteps: steps, gradAccum: 1, gradClip: 1, seed: 3, lr: 2e-2, warmupSteps: 0, logInterval: 1000, evalInterval: 0, ckptInterval: 0 },
    state: { step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null }, log: () => {},
  });
  return { model, losses: out.losses };
}

test('a LoRA classifier learns in trainLoop: only adapters and head move, the run repeats bit for bit, the saved adapter rebuilds it', async () => {
  const val = [containsSeven(500, 0), containsSeven(501, 0), containsSeven(502, 0)];
  const before = meanLoss(base(), classify, val);
  const frozen = new Map(base().namedParameters().map(([n, p]) => [n, p.data.slice()]));
  const { model, losses } = await train(150);
  model.eval();
  const after = meanLoss(model, classify, val);
  let right = 0, n = 0;
  for (const v of val) {
    const out = noGrad(() => model.forward({ ids: v.ids, B: v.rows, T: v.T }).logits.data);
    v.labels.forEach((label, i) => { right += Number((out[2 * i + 1]! > out[2 * i]!) === (label === 1)); n++; });
  }
  assert.ok(after < 0.6 * before && right / n >= 0.85, `validation loss ${before} -> ${after}, accuracy ${right / n}`);
  for (const [name, p] of model.namedParameters()) {
    const old = frozen.get(name.replace('.base_layer', ''));
    if (name.startsWith('score.') || name.includes('.lora_')) assert.ok(!old || old.some((x, i) => x !== p.data[i]), `${name} trained`);
    else assert.deepEqual(p.data, old, `${name} is frozen`);
  }
  assert.deepEqual((await train(150)).losses, losses, 'same seed, same adapter dropout masks, same losses');
  const dir = mkdtempSync(join(tmpdir(), 'llmts-lora-train-'));
  try {
    saveAdapter(model, dir, { taskType: 'SEQ_CLS' });
    const fresh = base(99);
    loadAdapter(fresh, dir);
    fresh.eval();
    for (const v of val) {
      const want = noGrad(() => model.forward({ ids: v.ids, B: v.rows, T: v.T }).logits.data.slice());
      assert.deepEqual(noGrad(() => fresh.forward({ ids: v.ids, B: v.rows, T: v.T }).logits.data.slice()), want);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
