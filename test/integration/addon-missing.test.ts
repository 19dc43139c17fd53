import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('without the native addon: exactly one warning line, and the reference backend still trains', () => {
  const script = fileURLToPath(new URL('./train-tiny.ts', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, LLMTS_NATIVE_PATH: '/nonexistent/llmts_native.node' };
  delete env.LLMTS_BACKEND;
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  const errLines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(errLines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(errLines[0]!, /warning/i);
  assert.match(errLines[0]!, /reference/);
  assert.match(r.stdout, /^backend reference$/m);
  const m = /^losses (\S+) (\S+)$/m.exec(r.stdout);
  assert.ok(m, `no losses line in:\n${r.stdout}`);
  const first = Number(m[1]), last = Number(m[2]);
  assert.ok(Number.isFinite(first) && Number.isFinite(last));
  assert.ok(last < 0.5 * first, `loss did not fall: ${first} -> ${last}`);
});
