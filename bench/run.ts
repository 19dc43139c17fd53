/**
 * Benchmark entry: `npm run bench -- <name> [options]` runs bench/<name>.ts.
 * Benchmarks print figures and ratios against peers; they are never tests.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LlmtsError } from '../src/util/errors.ts';

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- <${names.join('|')}> [options]`);
  process.exit(name ? 2 : 1);
}
const mod = (await import(pathToFileURL(`${here}/${name}.ts`).href)) as { main: (argv: string[]) => Promise<void> };
try {
  await mod.main(rest);
} catch (err) {
  if (!(err instanceof LlmtsError)) throw err;
  console.error(`llmts bench ${name}: ${err.code}: ${err.message}`); // a user's error: one line, no stack
  process.exit(2);
}
