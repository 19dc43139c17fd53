/**
 * Regression tests for what a killed or diverging run left behind (issue 11): temporary
 * checkpoint folders of killed saves, a duplicate final evaluation when a finished run is
 * resumed, and the non-finite guard's "last good" checkpoint and hint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenLoader, type Batch } from '../../src/data/loader.ts';
import { tokenizeFiles } from '../../src/data/tokenize.ts';
import { meanLoss } from '../../src/eval/loss.ts';
import { listCheckpoints, pruneCheckpoints, removeStaleCheckpointTemps } from '../../src/io/checkpoint.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { nonFiniteHint } from '../../src/train/loop.ts';
import { causalLm } from '../../src/train/objectives/causal-lm.ts';
import { readMetrics } from '../../src/train/metrics.ts';
import { planRun, train } from '../../src/train/trainer.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-hygiene-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const text = readFileSync(new URL('../../data/tinyshakespeare/input.txt', import.meta.url), 'utf8').slice(0, 60_000);
writeFileSync(join(root, 'text.txt'), text);
const data = join(root, 'data');
tokenizeFiles([join(root, 'text.txt')], CharTokenizer.fromText(text), data);
const base = { preset: 'tiny', data, batchSize: 4, evalInterval: 0, logInterval: 100, progress: false };

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

/** A temporary checkpoint folder as a save killed mid-write leaves it. */
function fakeTemp(out: string, step: number, pid: number): string {
  const dir = join(out, 'checkpoints', `.step-${step}.tmp-${pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.safetensors'), Buffer.alloc(1000));
  return dir;
}

test('resume removes the temporary folders of saves killed mid-write, not those of a live process', async () => {
  const out = join(root, 'temps');
  await train(planRun({ overrides: { ...base, out, maxSteps: 10, ckptInterval: 5 } }), { log: () => {} });
  const dead = fakeTemp(out, 15, deadPid());
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    const live = fakeTemp(out, 20, sleeper.pid!);
    const lines: string[] = [];
    await train(planRun({ overrides: { ...base, out, maxSteps: 12, resume: true } }), { log: (l) => lines.push(l) });
    assert.ok(!existsSync(dead), 'the dead process\'s temp folder is gone');
    assert.ok(lines.some((l) => l === `removed ${dead} (left by a save that was killed)`), lines.join('\n'));
    assert.ok(existsSync(live), 'a live process\'s temp folder is left alone');
  } finally {
    sleeper.kill();
  }
});

test('keep-last pruning removes stale temporary folders too, and keeps the step it is asked to keep', async () => {
  const out = join(root, 'prune');
  await train(planRun({ overrides: { ...base, out, maxSteps: 20, ckptInterval: 5, keepLast: 10 } }), { log: () => {} });
  assert.deepEqual(listCheckpoints(out).map((c) => c.step), [5, 10, 15, 20]);
  const dead = fakeTemp(out, 25, deadPid());
  const ours = fakeTemp(out, 30, process.pid);
  pruneCheckpoints(out, 2, 5);
  assert.deepEqual(listCheckpoints(out).map((c) => c.step), [5, 15, 20]);
  assert.ok(!existsSync(dead));
  assert.ok(existsSync(ours), 'this process\'s own folder may be a save in progress');
  assert.deepEqual(removeStaleCheckpointTemps(join(root, 'no-such-run')), []);
});

test('resuming a finished run appends no second final evaluation and returns the recorded val loss', async () => {
  const out = join(root, 'finished');
  const first = await train(planRun({ overrides: { ...base, out, maxSteps: 10 } }), { log: () => {} });
  const before = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  const lines: string[] = [];
  const again = await train(planRun({ overrides: { ...base, out, maxSteps: 10, resume: true } }), { log: (l) => lines.push(l) });
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), before);
  assert.equal(readMetrics(out).filter((r) => r.kind === 'eval' && r.batches === -1).length, 1);
  assert.equal(again.valLoss, first.valLoss);
  assert.ok(lines.some((l) => /^already trained to step 10 \(maxSteps 10\) \| final val loss/.test(l)), lines.join('\n'));
  // training further still evaluates at the new end
  await train(planRun({ overrides: { ...base, out, maxSteps: 12, resume: true } }), { log: () => {} });
  assert.deepEqual(readMetrics(out).filter((r) => r.kind === 'eval').map((r) => r.step), [10, 12]);
});

test('a diverging run names the last checkpoint saved at a finite, not exploding loss, and pruning keeps it', async () => {
  const out = join(root, 'diverge');
  const lines: string[] = [];
  // lr 1e6, no clipping: step 1 trains normally (loss ~4.1), steps 2 and 3 explode (1e13, 1e18), step 4 is NaN
  const r = await train(planRun({ overrides: { ...base, batchSize: 12, out, maxSteps: 40, lr: 1e6, minLr: 0, warmupSteps: 0, gradClip: 0, ckptInterval: 1, keepLast: 2, logInterval: 1 } }),
    { log: (l) => lines.push(l) });
  assert.equal(r.stopped, 'non-finite');
  assert.ok(r.losses[0]! < 2 * Math.log(65) && r.losses[1]! > 1e6, `losses ${r.losses}`);
  const stop = lines.find((l) => /stopping before the update/.test(l))!;
  assert.match(stop, new RegExp(`Last good checkpoint: ${esc(join(out, 'checkpoints', 'step-1'))} \\(training loss \\d\\.\\d{4}\\); the newer ${esc(join(out, 'checkpoints', `step-${r.step}`))} was saved at training loss \\d`));
  assert.deepEqual(listCheckpoints(out).map((c) => c.step), [1, r.step - 1, r.step], 'keepLast 2, plus the last good one');
  const hint = lines[lines.indexOf(stop) + 1]!;
  assert.match(hint, /clip gradients \(--gradClip=1; it is 0/);
});

test('the non-finite hint fits the config: no --gradClip=1 when gradients are already clipped to 1', () => {
  const clipped = nonFiniteHint({ lr: 1e-3, warmupSteps: 100, gradClip: 1, maxSteps: 1000 });
  assert.doesNotMatch(clipped, /--gradClip/);
  assert.match(clipped, /--lr=0\.0001; it is 0\.001/);
  assert.match(clipped, /--warmupSteps=200; it is 100/);
  assert.match(clipped, /already clipped to norm 1/);
  assert.match(nonFiniteHint({ lr: 1e-3, warmupSteps: 0, gradClip: 0, maxSteps: 1000 }), /--gradClip=1; it is 0/);
  assert.match(nonFiniteHint({ lr: 1e-3, warmupSteps: 0, gradClip: 5, maxSteps: 1000 }), /clip harder \(--gradClip=1; it is 5\)/);
  assert.doesNotMatch(nonFiniteHint({ lr: 1e-3, warmupSteps: 1000, gradClip: 1, maxSteps: 1000 }), /warmupSteps/, 'warmup already spans the run');
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

test('periodic evaluation scores evalIters distinct validation batches (it once scored the last one evalIters times)', async () => {
  const out = join(root, 'periodic');
  const r = await train(planRun({ overrides: { ...base, out, maxSteps: 10, evalInterval: 10, evalIters: 3 } }), { log: () => {} });
  const rec = readMetrics(out).find((m) => m.kind === 'eval' && m.batches === 3)!;
  const val = () => new TokenLoader(r.data.val, { seed: 1337 ^ 0x7a1d, batchSize: 4, blockSize: 32 });
  const copy = (b: Batch): Batch => ({ ...b, ids: b.ids.slice(), targets: b.targets.slice() });
  assert.equal(rec.valLoss, meanLoss(r.model, causalLm, Array.from(val().sample(3), copy))); // copied as each is drawn
  const lastThrice = meanLoss(r.model, causalLm, [0, 1, 2].map(() => copy(val().batch(2))));
  assert.notEqual(rec.valLoss, lastThrice);
});
