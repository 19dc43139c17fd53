import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpareBuffers } from '../../src/data/spare.ts';

test('spare buffers: a given-back buffer is taken again when large enough (smallest fit), new ones otherwise, at most `keep` kept', () => {
  const s = new SpareBuffers(2, 1024);
  const a = s.take(100);
  assert.equal(a.byteLength, 100);
  assert.equal(a.buffer.byteLength, 1024, 'new buffers have at least the minimum capacity');
  assert.equal(s.take(3000).buffer.byteLength, 4096, 'capacity doubles up to the request');
  const big = new ArrayBuffer(8192), small = new ArrayBuffer(2048);
  s.give(big);
  s.give(small);
  s.give(new ArrayBuffer(4096)); // over `keep`: dropped
  assert.equal(s.size, 2);
  assert.equal(s.take(1500).buffer, small, 'the smallest spare that fits');
  assert.equal(s.take(5000).buffer, big);
  assert.equal(s.size, 0);
  const detached = new ArrayBuffer(16);
  structuredClone(detached, { transfer: [detached] });
  s.give(detached);
  assert.equal(s.size, 0, 'a detached (transferred) buffer is not kept');
  s.give(new ArrayBuffer(64));
  assert.equal(s.drain(5).length, 1);
  s.give(new ArrayBuffer((1 << 22) + 1));
  assert.equal(s.size, 0, 'a buffer over the maximum capacity (a huge document) is not kept');
});
