/**
 * Segment files for the text metrics (BLEU, chrF, ROUGE): one segment per line, read as
 * sacreBLEU's command line reads them (UTF-8, lines end at '\n' only, each line
 * right-stripped of whitespace as Python's `str.rstrip()` does, so '\r\n' files work).
 *
 * @example
 * const hyps = readSegments('hyp.txt', '--hyp');
 * const refs = readSegments('ref.txt', '--ref');
 * checkSameLength([{ path: 'hyp.txt', segments: hyps }, { path: 'ref.txt', segments: refs }]);
 */
import { readFileSync, statSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import { pyRstrip } from './sacrebleu-text.ts';

/** The lines of `text`, a final '\n' ending the last line rather than starting an empty one. */
export function splitSegments(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map(pyRstrip);
}

/**
 * The segments of the UTF-8 file at `path` (one per line, right-stripped). `flag` names
 * the flag that gave the path, for the error: E_FILE when it is missing, not a regular
 * file or unreadable; E_LINES when it has no lines.
 */
export function readSegments(path: string, flag: string): string[] {
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new LlmtsError('E_FILE', `${path} is not a regular file`, { where: `${flag} ${path}`, hint: 'give a text file with one segment per line' });
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof LlmtsError) throw err;
    const code = (err as { code?: unknown } | null)?.code;
    const why = code === 'ENOENT' ? 'not found' : `cannot be read (${typeof code === 'string' ? code : String(err)})`;
    throw new LlmtsError('E_FILE', `${path}: ${why}`, { where: `${flag} ${path}`, hint: 'check the path', cause: err });
  }
  const segments = splitSegments(text);
  if (segments.length === 0) throw new LlmtsError('E_LINES', `${path} is empty: no segments to score`, { where: `${flag} ${path}`, hint: 'give one segment per line' });
  return segments;
}

/** Throws E_LINES, naming both files and their line counts, unless every file has as many segments as the first. */
export function checkSameLength(files: readonly { path: string; segments: readonly string[] }[]): void {
  const [first, ...rest] = files;
  if (!first) return;
  for (const f of rest) {
    if (f.segments.length !== first.segments.length) {
      throw new LlmtsError('E_LINES', `${first.path} has ${first.segments.length} lines but ${f.path} has ${f.segments.length}`,
        { where: f.path, hint: 'give one line per segment in every file, in the same order' });
    }
  }
}
