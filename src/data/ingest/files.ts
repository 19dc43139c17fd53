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
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { glob } from 'tinyglobby';

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

/** An input that could not be used (missing, unreadable, or an unknown extension in a folder). */
export interface SkippedInput {
  path: string;
  reason: string;
}

function walk(dir: string, out: string[], skipped: SkippedInput[]): void {
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
    if (st.isDirectory()) walk(p, out, skipped);
    else out.push(p);
  }
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Expands inputs into files. Explicit files with an unknown extension are read as text
 * (a binary one is then skipped as binary); files of unknown extension found in folders
 * or by globs are skipped and listed in `skipped`.
 */
export async function expandInputs(inputs: string[]): Promise<{ files: InputFile[]; skipped: SkippedInput[] }> {
  const files: InputFile[] = [];
  const skipped: SkippedInput[] = [];
  const seen = new Set<string>();
  const add = (path: string, explicit: boolean): void => {
    const key = resolve(path);
    if (seen.has(key)) return;
    const f = formatOf(path);
    if (!f && !explicit) {
      if (!skipped.some((s) => resolve(s.path) === key)) skipped.push({ path, reason: 'unsupported extension' });
      return;
    }
    seen.add(key);
    // Named explicitly after a folder walk skipped it: it is an input after all.
    const at = skipped.findIndex((s) => resolve(s.path) === key);
    if (at >= 0) skipped.splice(at, 1);
    let size = 0;
    try { size = statSync(path).size; } catch { /* reported when it is read */ }
    files.push({ path, format: f?.format ?? 'text', gzip: f?.gzip ?? path.toLowerCase().endsWith('.gz'), size });
  };
  for (const input of inputs) {
    let st;
    try { st = statSync(input); } catch { st = null; }
    if (st?.isDirectory()) {
      const found: string[] = [];
      walk(input, found, skipped);
      for (const p of found) add(p, false);
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
