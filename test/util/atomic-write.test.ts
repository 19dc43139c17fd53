import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';

test('writeFileAtomic writes all parts; an error midway keeps the old file and leaves no temp file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-atomic-'));
  try {
    const file = join(dir, 'a.bin');
    writeFileAtomic(file, (put) => { put('head:'); put(new Uint8Array([65, 66, 67])); });
    assert.equal(readFileSync(file, 'utf8'), 'head:ABC');
    assert.throws(() => writeFileAtomic(file, (put) => { put('partial'); throw new Error('disk full'); }), /disk full/);
    assert.equal(readFileSync(file, 'utf8'), 'head:ABC');
    assert.deepEqual(readdirSync(dir), ['a.bin']);
    writeFileSync(join(dir, 'b.txt'), 'old');
    writeFileAtomic(join(dir, 'b.txt'), (put) => put('new'));
    assert.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'new');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
