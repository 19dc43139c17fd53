// Test helper (not a test file): a runs folder as the dashboard reads it, for the UI's API
// tests (ui-api.test.ts) and its browser tests (ui.browser.test.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizeFiles } from '../../src/data/tokenize.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { planRun, train } from '../../src/train/trainer.ts';

/** The key the UI tests' servers are started with. */
export const API_KEY = 'sk-ui-test';

/**
 * Fills `<root>/runs`: `tiny-run`, a real (very short) training run (metrics.jsonl,
 * train_config.json with absolute `data` and `out` paths), and `no-metrics`, a folder
 * that is not a run. Returns the runs folder.
 */
export async function makeRuns(root: string): Promise<string> {
  const runsDir = join(root, 'runs');
  const text = readFileSync(new URL('../../data/tinyshakespeare/input.txt', import.meta.url), 'utf8').slice(0, 30_000);
  writeFileSync(join(root, 'text.txt'), text);
  tokenizeFiles([join(root, 'text.txt')], CharTokenizer.fromText(text), join(root, 'data'));
  await train(planRun({ overrides: { preset: 'tiny', data: join(root, 'data'), out: join(runsDir, 'tiny-run'), maxSteps: 24, evalInterval: 8, evalIters: 2, logInterval: 2, ckptInterval: 0, progress: false } }), { log: () => {} });
  mkdirSync(join(runsDir, 'no-metrics'), { recursive: true }); // not a run: no metrics.jsonl
  return runsDir;
}
