/**
 * The code-python recipe's text: the Python standard library's own source, found at run
 * time where python3 says it is (`sysconfig.get_paths()["stdlib"]`; never copied), split by
 * module into training files and held-apart files (a hash of the path, so the split does
 * not depend on the machine's file order), and the next-line evaluation positions: seeded
 * non-blank lines of the held-apart files with the source before them.
 *
 * Left out: the test suites (`test/`, `tests/`, `idle_test/`), `site-packages/`,
 * `encodings/` and `pydoc_data/` (generated tables and help text, not code).
 *
 * @example
 * const dir = findStdlib();                      // '/usr/lib/python3.11'
 * const { train, heldApart } = stdlibFiles(dir);
 * const positions = nextLinePositions(heldApart, 300, 1);
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Rng } from '../util/rng.ts';
import { LlmtsError } from '../util/errors.ts';

/** One source file: its path relative to the stdlib folder and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** Folders never read (tests, third-party packages, generated tables). */
const SKIP_DIRS = new Set(['test', 'tests', 'idle_test', 'site-packages', 'encodings', 'pydoc_data', '__pycache__']);

/** The stdlib folder of the python3 on PATH (or `python`); E_PYTHON when there is none. */
export function findStdlib(python = 'python3'): string {
  let out: string;
  try {
    out = execFileSync(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new LlmtsError('E_PYTHON', `could not run ${python} to find the Python standard library`, { where: '--python', hint: 'install python3, or pass --stdlib DIR (a folder of .py files)', cause: err });
  }
  const dir = out.trim();
  if (!existsSync(dir)) throw new LlmtsError('E_PYTHON', `${python} names ${dir} as its stdlib, which does not exist`, { where: '--python', hint: 'pass --stdlib DIR' });
  return dir;
}

/** Every .py file under `dir` (sorted by path, skipping SKIP_DIRS), as text. */
export function readPythonFiles(dir: string): SourceFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LlmtsError('E_DATA', `${dir} is not a folder`, { where: '--stdlib', hint: 'pass the folder of the Python standard library' });
  const out: SourceFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(p);
      } else if (name.endsWith('.py') && st.size > 0) {
        out.push({ path: relative(dir, p), text: readFileSync(p, 'utf8').replace(/\r\n/g, '\n') });
      }
    }
  };
  walk(dir);
  if (out.length === 0) throw new LlmtsError('E_DATA', `no .py files in ${dir}`, { where: '--stdlib', hint: 'pass the folder of the Python standard library' });
  return out;
}

/** Splits files into training and held apart: a file is held apart when sha1(path) % 100 < `percent`. */
export function splitByModule(files: readonly SourceFile[], percent: number): { train: SourceFile[]; heldApart: SourceFile[] } {
  const train: SourceFile[] = [], heldApart: SourceFile[] = [];
  for (const f of files) (createHash('sha1').update(f.path).digest().readUInt32BE(0) % 100 < percent ? heldApart : train).push(f);
  return { train, heldApart };
}

/** The stdlib's files split for the recipe (5% of modules held apart). */
export function stdlibFiles(dir: string): { train: SourceFile[]; heldApart: SourceFile[] } {
  return splitByModule(readPythonFiles(dir), 5);
}

/** One evaluation position: the source before a line, and that line. */
export interface LinePosition {
  path: string;
  /** 1-based line number. */
  line: number;
  before: string;
  target: string;
}

/**
 * `n` seeded positions over the non-blank lines of `files` (each line drawn at most once;
 * lines 1..2 of a file are skipped so there is some context).
 */
export function nextLinePositions(files: readonly SourceFile[], n: number, seed: number): LinePosition[] {
  const all: { f: number; line: number }[] = [];
  const split = files.map((f) => f.text.split('\n'));
  split.forEach((lines, f) => lines.forEach((l, i) => { if (i >= 2 && l.trim() !== '') all.push({ f, line: i + 1 }); }));
  const rng = new Rng(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, n).map(({ f, line }) => {
    const lines = split[f]!;
    return { path: files[f]!.path, line, before: lines.slice(0, line - 1).map((l) => `${l}\n`).join(''), target: lines[line - 1]! };
  });
}
