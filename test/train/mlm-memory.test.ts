/**
 * Masked-LM training memory: the count of masked positions changes from batch to batch, and
 * the encoder's MLM head pads its scored rows to a multiple of 64, so steady-state training
 * takes its (N, V) buffers from the pool instead of allocating new ones for every new count
 * (a bert-mini run grew past 10 GB and was killed before this). The padding changes neither
 * the loss nor the scored logits, and the masked-token accuracy still reads the right rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskedTokenScores } from '../../src/eval/masked-lm.ts';
import { bertConfig } from '../../src/models/encoder/index.ts';
import { createModel } from '../../src/models/registry.ts';
import { crossEntropy, noGrad, poolStats, tidy } from '../../src/tensor/index.ts';
import { IGNORE } from '../../src/train/objectives/causal-lm.ts';
import { maskedLm } from '../../src/train/objectives/masked-lm.ts';
import { Rng } from '../../src/util/rng.ts';

const B = 4, T = 32, V = 50, MASK = 3;

/** A batch with exactly `n` masked positions (spread over the rows). */
function batch(n: number, seed: number): { ids: Int32Array; targets: Int32Array; rows: number; T: number; tokens: number } {
  const rng = new Rng(seed);
  const ids = Int32Array.from({ length: B * T }, () => 5 + rng.int(V - 5));
  const targets = new Int32Array(B * T).fill(IGNORE);
  for (let k = 0; k < n; k++) {
    const pos = Math.floor((k * B * T) / n);
    targets[pos] = ids[pos]!;
    ids[pos] = MASK;
  }
  return { ids, targets, rows: B, T, tokens: B * T };
}

test('masked-LM steps with different mask counts allocate no new pool buffers after the first (the head pads its rows to 64)', () => {
  const model = createModel(bertConfig({ vocabSize: V, blockSize: T, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0 }), { seed: 3 });
  const step = (n: number, seed: number): void => {
    model.zeroGrad();
    maskedLm.loss(model, batch(n, seed)).loss.backward();
  };
  step(20, 1);
  step(21, 2); // warm: every size of the steady state has been seen
  const before = poolStats().allocated;
  [7, 19, 33, 48, 61, 12].forEach((n, i) => step(n, 10 + i));
  assert.equal(poolStats().allocated - before, 0, 'new buffers for new mask counts');
});

test('the padded MLM head gives the loss and the scored logits of the full (B, T, V) logits; accuracy reads the scored rows', () => {
  const model = createModel(bertConfig({ vocabSize: V, blockSize: T, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0 }), { seed: 4 });
  model.eval();
  const b = batch(37, 5);
  noGrad(() => tidy(() => {
    const { logits, loss } = model.forward(b.ids, B, T, b.targets);
    assert.deepEqual(logits.shape, [64, V], '37 scored rows padded to 64');
    const full = model.forward(b.ids, B, T); // (B, T, V)
    const want = crossEntropy(full.logits, b.targets).item();
    assert.ok(Math.abs(loss!.item() - want) < 1e-5, `${loss!.item()} vs ${want}`);
    let k = 0, right = 0;
    b.targets.forEach((t, pos) => {
      if (t === IGNORE) return;
      const row = logits.data.subarray(k * V, (k + 1) * V), fullRow = full.logits.data.subarray(pos * V, (pos + 1) * V);
      for (let v = 0; v < V; v++) assert.ok(Math.abs(row[v]! - fullRow[v]!) < 1e-5, `row ${k} (position ${pos})`);
      if (fullRow.indexOf(Math.max(...fullRow)) === t) right++;
      k++;
    });
    const scores = maskedTokenScores(model, [b]);
    assert.equal(scores.count, 37);
    assert.equal(scores.accuracy, right / 37);
  }));
});
