// Finds the Chromium that the web UI's browser tests (test/**/*.browser.test.ts) drive through
// playwright-core, installing Debian's package when it can; used by scripts/run-tests.mjs.
//
//   LLMTS_CHROMIUM=/path/to/chrome   use this binary (and only this one)
//   LLMTS_INSTALL_CHROMIUM=0         never install (default: install when root on Debian/Ubuntu)
//
// Run on its own (`node scripts/chromium.mjs`) it prints the binary's path, or why there is
// none, and exits 1 then.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where a Chromium or Chrome usually is on Linux (Debian's package first). */
export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** How to make the browser tests run, for the messages. */
export const HOW_TO_RUN = 'to run them, install Chromium (Debian/Ubuntu: apt-get update && apt-get install -y --no-install-recommends chromium) or set LLMTS_CHROMIUM to a Chrome/Chromium binary';

/** True when `cmd` is an executable on PATH. */
function onPath(cmd, env) {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, cmd)));
}

/** The first existing binary of `paths`, or null. */
function firstExisting(paths) {
  return paths.find((p) => existsSync(p)) ?? null;
}

/** Why installing is not possible here, or null when it is (root, apt-get, not turned off). */
function cannotInstall(env) {
  if (env.LLMTS_INSTALL_CHROMIUM === '0') return 'installing is turned off (LLMTS_INSTALL_CHROMIUM=0)';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'installing it needs root';
  if (!onPath('apt-get', env)) return 'no apt-get to install it with';
  return null;
}

/** Runs apt-get update + install chromium; returns null, or the tail of apt-get's output when it failed. */
function aptInstall(env) {
  const opts = { encoding: 'utf8', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 15 * 60_000 };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const r = spawnSync('apt-get', args, opts);
    if (r.status !== 0) return `apt-get ${args[0]} failed: ${`${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}`.trim().split('\n').slice(-2).join(' | ')}`;
  }
  return null;
}

/**
 * The Chromium binary for the browser tests: `{ path }`, or `{ reason }` (one sentence) when
 * there is none and none could be installed. Looks at LLMTS_CHROMIUM (only there when set),
 * else at `paths`; installs Debian's `chromium` package when nothing is found, the user is
 * root and apt-get exists (unless LLMTS_INSTALL_CHROMIUM=0); `log` gets one line before an install.
 */
export function findChromium(env = process.env, log = (line) => console.error(line), paths = CHROMIUM_PATHS) {
  if (env.LLMTS_CHROMIUM) {
    return existsSync(env.LLMTS_CHROMIUM) ? { path: env.LLMTS_CHROMIUM } : { reason: `LLMTS_CHROMIUM=${env.LLMTS_CHROMIUM} does not exist` };
  }
  const found = firstExisting(paths);
  if (found) return { path: found };
  const notFound = `no Chromium found (looked at ${paths.join(', ')})`;
  const why = cannotInstall(env);
  if (why) return { reason: `${notFound} and ${why}` };
  log('run-tests: installing Chromium for the web UI tests (apt-get install chromium, a few minutes)...');
  const failed = aptInstall(env);
  if (failed) return { reason: `${notFound} and ${failed}` };
  const installed = firstExisting(paths);
  return installed ? { path: installed } : { reason: `${notFound}, and none after apt-get install chromium` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = findChromium();
  if (r.path) console.log(r.path);
  else console.error(`no Chromium for the browser tests: ${r.reason}; ${HOW_TO_RUN}`);
  process.exit(r.path ? 0 : 1);
}
