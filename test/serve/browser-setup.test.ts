// How `npm test` treats the web UI's browser tests where there is no Chromium
// (scripts/run-tests.mjs + scripts/chromium.mjs): it skips those files alone with one line
// saying why and how to run them, and fails instead under LLMTS_REQUIRE_BROWSER=1 (.ci/run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { findChromium } from '../../scripts/chromium.mjs';

const BOGUS = '/nonexistent/llmts-test/chromium';

/** Runs scripts/run-tests.mjs with `filters` and extra environment. */
function runTests(filters: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const { NODE_TEST_CONTEXT: _inTest, ...outer } = process.env; // the inner test run reports as a top-level one
  const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', ...filters], {
    encoding: 'utf8', env: { ...outer, LLMTS_REQUIRE_BROWSER: '', ...env }, timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('no Chromium: the browser tests alone are skipped, with one line saying why and how to run them', () => {
  const r = runTests(['test/cli/flags.test.ts', 'ui.browser'], { LLMTS_CHROMIUM: BOGUS });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /# pass [1-9]/); // the other selected file ran
  assert.doesNotMatch(r.stdout, /ui\.browser\.test\.ts|Chromium in|dashboard/);
  const lines = r.stderr.split('\n').filter((l) => /browser/i.test(l));
  assert.equal(lines.length, 1, r.stderr);
  assert.equal(lines[0], `run-tests: SKIPPED the browser tests (test/serve/ui.browser.test.ts): LLMTS_CHROMIUM=${BOGUS} does not exist; ` +
    'to run them, install Chromium (Debian/Ubuntu: apt-get update && apt-get install -y --no-install-recommends chromium) or set LLMTS_CHROMIUM to a Chrome/Chromium binary');
  assert.ok(r.stderr.trimEnd().endsWith(lines[0]!), 'the line comes last, after the results');
});

test('no Chromium under LLMTS_REQUIRE_BROWSER=1 (CI): an error, exit 1, and nothing run', () => {
  const r = runTests(['test/cli/flags.test.ts', 'ui.browser'], { LLMTS_CHROMIUM: BOGUS, LLMTS_REQUIRE_BROWSER: '1' });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr.trim(), new RegExp(`^run-tests: error: the browser tests \\(test/serve/ui\\.browser\\.test\\.ts\\) cannot run: LLMTS_CHROMIUM=${BOGUS} does not exist; LLMTS_REQUIRE_BROWSER=1 needs them: to run them, install Chromium`));
});

test('a selection without browser tests never looks for Chromium', () => {
  const r = runTests(['test/cli/flags.test.ts'], { LLMTS_CHROMIUM: BOGUS, LLMTS_REQUIRE_BROWSER: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /browser|Chromium/i);
});

test('findChromium: LLMTS_CHROMIUM alone when set; else the known paths; no install without permission or apt-get', () => {
  const logs: string[] = [];
  const log = (l: string): void => void logs.push(l);
  assert.deepEqual(findChromium({ LLMTS_CHROMIUM: process.execPath }, log), { path: process.execPath }); // any existing file will do
  assert.deepEqual(findChromium({ LLMTS_CHROMIUM: BOGUS }, log, [process.execPath]), { reason: `LLMTS_CHROMIUM=${BOGUS} does not exist` });
  assert.deepEqual(findChromium({}, log, [BOGUS, process.execPath]), { path: process.execPath });
  assert.deepEqual(findChromium({ LLMTS_INSTALL_CHROMIUM: '0', PATH: process.env.PATH }, log, [BOGUS]),
    { reason: `no Chromium found (looked at ${BOGUS}) and installing is turned off (LLMTS_INSTALL_CHROMIUM=0)` });
  const root = process.getuid?.() === 0;
  assert.deepEqual(findChromium({ PATH: '' }, log, [BOGUS]),
    { reason: `no Chromium found (looked at ${BOGUS}) and ${root ? 'no apt-get to install it with' : 'installing it needs root'}` });
  assert.deepEqual(logs, []); // no install was tried
});
