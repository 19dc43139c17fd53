/**
 * seq2seqBatches' padMultiple: S and T rounded up to the multiple, the same pairs in the
 * same batches as without it, and the extra padding changes neither the mask nor the loss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asSeq2Seq, bartConfig } from '../../src/models/seq2seq/index.ts';
import { createModel } from '../../src/models/registry.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { seq2seqBatches, seq2seqObjective, type Seq2SeqPair } from '../../src/train/objectives/seq2seq.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const rng = new Rng(9);
const pairs: Seq2SeqPair[] = Array.from({ length: 24 }, (_, i) => ({
  source: Array.from({ length: 1 + (i * 5) % 11 }, () => 4 + rng.int(20)),
  target: Array.from({ length: 1 + (i * 7) % 9 }, () => 4 + rng.int(20)),
}));
const ids = { padId: 1, startId: 2, endId: 2, seed: 4 };

test('padMultiple rounds S and T up, keeps each batch\'s pairs, and leaves the loss as it was', () => {
  const plain = seq2seqBatches(pairs, { rows: 5, ...ids });
  const padded = seq2seqBatches(pairs, { rows: 5, ...ids, padMultiple: 4 });
  const model = asSeq2Seq(createModel(bartConfig({ vocabSize: 32, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 8, intermediateSize: 12 }), { seed: 2 }), 'test');
  model.eval();
  const objective = seq2seqObjective({ labelSmoothing: 0.1 });
  let grew = 0;
  for (let step = 0; step < 5; step++) {
    const a = plain.batch(step, 0), b = padded.batch(step, 0);
    assert.equal(b.S % 4, 0);
    assert.equal(b.T % 4, 0);
    assert.ok(b.S >= a.S && b.S < a.S + 4 && b.T >= a.T && b.T < a.T + 4, `S ${a.S} -> ${b.S}, T ${a.T} -> ${b.T}`);
    if (b.S > a.S || b.T > a.T) grew++;
    for (let r = 0; r < a.rows; r++) {
      assert.deepEqual([...b.sourceMask.subarray(r * b.S, r * b.S + a.S)], [...a.sourceMask.subarray(r * a.S, (r + 1) * a.S)]);
      assert.ok(b.sourceMask.subarray(r * b.S + a.S, (r + 1) * b.S).every((m) => m === 0), 'the extra source positions are masked');
      assert.deepEqual([...b.labels.subarray(r * b.T, r * b.T + a.T)], [...a.labels.subarray(r * a.T, (r + 1) * a.T)]);
      assert.ok(b.labels.subarray(r * b.T + a.T, (r + 1) * b.T).every((t) => t === -100), 'the extra target positions are not scored');
    }
    const la = noGrad(() => objective.loss(model, a).loss.item()), lb = noGrad(() => objective.loss(model, b).loss.item());
    assert.ok(Math.abs(la - lb) < 1e-5, `step ${step}: loss ${la} vs ${lb}`);
  }
  assert.ok(grew > 0, 'some batch was padded further');
});

test('padMultiple must be an integer >= 1', () => {
  for (const m of [0, 1.5, -2]) {
    assert.throws(() => seq2seqBatches(pairs, { rows: 5, ...ids, padMultiple: m }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG' && /padMultiple/.test(e.message));
  }
});
