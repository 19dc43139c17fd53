// Runs every test/**/*.test.ts with node's test runner (Node 20 has no --test globs).
// Extra arguments are substrings that select test files: `npm test -- tokenizer`.
//
// The web UI's browser tests (*.browser.test.ts) need Chromium: found or installed by
// scripts/chromium.mjs and passed on as LLMTS_CHROMIUM. Where there is none, those files
// alone are skipped, with one line at the end saying why and how to run them; with
// LLMTS_REQUIRE_BROWSER=1 (set by .ci/run) that is an error instead.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium, HOW_TO_RUN } from './chromium.mjs';

const BROWSER_TEST = '.browser.test.ts';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk('test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

let run = files;
let skipped = null;
const env = { ...process.env };
const browserFiles = files.filter((f) => f.endsWith(BROWSER_TEST));
if (browserFiles.length > 0) {
  const chromium = findChromium(process.env);
  if (chromium.path) {
    env.LLMTS_CHROMIUM = chromium.path;
  } else if (process.env.LLMTS_REQUIRE_BROWSER === '1') {
    console.error(`run-tests: error: the browser tests (${browserFiles.join(', ')}) cannot run: ${chromium.reason}; LLMTS_REQUIRE_BROWSER=1 needs them: ${HOW_TO_RUN}`);
    process.exit(1);
  } else {
    skipped = `run-tests: SKIPPED the browser tests (${browserFiles.join(', ')}): ${chromium.reason}; ${HOW_TO_RUN}`;
    run = files.filter((f) => !f.endsWith(BROWSER_TEST));
  }
}

let status = 0;
if (run.length > 0) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...run], { stdio: 'inherit', env });
  status = r.status ?? 1;
}
if (skipped) console.error(skipped);
process.exit(status);
