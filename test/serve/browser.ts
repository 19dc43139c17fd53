// Test helper (not a test file): headless Chromium for the web UI's browser tests.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Starts headless Chromium: $LLMTS_CHROMIUM (set by scripts/run-tests.mjs), else Debian's
 * /usr/bin/chromium. Run directly on a machine without it, a test fails here with the fix.
 */
export async function launchChromium(): Promise<Browser> {
  const candidates = [process.env.LLMTS_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(`the web UI tests need Chromium and found none (looked at ${candidates.join(', ')}): install it with ` +
      '`apt-get update && apt-get install -y --no-install-recommends chromium` (Debian/Ubuntu), or set LLMTS_CHROMIUM to a Chrome/Chromium binary');
  }
  return chromium.launch({ executablePath: path, args: ['--no-sandbox'] });
}
