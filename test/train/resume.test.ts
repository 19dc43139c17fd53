import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenizeFiles } from '../../src/data/tokenize.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { readMetrics } from '../../src/train/metrics.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'llmts-resume-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const text = readFileSync(new URL('../../data/tinyshakespeare/input.txt', import.meta.url), 'utf8').slice(0, 100_000);
writeFileSync(join(root, 'text.txt'), text);
const data = join(root, 'data');
tokenizeFiles([join(root, 'text.txt')], CharTokenizer.fromText(text), data);

// dropout and gradient accumulation on, so their seeds are part of what must resume exactly
const MAX = 400;
const args = (out: string) => ['train', '--preset=tiny', `--data=${data}`, `--out=${out}`, `--maxSteps=${MAX}`, '--dropout=0.1', '--gradAccum=2',
  '--batchSize=4', '--ckptInterval=20', '--logInterval=1', '--evalInterval=200', '--evalIters=2', '--progress=false'];
const cli = (...a: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...a], { encoding: 'utf8', timeout: 60_000 });

/** Starts a run, waits for checkpoint `step`, then sends `signal`; resolves with the exit code/signal. */
function interruptAfter(out: string, step: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args(out)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    const timer = setInterval(() => {
      if (existsSync(join(out, 'checkpoints', `step-${step}`))) {
        clearInterval(timer);
        child.kill(signal);
      }
    }, 5);
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearInterval(timer);
      resolve({ code, signal: sig, stdout });
    });
  });
}

function trainLosses(out: string): Map<number, number> {
  return new Map(readMetrics(out).filter((r) => r.kind === 'train').map((r) => [r.step, r.loss as number]));
}

test('a run killed with SIGKILL (or stopped by SIGINT) and resumed logs the same losses as an uninterrupted run, bit for bit', async () => {
  const full = join(root, 'full');
  const a = cli(...args(full));
  assert.equal(a.status, 0, a.stderr);
  const expected = trainLosses(full);
  assert.equal(expected.size, MAX);

  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    const out = join(root, `cut-${signal}`);
    const cut = await interruptAfter(out, 40, signal);
    if (signal === 'SIGKILL') assert.equal(cut.signal, 'SIGKILL', 'the child was killed mid-run');
    else assert.equal(cut.code, 130, `SIGINT exit code; stdout:\n${cut.stdout.slice(-500)}`);
    const before = trainLosses(out);
    assert.ok(before.size < MAX, `interrupted after ${before.size} logged steps`);
    const resumed = cli(...args(out), '--resume');
    assert.equal(resumed.status, 0, resumed.stderr);
    const from = Number(/resuming from .*step-(\d+) \(step \d+\)/.exec(resumed.stdout)?.[1]);
    assert.ok(from >= 40 && from < MAX, `resumed from step ${from}`);
    const got = trainLosses(out);
    assert.equal(got.size, MAX);
    for (const [step, loss] of expected) assert.equal(got.get(step), loss, `${signal}: step ${step} loss differs (resumed from ${from})`);
    // the final validation loss matches as well
    const evalOf = (d: string) => readMetrics(d).filter((r) => r.kind === 'eval').map((r) => r.valLoss);
    assert.deepEqual(evalOf(out), evalOf(full));
  }
});
