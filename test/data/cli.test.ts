import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { originals } from './planted.ts';
import { llmts } from '../cli-run.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIX = `${ROOT}test/fixtures/data-texts/`;
const dir = mkdtempSync(join(tmpdir(), 'llmts-data-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('cli: data prepare on real files (text, TSV, JSONL.gz), shards + report.json, summary printed', () => {
  const raw = join(dir, 'raw');
  mkdirSync(raw);
  writeFileSync(join(raw, 'stories.txt'), readFileSync(`${FIX}tinystories-head.txt`));
  writeFileSync(join(raw, 'verdict.txt'), readFileSync(`${FIX}the-verdict.txt`));
  const docs = originals(40);
  writeFileSync(join(raw, 'docs.jsonl.gz'), gzipSync([...docs, docs[0], docs[1]].map((text) => JSON.stringify({ text })).join('\n')));
  writeFileSync(join(raw, 'broken.jsonl'), '{"text": "fine but short"}\n{not json}\n');
  const out = join(dir, 'out');
  const r = llmts(['data', 'prepare', '--out', out, '--doc-sep', '\\n\\n', '--val-ratio', '0.1', '--meta', '--threads', '2', raw]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^prepared 4 file\(s\)/);
  assert.match(r.stdout, /duplicates: 2 exact/);
  assert.match(r.stdout, /broken\.jsonl:2: malformed JSON/);
  assert.match(r.stdout, /mojibake fixed/);
  assert.match(r.stderr, /prepare \[#+\] 100%/);
  const names = readdirSync(out).sort();
  assert.deepEqual(names, ['report.json', 'train-00000.jsonl', 'val-00000.jsonl']);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const recs = readFileSync(join(out, 'train-00000.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(recs.length, report.out.train.docs);
  assert.deepEqual(Object.keys(recs[0]).sort(), ['id', 'source', 'text']);
  assert.equal(recs.some((x: { text: string }) => x.text.includes('â€')), false);
  // stats: same numbers, nothing written.
  const s = llmts(['data', 'stats', '--doc-sep', '\\n\\n', '--json', raw]);
  assert.equal(s.code, 0, s.stderr);
  const stats = JSON.parse(s.stdout);
  assert.equal(stats.out.docs, report.out.docs);
  assert.deepEqual(stats.drops, report.drops);
});

test('cli: flag and input errors name the flag and the fix', () => {
  const noOut = llmts(['data', 'prepare', `${FIX}the-verdict.txt`]);
  assert.equal(noOut.code, 1);
  assert.match(noOut.stderr, /E_FLAG: missing --out .*fix: give --out DIR/);
  const badRatio = llmts(['data', 'prepare', '--out', join(dir, 'x'), '--val-ratio', '2', `${FIX}the-verdict.txt`]);
  assert.match(badRatio.stderr, /--val-ratio must be a number in \[0, 1\), got '2'/);
  const bands = llmts(['data', 'stats', '--bands', '32', `${FIX}the-verdict.txt`]);
  assert.match(bands.stderr, /bands x rows = 256 exceeds --perms 128/);
  const lang = llmts(['data', 'stats', '--lang', 'xx', `${FIX}the-verdict.txt`]);
  assert.match(lang.stderr, /unknown language 'xx'/);
  const sub = llmts(['data', 'frobnicate']);
  assert.match(sub.stderr, /unknown subcommand 'data frobnicate'.*prepare, stats/);
  const help = llmts(['data', 'prepare', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--threshold J \(0\.8\)/);
});

test('cli: data prepare that keeps no document exits 1 with the counts per reason and the flag to try (--doc-sep for whole files)', () => {
  const out = join(dir, 'nothing-kept');
  const stories = `${ROOT}data/tinystories/tinystories_val_head.txt`;
  const r = llmts(['data', 'prepare', '--out', out, '--threads', '1', stories]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /llmts: error E_NOTHING_KEPT: all 1 document\(s\) were dropped \(too-long 1\).*fix: each \.txt\/\.md file is one document unless split: add --doc-sep '\\n\\n'/);
  assert.deepEqual(readdirSync(out), ['report.json']);
  // the same --out again, as the hint says: no --overwrite needed, since nothing was kept
  const again = llmts(['data', 'prepare', '--out', out, '--doc-sep', '\\n\\n', '--threads', '1', stories]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).out.docs > 500);
  // another main reason, another hint
  const short = llmts(['data', 'prepare', '--out', join(dir, 'nothing-kept-2'), '--doc-sep', '\\n\\n', '--min-words', '5000', '--threads', '1', stories]);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /E_NOTHING_KEPT: all 4,300 document\(s\) were dropped \(too-short 4300\).*fix: try --min-words N/);
});

/**
 * Starts a prepare run on a corpus big enough to take a few seconds, and kills it once a
 * shard exists; `ms` is the time from the signal to the exit.
 */
async function interrupted(signal: NodeJS.Signals, threads = 1): Promise<{ out: string; code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const src = join(dir, `big-${signal}.jsonl`);
  const docs = originals(600);
  const lines: string[] = [];
  for (let k = 0; k < 12; k++) for (const [i, d] of docs.entries()) lines.push(JSON.stringify({ text: `${d}\nCopy ${k} number ${i} of the corpus ${k * 1000 + i}` }));
  writeFileSync(src, lines.join('\n'));
  const out = join(dir, `int-${signal}-${threads}`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'data', 'prepare', '--out', out, '--shard-size', '100KB', '--no-near', '--threads', String(threads), src], { cwd: ROOT, stdio: 'ignore' });
  let killedAt = 0;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig, ms: Date.now() - killedAt })));
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000) {
    await new Promise((r) => setTimeout(r, 25));
    const names = existsSync(out) ? readdirSync(out) : [];
    if (names.some((n) => n.startsWith('train-')) && names.some((n) => n.endsWith('.partial'))) break;
  }
  killedAt = Date.now();
  child.kill(signal);
  return { out, ...await exited };
}

function checkShards(out: string): number {
  const shards = readdirSync(out).filter((n) => /^(train|val)-\d{5}\.jsonl$/.test(n));
  for (const n of shards) {
    const text = readFileSync(join(out, n), 'utf8');
    assert.ok(text.endsWith('\n'), `${n} ends with a newline`);
    for (const l of text.trim().split('\n')) JSON.parse(l);
  }
  return shards.length;
}

test('interrupted run (SIGINT, SIGTERM and SIGKILL) leaves only complete shards; a rerun clears leftovers', async () => {
  // SIGINT / SIGTERM: the shard being written is removed, then the run ends by the same
  // signal (exit status 130 / 143 in a shell) within a second or two, worker threads included.
  for (const [signal, threads] of [['SIGINT', 1], ['SIGTERM', 2]] as const) {
    const a = await interrupted(signal, threads);
    assert.equal(a.signal, signal, `${signal}: ended by the signal (exit code ${a.code})`);
    assert.ok(a.ms < 2000, `${signal}: exited ${a.ms} ms after the signal`);
    assert.ok(checkShards(a.out) >= 1);
    assert.deepEqual(readdirSync(a.out).filter((n) => n.endsWith('.partial') || n.includes('.tmp')), []);
    assert.equal(existsSync(join(a.out, 'report.json')), false);
  }
  const b = await interrupted('SIGKILL');
  assert.ok(checkShards(b.out) >= 1);
  // SIGKILL cannot be caught: the shard being written stays under its hidden temporary name.
  assert.ok(readdirSync(b.out).every((n) => /^(train|val)-\d{5}\.jsonl$/.test(n) || n.endsWith('.partial')));
  const r = llmts(['data', 'prepare', '--out', b.out, '--overwrite', '--no-near', '--threads', '1', `${FIX}the-verdict.txt`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(b.out).sort(), ['report.json', 'train-00000.jsonl']);
});
