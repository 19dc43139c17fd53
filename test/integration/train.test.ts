import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2Config, llamaConfig, type DecoderConfig } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { AdamW, clipGradNorm, decayGroups } from '../../src/optim/index.ts';
import { scale } from '../../src/tensor/index.ts';

/** A fixed batch of (B, T) ids and next-token targets over vocab V. */
function batch(B: number, T: number, V: number, seed: number): { ids: Int32Array; targets: Int32Array } {
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + seed * 3 + ((i * i) % 5)) % V);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 5 + seed + 1) % V);
  return { ids, targets };
}

/** Trains `steps` steps on one batch; returns the losses. */
function trainLosses(cfg: DecoderConfig, seed: number, steps: number, lr: number): number[] {
  const B = 4, T = 16;
  const model = createModel(cfg, { seed });
  const opt = new AdamW(decayGroups(model.namedParameters(), { weightDecay: 0 }), { lr, betas: [0.9, 0.95] });
  const { ids, targets } = batch(B, T, cfg.vocabSize, 1);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    model.zeroGrad();
    const { loss } = model.forward(ids, B, T, targets);
    loss!.backward();
    clipGradNorm(model.parameters(), 1.0);
    opt.step();
    losses.push(loss!.item());
  }
  return losses;
}

const gpt2Tiny = gpt2Config({ vocabSize: 24, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32 });
const llamaTiny = llamaConfig({ vocabSize: 24, blockSize: 16, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 32, intermediateSize: 64 });

for (const [name, cfg] of [['gpt2', gpt2Tiny], ['llama', llamaTiny]] as const) {
  test(`${name}: a two-layer decoder overfits one batch (loss < 0.05)`, () => {
    const losses = trainLosses(cfg, 1, 150, 1e-2);
    assert.ok(losses[0]! > 2.5, `initial loss ${losses[0]} should be near ln(24) = 3.18`);
    assert.ok(losses[losses.length - 1]! < 0.05, `final loss ${losses[losses.length - 1]}`);
  });
}

test('training is deterministic: same seed -> identical losses bit for bit (dropout on); other seed differs', () => {
  const cfg = { ...gpt2Tiny, dropout: 0.1 };
  const a = trainLosses(cfg, 7, 6, 1e-2);
  const b = trainLosses(cfg, 7, 6, 1e-2);
  const c = trainLosses(cfg, 8, 6, 1e-2);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

for (const [name, cfg] of [['gpt2', gpt2Tiny], ['llama', llamaTiny]] as const) {
  test(`${name}: gradient accumulation over 2 micro-batches equals one batch of both`, () => {
    const T = 16;
    const big = createModel(cfg, { seed: 3 });
    const acc = createModel(cfg, { seed: 3 });
    const { ids, targets } = batch(4, T, cfg.vocabSize, 2);
    big.forward(ids, 4, T, targets).loss!.backward();
    for (const half of [0, 1]) {
      const sl = (a: Int32Array) => a.subarray(half * 2 * T, (half + 1) * 2 * T);
      // each micro-batch loss is a mean over its half: scale by 1/2 so the sum is the mean of all
      scale(acc.forward(sl(ids), 2, T, sl(targets)).loss!, 0.5).backward();
    }
    const gb = big.namedParameters(), ga = acc.namedParameters();
    let maxDiff = 0, maxAbs = 0;
    gb.forEach(([n, p], i) => {
      const q = ga[i]![1];
      assert.equal(ga[i]![0], n);
      for (let j = 0; j < p.grad!.length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(p.grad![j]! - q.grad![j]!));
        maxAbs = Math.max(maxAbs, Math.abs(p.grad![j]!));
      }
    });
    assert.ok(maxAbs > 1e-3, 'gradients are not trivially zero');
    assert.ok(maxDiff <= 1e-5 * Math.max(1, maxAbs), `max |difference| ${maxDiff} (max |grad| ${maxAbs})`);
  });
}
