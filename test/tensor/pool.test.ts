import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../src/tensor/pool.ts';

const MiB = 1024 * 1024;

test('fixed shapes: buffers come back and are reused, nothing is dropped', () => {
  const pool = new BufferPool(64);
  pool.minFreeCapBytes = MiB;
  for (let step = 0; step < 5; step++) {
    const bufs = [pool.acquire(100_000), pool.acquire(50_000), pool.acquire(100_000)];
    for (const b of bufs) pool.release(b);
  }
  const s = pool.getStats();
  assert.equal(s.allocated, 3);
  assert.equal(s.reused, 12);
  assert.equal(s.freeBytes, 250_000 * 4);
});

test('varying shapes: free bytes stay under the cap, least recently used sizes go first', () => {
  const pool = new BufferPool(64);
  pool.minFreeCapBytes = MiB; // the working set below is 0.4-0.8 MiB
  const hot = pool.acquire(40_000); // a size used every step
  pool.release(hot);
  for (let step = 0; step < 200; step++) {
    const a = pool.acquire(40_000);
    const b = pool.acquire(100_000 + step); // a new size every step (a padded length, a mask count)
    pool.release(b);
    pool.release(a);
    const s = pool.getStats();
    assert.ok(s.freeBytes <= MiB, `step ${step}: ${s.freeBytes} free bytes over the 1 MiB cap`);
  }
  // without the cap 200 sizes x ~0.4 MiB would wait in the pool; the hot size was never dropped
  const s = pool.getStats();
  assert.ok(s.reused >= 200, `the 40k buffer is reused every step (reused ${s.reused})`);
  assert.equal(pool.acquire(40_000).length, 40_000);
  assert.equal(pool.getStats().allocated, 201);
});

test('the cap grows with the working set: a step larger than minFreeCapBytes keeps its buffers', () => {
  const pool = new BufferPool(64);
  pool.minFreeCapBytes = MiB;
  const big = Array.from({ length: 8 }, () => pool.acquire(MiB / 4)); // 8 MiB live at once
  for (const b of big) pool.release(b);
  assert.equal(pool.getStats().freeBytes, 8 * MiB);
  const again = Array.from({ length: 8 }, () => pool.acquire(MiB / 4));
  assert.equal(pool.getStats().allocated, 8, 'the second step reuses all eight');
  for (const b of again) pool.release(b);
});
