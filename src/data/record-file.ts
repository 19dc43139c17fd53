/**
 * What the fine-tuning data readers (classify-data.ts, sft-data.ts) share: the E_DATA error
 * naming the file and line, reading a whole data file, and the JSONL loop (one JSON value a
 * line, blank lines skipped, each line named "file:line" in errors).
 *
 * @example
 * jsonlRecords('{"a": 1}\n\n{"a": 2}\n', 'x.jsonl', (rec, where) => ({ rec, where }))
 * // [{ rec: { a: 1 }, where: 'x.jsonl:1' }, { rec: { a: 2 }, where: 'x.jsonl:3' }]
 */
import { readFileSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';

/** An E_DATA error: "`where`: `message`", with the fix in `hint`. */
export function dataError(where: string, message: string, hint: string): LlmtsError {
  return new LlmtsError('E_DATA', `${where}: ${message}`, { where, hint });
}

/** The text of a data file; an unreadable one is an E_DATA error whose hint is `hint`. */
export function readDataFile(file: string, hint: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new LlmtsError('E_DATA', `cannot read ${file}: ${(err as Error).message}`, { where: file, hint, cause: err });
  }
}

/** Each non-blank line of `text` parsed as JSON and turned into a record by `toRecord` (given "file:line"). */
export function jsonlRecords<T>(text: string, file: string, toRecord: (rec: unknown, where: string) => T): T[] {
  const out: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${file}:${i + 1}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw dataError(where, 'not valid JSON', 'one JSON object a line');
    }
    out.push(toRecord(rec, where));
  }
  return out;
}
