import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenLoader } from '../../src/data/loader.ts';

const shardA = Uint16Array.from({ length: 500 }, (_, i) => i % 97);
const shardB = Uint16Array.from({ length: 300 }, (_, i) => 100 + (i % 50));

test('batch(step, micro) is a pure function of (seed, step, micro): same call, same windows, in any order', () => {
  const a = new TokenLoader([shardA, shardB], { seed: 7, batchSize: 4, blockSize: 16 });
  const b = new TokenLoader([shardA, shardB], { seed: 7, batchSize: 4, blockSize: 16 });
  const first = a.batch(5).ids.slice();
  b.batch(0); b.batch(1); b.batch(9, 1); // other calls first do not matter
  assert.deepEqual(b.batch(5).ids, first);
  assert.notDeepEqual(a.batch(6).ids, first);
  assert.notDeepEqual(a.batch(5, 1).ids, first);
  const other = new TokenLoader([shardA, shardB], { seed: 8, batchSize: 4, blockSize: 16 });
  assert.notDeepEqual(other.batch(5).ids, first);
});

test('targets are the inputs shifted by one token, inside one shard', () => {
  const l = new TokenLoader([shardA, shardB], { seed: 1, batchSize: 8, blockSize: 10 });
  const seen = new Set<string>();
  for (let step = 0; step < 50; step++) {
    const { ids, targets } = l.batch(step);
    for (let b = 0; b < 8; b++) {
      const row = ids.subarray(b * 10, b * 10 + 10), tgt = targets.subarray(b * 10, b * 10 + 10);
      for (let t = 0; t < 9; t++) assert.equal(tgt[t], row[t + 1]);
      seen.add(row[0]! >= 100 ? 'B' : 'A');
      // a window never crosses from one shard into the other
      assert.ok(row.every((v) => (v >= 100) === (row[0]! >= 100)) && tgt.every((v) => (v >= 100) === (row[0]! >= 100)));
    }
  }
  assert.deepEqual([...seen].sort(), ['A', 'B']);
});

test('windows() covers every full window in order, last batch partial', () => {
  const l = new TokenLoader([Uint16Array.from({ length: 41 }, (_, i) => i)], { seed: 0, batchSize: 3, blockSize: 10 });
  const got = [...l.windows()].map((b) => ({ rows: b.rows, first: b.ids[0], lastTarget: b.targets[b.rows * 10 - 1] }));
  assert.deepEqual(got, [{ rows: 3, first: 0, lastTarget: 30 }, { rows: 1, first: 30, lastTarget: 40 }]);
});

test('data too short for one window is an error with a hint', () => {
  assert.throws(() => new TokenLoader([new Uint16Array(5)], { seed: 0, batchSize: 2, blockSize: 8, where: 'val split' }),
    /no shard holds a window of 9 tokens \(5 tokens in 1 shard\(s\)\).*val split.*smaller blockSize/);
});
