// FIFOs (named pipes) among the inputs: opening one for reading waits for a writer, so a
// run that reads it never ends (and, with the read parked in a libuv thread, neither does
// its exit). Every command that lists or reads input files skips them as bad input or
// refuses them with an E_INPUT error, without blocking.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { expandInputs } from '../../src/data/ingest/files.ts';
import { readInput } from '../../src/data/ingest/readers.ts';
import { shardTexts } from '../../src/data/read-shards.ts';
import { tokenizeFiles } from '../../src/data/tokenize.ts';
import { loadWordListFile } from '../../src/data/wordlists.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { llmts } from '../cli-run.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const VERDICT = `${ROOT}test/fixtures/data-texts/the-verdict.txt`;
const dir = mkdtempSync(join(tmpdir(), 'llmts-fifo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function mkfifo(path: string): string {
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, `mkfifo ${path}: ${r.stderr}`);
  return path;
}

/** A run that blocks on a FIFO is killed after 30 s and fails the test naming the command. */
const BLOCK_LIMIT = { timeoutMs: 30_000 };

const raw = join(dir, 'raw');
mkdirSync(raw);
copyFileSync(VERDICT, join(raw, 'a.txt'));
const fifo = mkfifo(join(raw, 'pipe.txt'));

test('expandInputs lists a FIFO in a folder or named as skipped: not a regular file; a glob does not match it', async () => {
  for (const input of [raw, fifo]) {
    const { files, skipped } = await expandInputs([input]);
    assert.deepEqual(files.map((f) => f.path).filter((p) => p.endsWith('pipe.txt')), [], input);
    assert.deepEqual(skipped, [{ path: fifo, reason: 'not a regular file: FIFO (named pipe)' }], input);
  }
  const globbed = await expandInputs([join(raw, '*.txt')]);
  assert.deepEqual(globbed.files.map((f) => f.path), [join(raw, 'a.txt')]);
});

test('data prepare and data stats on a folder holding a FIFO finish, skip it and report it (report.json and stderr)', () => {
  const out = join(dir, 'out');
  const r = llmts(['data', 'prepare', '--out', out, '--threads', '2', raw], BLOCK_LIMIT);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: skipping .*pipe\.txt: not a regular file: FIFO \(named pipe\)/);
  assert.match(r.stdout, /1 input\(s\) not read\n.*pipe\.txt: not a regular file: FIFO/);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.deepEqual(report.inputs.skipped, [{ path: fifo, reason: 'not a regular file: FIFO (named pipe)' }]);
  assert.equal(report.out.docs, 1);
  const s = llmts(['data', 'stats', '--threads', '1', fifo, join(raw, 'a.txt')], BLOCK_LIMIT);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stderr, /skipping .*pipe\.txt: not a regular file/);
});

test('data tokenize and a --profanity-list FIFO are refused with E_INPUT, not read', () => {
  const t = llmts(['data', 'tokenize', '--tokenizer', 'char', '--out', join(dir, 'tok'), join(raw, 'a.txt'), fifo], BLOCK_LIMIT);
  assert.equal(t.code, 1);
  assert.match(t.stderr, /llmts: error E_INPUT: .*pipe\.txt is a FIFO \(named pipe\), not a regular file \(at FILES\)/);
  const p = llmts(['data', 'stats', '--profanity-list', fifo, join(raw, 'a.txt')], BLOCK_LIMIT);
  assert.equal(p.code, 1);
  assert.match(p.stderr, /E_INPUT: .*pipe\.txt is a FIFO.*\(at --profanity-list\)/);
  assert.throws(() => tokenizeFiles([fifo], CharTokenizer.fromText('abc'), join(dir, 'tok2')), /E_INPUT|FIFO/);
  assert.throws(() => loadWordListFile(fifo, '--profanity-list'), /FIFO/);
});

test('tokenizer train with a FIFO among its files is refused with E_INPUT before anything is read or written', () => {
  const out = join(dir, 'tok-train');
  const t = llmts(['tokenizer', 'train', '--type', 'bpe', '--vocab-size', '300', '--out', out, join(raw, 'a.txt'), fifo], BLOCK_LIMIT);
  assert.equal(t.code, 1);
  assert.match(t.stderr, /llmts: error E_INPUT: .*pipe\.txt is a FIFO \(named pipe\), not a regular file \(at FILES\)/);
  assert.equal(existsSync(out), false);
});

test('a FIFO that takes a listed file\'s place is bad input to the readers, not a hang', async () => {
  const ctx = { bytesRead: 0, invalidUtf8: 0 };
  for (const format of ['text', 'jsonl', 'csv', 'parquet'] as const) {
    const events = [];
    for await (const ev of readInput({ path: fifo, format, gzip: false, size: 0 }, { field: 'text' }, ctx)) events.push(ev);
    assert.deepEqual(events, [{ kind: 'bad', loc: 0, reason: 'not a regular file: FIFO (named pipe)' }], format);
  }
  await assert.rejects(async () => { for await (const _ of shardTexts([fifo])) { /* nothing */ } }, (e: Error & { code?: string }) => e.code === 'E_SHARD' && /pipe\.txt: not a regular file: FIFO/.test(e.message));
});

test('links back up the tree are listed once: two loops in a folder do not make 2^40 paths', async () => {
  const top = join(dir, 'loops');
  mkdirSync(join(top, 'raw'), { recursive: true });
  copyFileSync(VERDICT, join(top, 'raw', 'a.txt'));
  symlinkSync('..', join(top, 'raw', 'up1'));
  symlinkSync('..', join(top, 'raw', 'up2'));
  const { files, skipped } = await expandInputs([join(top, 'raw')]);
  assert.deepEqual(files.map((f) => f.path), [join(top, 'raw', 'a.txt')]);
  const again = 'folder already listed (through a link or another input)';
  assert.deepEqual(skipped, [{ path: join(top, 'raw', 'up1', 'raw'), reason: again }, { path: join(top, 'raw', 'up2'), reason: again }]);
});

test('--out that is a file, or under /proc (where Node\'s recursive mkdir loops forever), is an E_OUT error', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const outs: [string, RegExp][] = [
    [file, /E_OUT: .*a-file is a file, not a folder \(at --out\)/],
    [join(file, 'sub'), /E_OUT: .*a-file is a file, not a folder \(at --out\)/],
  ];
  if (existsSync('/proc/self')) outs.push(['/proc/llmts-nope', /E_OUT: cannot create the output folder \/proc\/llmts-nope: ENOENT \(at --out\)/]);
  for (const [out, expected] of outs) {
    const p = llmts(['data', 'prepare', '--out', out, '--threads', '1', VERDICT], BLOCK_LIMIT);
    assert.equal(p.code, 1, out);
    assert.match(p.stderr, expected);
    const t = llmts(['data', 'tokenize', '--tokenizer', 'char', '--out', out, VERDICT], BLOCK_LIMIT);
    assert.equal(t.code, 1, out);
    assert.match(t.stderr, expected);
  }
});
