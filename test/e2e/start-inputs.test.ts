// `llmts start` checks its inputs (corpus files, tokenizer) before it creates a run
// folder: a typo gives one E_ line and leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'llmts-start-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const tsx = import.meta.resolve('tsx'); // absolute: the commands run in a temporary folder
const llmts = (cwd: string, ...args: string[]) => spawnSync(process.execPath, ['--import', tsx, main, ...args], { encoding: 'utf8', timeout: 120_000, cwd });

test('llmts start with a mistyped corpus or tokenizer fails before creating any folder', () => {
  const cases: [string[], RegExp][] = [
    [['--corpus', 'tinystoris.txt'], /^llmts: error E_INPUT: input file not found: tinystoris\.txt \(at --corpus\) - fix: use shakespeare or tinystories, or comma-separated paths/m],
    [['--corpus=stories.txt,more.jsonl'], /E_INPUT: input file not found: stories\.txt \(at --corpus\)/],
    [['--corpus', 'a-folder'], /E_INPUT: a-folder is a folder, not a regular file \(at --corpus\)/],
    [['--tokenizer', 'gpt3'], /E_TOKENIZER_NOT_FOUND: no built-in tokenizer or file named "gpt3"/],
    [['--tokenizer', 'bpe:100'], /E_FLAG: --tokenizer bpe:100: a byte-level BPE needs at least 257 ids/],
  ];
  for (const [args, expected] of cases) {
    const cwd = join(root, `case-${cases.findIndex((c) => c[0] === args)}`);
    mkdirSync(cwd);
    if (args.includes('a-folder')) mkdirSync(join(cwd, 'a-folder'));
    const r = llmts(cwd, 'start', ...args, '--maxSteps=200', '--progress=false');
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.deepEqual(readdirSync(cwd).filter((n) => n !== 'a-folder'), [], `${args.join(' ')} left ${readdirSync(cwd).join(', ')}`);
    assert.match(r.stderr, expected, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('llmts start that fails before its first checkpoint (too little text) removes the folders it made', () => {
  const cwd = join(root, 'tiny');
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'tiny.txt'), 'Hi there.\n');
  const r = llmts(cwd, 'start', '--corpus', 'tiny.txt', '--maxSteps=200', '--progress=false');
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /^llmts: error E_DATA: no shard holds a window of \d+ tokens/m);
  assert.deepEqual(readdirSync(cwd), ['tiny.txt']);
  // an --out folder that already existed is the user's: it stays
  mkdirSync(join(cwd, 'mine'));
  const kept = llmts(cwd, 'start', '--corpus', 'tiny.txt', '--maxSteps=200', '--out=mine/run', '--progress=false');
  assert.equal(kept.status, 1);
  assert.deepEqual(readdirSync(cwd).sort(), ['mine', 'tiny.txt']);
  assert.deepEqual(readdirSync(join(cwd, 'mine')), []);
});
