import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryHeap } from '../../src/util/heap.ts';
import { Rng } from '../../src/util/rng.ts';

test('BinaryHeap pops in the order of its comparator (ties by a second key)', () => {
  const rng = new Rng(3);
  const items = Array.from({ length: 500 }, (_, i) => ({ score: rng.int(20), pos: i }));
  const before = (a: { score: number; pos: number }, b: { score: number; pos: number }) =>
    a.score > b.score || (a.score === b.score && a.pos < b.pos);
  const h = new BinaryHeap(before);
  for (const it of rng.shuffle(items.slice())) h.push(it);
  assert.equal(h.size, 500);
  const out = [];
  for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
  const expected = items.slice().sort((a, b) => b.score - a.score || a.pos - b.pos);
  assert.deepEqual(out, expected);
  assert.equal(h.pop(), undefined);
});
