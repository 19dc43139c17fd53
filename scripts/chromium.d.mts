// Types of scripts/chromium.mjs, for the tests that import it.

/** Where a Chromium or Chrome usually is on Linux (Debian's package first). */
export declare const CHROMIUM_PATHS: readonly string[];

/** How to make the browser tests run, for the messages. */
export declare const HOW_TO_RUN: string;

/** The Chromium binary for the browser tests, or why there is none (and none could be installed). */
export declare function findChromium(env?: Record<string, string | undefined>, log?: (line: string) => void,
  paths?: readonly string[]): { path: string; reason?: undefined } | { path?: undefined; reason: string };
