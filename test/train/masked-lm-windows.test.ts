/**
 * Short windows first (`--shortBlockSize`, `--shortBlockFraction`, src/train/masked-lm-run.ts):
 * for the first shortBlockFraction of the steps a batch holds batchSize x blockSize / shortBlockSize contiguous
 * windows of shortBlockSize tokens, the same for the same (seed, step, micro); after it the
 * trainer's own windows; the masked-LM run masks both; the config refuses a short phase that
 * is not shorter, a fraction outside [0, 1], or a decoder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenLoader } from '../../src/data/loader.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { maskedLmRun, shortWindowBatches } from '../../src/train/masked-lm-run.ts';
import { IGNORE } from '../../src/train/objectives/causal-lm.ts';

const shard = Uint16Array.from({ length: 2000 }, (_, i) => 1000 + i); // id i+1 follows id i: a window is contiguous when its ids are
const settings = { seed: 7, batchSize: 4, blockSize: 16, shortBlockSize: 4, shortSteps: 3 };

function contiguous(ids: Int32Array, T: number): boolean {
  for (let r = 0; r < ids.length / T; r++) for (let t = 1; t < T; t++) if (ids[r * T + t] !== ids[r * T + t - 1]! + 1) return false;
  return true;
}

test('shortWindowBatches: 16 windows of 4 tokens for the first 3 steps, then the 4 x 16 of the source; the same batch for the same step', () => {
  const source = new TokenLoader([shard], { seed: 7, batchSize: 4, blockSize: 16 });
  const windows = shortWindowBatches(source, [shard], settings);
  for (const step of [0, 1, 2]) {
    const b = windows.batch(step, 0);
    assert.deepEqual([b.rows, b.T, b.tokens, b.ids.length], [16, 4, 64, 64], `step ${step}`);
    assert.ok(contiguous(b.ids, 4), `step ${step}: windows of running text`);
  }
  const first = Int32Array.from(windows.batch(1, 0).ids);
  assert.deepEqual(Int32Array.from(windows.batch(1, 0).ids), first, 'a pure function of (seed, step, micro): a resume gets the same windows');
  assert.notDeepEqual(Int32Array.from(windows.batch(1, 1).ids), first, 'another micro-batch, other windows');
  const after = windows.batch(3, 0);
  assert.deepEqual([after.rows, after.T], [4, 16]);
  assert.deepEqual(Int32Array.from(after.ids), Int32Array.from(source.batch(3, 0).ids), "after the short phase: the trainer's loader");
  assert.equal(shortWindowBatches(source, [shard], { ...settings, shortBlockSize: 0 }), source, 'no short phase: the source itself');
});

test('maskedLmRun.batches: the short windows are masked like the long ones (targets only at chosen positions, the originals there)', () => {
  const tokenizer = loadTokenizer('bert-base-uncased');
  const run = maskedLmRun(tokenizer, { seed: 7, batchSize: 4, blockSize: 16, shortBlockSize: 4, shortBlockFraction: 0.3, maxSteps: 10, wholeWordMask: false });
  const source = new TokenLoader([shard], { seed: 7, batchSize: 4, blockSize: 16 });
  const batches = run.batches(source, [shard]);
  const windows = shortWindowBatches(source, [shard], settings);
  let chosen = 0;
  for (const step of [0, 3]) {
    const plain = Int32Array.from(windows.batch(step, 0).ids);
    const b = batches.batch(step, 0);
    assert.equal(b.T, step < 3 ? 4 : 16);
    b.targets.forEach((t, i) => {
      if (t === IGNORE) assert.equal(b.ids[i], plain[i], 'unchosen positions keep their id');
      else {
        assert.equal(t, plain[i], 'a chosen position predicts its original id');
        chosen++;
      }
    });
  }
  assert.ok(chosen > 0, 'some positions are chosen');
  const long = run.batches(source).batch(0, 0);
  assert.equal(long.T, 16, 'without the train shards: the source windows from step 0');
});

test('train config: shortBlockSize must be shorter than blockSize, its fraction in [0, 1], and the objective mlm', () => {
  const c = resolveTrainConfig({ overrides: { preset: 'bert-tiny', shortBlockSize: '16', shortBlockFraction: '0.5' } }).train;
  assert.deepEqual([c.shortBlockSize, c.shortBlockFraction], [16, 0.5]);
  assert.throws(() => resolveTrainConfig({ overrides: { preset: 'bert-tiny', shortBlockSize: '128', shortBlockFraction: '0.5' } }), /shortBlockSize 128 is not shorter than blockSize 128/);
  assert.throws(() => resolveTrainConfig({ overrides: { preset: 'bert-tiny', shortBlockFraction: '1.5' } }), /shortBlockFraction/);
  assert.throws(() => resolveTrainConfig({ overrides: { preset: 'tiny', shortBlockSize: '8', shortBlockFraction: '0.5' } }), /masked-LM schedule, not causal-lm's/);
});

test('maskedLmRun: the short phase is the first round(shortBlockFraction x maxSteps) steps', () => {
  const run = maskedLmRun(loadTokenizer('bert-base-uncased'), { seed: 7, batchSize: 4, blockSize: 16, shortBlockSize: 4, shortBlockFraction: 0.25, maxSteps: 10, wholeWordMask: false });
  const source = new TokenLoader([shard], { seed: 7, batchSize: 4, blockSize: 16 });
  const Ts = Array.from({ length: 10 }, (_, step) => run.batches(source, [shard]).batch(step, 0).T);
  assert.deepEqual(Ts, [4, 4, 4, 16, 16, 16, 16, 16, 16, 16], 'round(2.5) = 3 short steps');
});
