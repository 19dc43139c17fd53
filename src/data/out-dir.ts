/**
 * Creating an output folder and its missing parents, one level at a time, with errors a
 * user can act on. Not `mkdirSync(dir, { recursive: true })`: on Node 20 that loops
 * forever where mkdir answers ENOENT under an existing parent (`--out /proc/x`), and it
 * throws a raw EEXIST when the path is a file.
 *
 * @example
 * makeOutputDir('runs/clean', '--out');   // creates runs/ and runs/clean as needed
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LlmtsError } from '../util/errors.ts';

/** Creates `dir` (and missing parents); `where` names the flag in errors. */
export function makeOutputDir(dir: string, where: string): void {
  const hint = 'choose a folder you can write to (it is created if missing)';
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new LlmtsError('E_OUT', `cannot use ${p} as an output folder: ${code ?? String(err)}`, { where, hint });
      missing.unshift(p);
      if (dirname(p) === p) break;
      continue;
    }
    if (!isDir) throw new LlmtsError('E_OUT', `${p === resolve(dir) ? dir : p} is a file, not a folder`, { where, hint });
    break;
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(p).isDirectory()) continue; // made meanwhile by another process
      throw new LlmtsError('E_OUT', `cannot create the output folder ${p}: ${code ?? String(err)}`, { where, hint });
    }
  }
}
