import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, hashUniform } from '../../src/util/rng.ts';

test('Rng is deterministic per seed and differs across seeds', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = [a.uniform(), a.uniform(), a.normal()];
  const xb = [b.uniform(), b.uniform(), b.normal()];
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, [c.uniform(), c.uniform(), c.normal()]);
});

test('hashUniform is in [0,1) and roughly uniform', () => {
  let sum = 0;
  const n = 100000;
  for (let i = 0; i < n; i++) {
    const u = hashUniform(7, i);
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
});
