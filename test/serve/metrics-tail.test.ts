import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetricsTails } from '../../src/serve/metrics-tail.ts';
import { readMetrics } from '../../src/train/metrics.ts';

test('MetricsTails reads appended records incrementally, and again after the file is replaced', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-tail-'));
  try {
    const path = join(dir, 'metrics.jsonl');
    const tails = new MetricsTails();
    assert.equal(await tails.read(path), null);
    const rec = (step: number, extra = '') => JSON.stringify({ step, kind: 'train', loss: 5 - step / 10, note: `é${extra}` }) + '\n';
    writeFileSync(path, rec(1) + rec(2));
    assert.deepEqual((await tails.read(path))!.records.map((r) => r.step), [1, 2]);
    // a line in the middle of being written: shown once it parses, never twice
    const third = rec(3, '😀');
    const cut = Buffer.from(third).length - 4; // inside the emoji's bytes
    appendFileSync(path, Buffer.from(third).subarray(0, cut));
    assert.deepEqual((await tails.read(path))!.records.map((r) => r.step), [1, 2]);
    appendFileSync(path, Buffer.from(third).subarray(cut));
    const after = (await tails.read(path))!.records;
    assert.deepEqual(after.map((r) => r.step), [1, 2, 3]);
    assert.equal(after[2]!.note, 'é😀');
    // a torn line (kill -9) and blank lines are skipped, as readMetrics skips them
    appendFileSync(path, '{"step": 4, "ki\n\n' + rec(5));
    assert.deepEqual((await tails.read(path))!.records, readMetrics(dir));
    assert.deepEqual((await tails.read(path))!.records.map((r) => r.step), [1, 2, 3, 5]);
    // a resumed run replaces the file (write + rename): read again from the start
    writeFileSync(join(dir, 'tmp'), rec(1) + rec(2) + rec(3) + rec(4) + rec(5) + rec(6));
    renameSync(join(dir, 'tmp'), path);
    assert.deepEqual((await tails.read(path))!.records.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
    rmSync(path);
    assert.equal(await tails.read(path), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
