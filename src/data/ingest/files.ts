/**
 * Input discovery: files, directories (walked recursively, in name order) and glob
 * patterns (tinyglobby) become a list of input files with their format, from the
 * extension after an optional `.gz`.
 *
 * | extension            | format   | documents                                  |
 * |----------------------|----------|--------------------------------------------|
 * | .txt .text .md       | text     | one per file (or per `--doc-sep` piece)     |
 * | .html .htm           | html     | one per file, converted to text             |
 * | .jsonl .ndjson       | jsonl    | one per line, the `--field` value           |
 * | .json                | json     | a JSON array of records, or JSON lines      |
 * | .csv .tsv            | csv, tsv | one per row, the `--field` column           |
 * | .parquet             | parquet  | one per row, the `--field` column           |
 *
 * @example
 * await expandInputs(['corpus/', 'extra/*.jsonl.gz', 'notes.md']);
 * // [{ path: 'corpus/a.txt', format: 'text', gzip: false, size: 1234 }, ...]
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { LlmtsError } from '../../util/errors.ts';

export type InputFormat = 'text' | 'html' | 'jsonl' | 'json' | 'csv' | 'tsv' | 'parquet';

export interface InputFile {
  path: string;
  format: InputFormat;
  gzip: boolean;
  /** Size on disk in bytes (compressed size for .gz). */
  size: number;
}

const FORMATS: Record<string, InputFormat> = {
  txt: 'text', text: 'text', md: 'text', markdown: 'text', html: 'html', htm: 'html', jsonl: 'jsonl', ndjson: 'jsonl',
  json: 'json', csv: 'csv', tsv: 'tsv', parquet: 'parquet',
};

/** Format of a file name, or null for an unknown extension. */
export function formatOf(path: string): { format: InputFormat; gzip: boolean } | null {
  const lower = path.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  const dot = base.lastIndexOf('.');
  const ext = dot >= 0 && !base.slice(dot).includes('/') ? base.slice(dot + 1) : '';
  const format = FORMATS[ext];
  return format ? { format, gzip } : null;
}

/**
 * Why a file of this kind is not read: null for a regular file, else the reason ("not a
 * regular file: FIFO (named pipe)", ...). Reading a FIFO blocks until a writer opens it,
 * a device never ends: both would hang the run, so they are skipped as bad input.
 */
export function notRegularReason(st: Stats): string | null {
  if (st.isFile()) return null;
  const kind = st.isFIFO() ? 'FIFO (named pipe)' : st.isSocket() ? 'socket' : st.isCharacterDevice() ? 'character device'
    : st.isBlockDevice() ? 'block device' : st.isDirectory() ? 'folder' : 'special file';
  return `not a regular file: ${kind}`;
}

/**
 * Checks that every path is an existing regular file (no FIFO, socket or device, which
 * would block or never end), for commands that read their inputs whole; throws an
 * E_INPUT LlmtsError naming the first bad one and `where` (the flag or argument), with
 * `hint` (default: check the path).
 */
export function checkInputFiles(paths: readonly string[], where: string, hint = 'check the path; give existing text files'): void {
  for (const path of paths) {
    let st: Stats;
    try {
      st = statSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new LlmtsError('E_INPUT', code === 'ENOENT' ? `input file not found: ${path}` : `cannot read input ${path}: ${code ?? String(err)}`,
        { where, hint });
    }
    const reason = notRegularReason(st);
    if (reason) throw new LlmtsError('E_INPUT', `${path} is ${reason.replace('not a regular file: ', 'a ')}, not a regular file`, { where, hint: 'give regular text files (copy the data from the pipe or device into a file first)' });
  }
}

/** An input that could not be used (missing, unreadable, not a regular file, or an unknown extension in a folder). */
export interface SkippedInput {
  path: string;
  reason: string;
}

/**
 * Lists the files under `dir`, depth first in name order. `visited` holds the folders
 * already listed (device:inode), so a link back to a folder above (a loop) or a second
 * link to the same folder is listed once, not until the path is too long (and, with two
 * such links, 2^40 times).
 */
function walk(dir: string, out: string[], skipped: SkippedInput[], visited: Set<string>): void {
  try {
    const st = statSync(dir);
    const id = `${st.dev}:${st.ino}`;
    if (visited.has(id)) {
      skipped.push({ path: dir, reason: 'folder already listed (through a link or another input)' });
      return;
    }
    visited.add(id);
  } catch { /* readdirSync below reports it */ }
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    skipped.push({ path: dir, reason: `cannot read folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    return;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      out.push(p); // e.g. a dangling link: reading it fails and is reported as bad input
      continue;
    }
    if (st.isDirectory()) walk(p, out, skipped, visited);
    else if (notRegularReason(st)) skipped.push({ path: p, reason: notRegularReason(st)! });
    else out.push(p);
  }
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Expands inputs into files. Explicit files with an unknown extension are read as text
 * (a binary one is then skipped as binary); files of unknown extension found in folders
 * or by globs are skipped and listed in `skipped`, as are FIFOs, sockets and devices
 * wherever they come from (reading them would block or never end).
 */
export async function expandInputs(inputs: string[]): Promise<{ files: InputFile[]; skipped: SkippedInput[] }> {
  const files: InputFile[] = [];
  const skipped: SkippedInput[] = [];
  const seen = new Set<string>();
  const visited = new Set<string>();
  const skip = (path: string, reason: string): void => {
    if (!skipped.some((s) => resolve(s.path) === resolve(path))) skipped.push({ path, reason });
  };
  const add = (path: string, explicit: boolean): void => {
    const key = resolve(path);
    if (seen.has(key)) return;
    const f = formatOf(path);
    if (!f && !explicit) {
      skip(path, 'unsupported extension');
      return;
    }
    seen.add(key);
    // Named explicitly after a folder walk skipped it: it is an input after all.
    const at = skipped.findIndex((s) => resolve(s.path) === key);
    if (at >= 0) skipped.splice(at, 1);
    let size = 0;
    try {
      const st = statSync(path);
      const reason = notRegularReason(st);
      if (reason) { skip(path, reason); return; } // e.g. a FIFO a glob matched
      size = st.size;
    } catch { /* reported when it is read */ }
    files.push({ path, format: f?.format ?? 'text', gzip: f?.gzip ?? path.toLowerCase().endsWith('.gz'), size });
  };
  for (const input of inputs) {
    let st;
    try { st = statSync(input); } catch { st = null; }
    if (st?.isDirectory()) {
      const found: string[] = [];
      walk(input, found, skipped, visited);
      for (const p of found) add(p, false);
    } else if (st && notRegularReason(st)) {
      skip(input, notRegularReason(st)!);
    } else if (st) {
      add(input, true);
    } else if (GLOB_CHARS.test(input)) {
      const found = (await glob(input, { onlyFiles: true, dot: false, absolute: isAbsolute(input) })).sort();
      if (found.length === 0) skipped.push({ path: input, reason: 'glob matched no file' });
      for (const p of found) add(p, false);
    } else {
      skipped.push({ path: input, reason: 'no such file or folder' });
    }
  }
  return { files, skipped };
}
