import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const llmts = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', timeout: 60_000 });

test('llmts demo on a tiny recipe: step lines, validation loss, samples from the bundled text', () => {
  const r = llmts('demo', '--steps', '4', '--log-every', '2', '--batch', '2', '--block', '16', '--layers', '1', '--heads', '2',
    '--width', '16', '--samples', '1', '--sample-len', '20');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^demo: Tiny Shakespeare, 1,115,394 characters, vocab 65$/m);
  // the trainer's step line (one loop for llmts train and llmts demo)
  assert.match(r.stdout, /^step 2\/4 \| loss \d+\.\d{4} \| lr [\d.e+-]+ \| norm [\d.]+ \| \d+ ms \| [\d.]+k? tok\/s$/m);
  assert.match(r.stdout, /^step 4\/4 \| loss /m);
  assert.match(r.stdout, /^trained in [\d.]+ s \| val loss \d+\.\d{4}$/m);
  const sample = r.stdout.split('--- sample 1 (temperature 0.8, top-k 40) ---\n')[1];
  assert.ok(sample !== undefined && sample.length >= 20, `no sample in:\n${r.stdout}`);
});

test('llmts demo --help prints the options; a bad flag is a one-line error with a hint', () => {
  const help = llmts('demo', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: llmts demo \[options\]/);
  assert.match(help.stdout, /--steps N/);
  const bad = llmts('demo', '--stepz', '3');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^llmts: error E_FLAG: unknown flag '--stepz' \(did you mean --steps\?\).*llmts demo --help/m);
  const badValue = llmts('demo', '--steps', 'many');
  assert.equal(badValue.status, 1);
  assert.match(badValue.stderr, /--steps must be an integer >= 1, got 'many'/);
});
