/**
 * Labelled text for sequence classification (`llmts finetune --task classify`):
 * - JSON lines `{"text": "...", "label": 1}` (`sentence` is taken for `text`; a label is a
 *   string or an integer);
 * - CSV (RFC 4180) or TSV (`.tsv`, `.txt`: tab-separated, as the UCI sentiment files): with a
 *   header row naming a `text` / `sentence` column and a `label` column, or without one:
 *   the text first and the label last.
 * Labels are strings; `labelSet` orders them (integers numerically, else alphabetically),
 * so id = position. A record without text or label is an `E_DATA` error naming its file and line.
 *
 * @example
 * const rows = await readLabelled(['data/uci/yelp_labelled.txt']); // [{ text: 'Wow... Loved this place.', label: '1', where: '...:1' }, ...]
 * const labels = labelSet(rows);                                    // ['0', '1']
 */
import { dataError, jsonlRecords, readDataFile } from './record-file.ts';
import { csvRecords, tsvRecords, type CsvRecord } from './ingest/csv.ts';
import { BadInput, type ReadContext } from './ingest/text-stream.ts';

/** One labelled text and where it came from ("file:line"). */
export interface LabelledText {
  text: string;
  label: string;
  where: string;
}

const HINT = 'give one text and one label per record: JSONL {"text": "...", "label": "..."}, or CSV/TSV columns text,label';

/** A JSON label (string or integer) as a string. */
function labelOf(v: unknown, where: string): string {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  throw dataError(where, `"label" must be a non-empty string or an integer, got ${JSON.stringify(v) ?? 'nothing'}`, HINT);
}

function parseJsonl(text: string, file: string): LabelledText[] {
  return jsonlRecords(text, file, (rec, where) => {
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw dataError(where, 'the record is not a JSON object', HINT);
    const r = rec as Record<string, unknown>;
    const t = r.text ?? r.sentence;
    if (typeof t !== 'string' || t.trim() === '') throw dataError(where, '"text" must be a non-empty string', HINT);
    return { text: t, label: labelOf(r.label, where), where };
  });
}

async function parseDelimited(text: string, file: string, tsv: boolean): Promise<LabelledText[]> {
  const ctx: ReadContext = { bytesRead: 0, invalidUtf8: 0 };
  const chunks = (async function* () { yield text; })();
  const records: CsvRecord[] = [];
  try {
    for await (const r of (tsv ? tsvRecords : csvRecords)(chunks, ctx)) records.push(r);
  } catch (err) {
    if (err instanceof BadInput) throw dataError(`${file}:${err.loc || 1}`, err.reason, HINT);
    throw err;
  }
  if (records.length === 0) return [];
  const head = records[0]!.fields.map((f) => f.trim().toLowerCase());
  let textCol = -1, labelCol = -1, body = records;
  if (head.includes('label')) {
    labelCol = head.indexOf('label');
    textCol = head.findIndex((f) => f === 'text' || f === 'sentence');
    if (textCol < 0) throw dataError(`${file}:${records[0]!.line}`, 'the header names a label column but no text or sentence column', HINT);
    body = records.slice(1);
  }
  return body.map((r) => {
    const where = `${file}:${r.line}`;
    const f = r.fields;
    if (f.length < 2) throw dataError(where, `expected a text and a label, got ${f.length} field`, HINT);
    const t = textCol >= 0 ? f[textCol] : f.slice(0, -1).join(tsv ? '\t' : ',');
    const l = labelCol >= 0 ? f[labelCol] : f[f.length - 1];
    if (t === undefined || t.trim() === '') throw dataError(where, 'the text is empty', HINT);
    if (l === undefined || l.trim() === '') throw dataError(where, 'the label is empty', HINT);
    return { text: t, label: l.trim(), where };
  });
}

/** The labelled texts of one file's contents (format by extension; see the module comment). */
export async function parseLabelled(text: string, file: string): Promise<LabelledText[]> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.json')) return parseJsonl(text, file);
  if (lower.endsWith('.csv')) return parseDelimited(text, file, false);
  if (lower.endsWith('.tsv') || lower.endsWith('.txt')) return parseDelimited(text, file, true);
  throw dataError(file, 'unknown format', 'use .jsonl, .csv, .tsv or .txt (tab-separated)');
}

/** Reads the labelled texts of each file in order; a file with none is an E_DATA error. */
export async function readLabelled(files: readonly string[]): Promise<LabelledText[]> {
  const all: LabelledText[] = [];
  for (const file of files) {
    const text = readDataFile(file, 'pass a readable .jsonl, .csv or .tsv file');
    const rows = await parseLabelled(text, file);
    if (rows.length === 0) throw dataError(file, 'holds no labelled text', HINT);
    all.push(...rows);
  }
  return all;
}

/** The distinct labels, ordered: numerically when all are integers, else alphabetically. */
export function labelSet(rows: readonly { label: string }[]): string[] {
  const set = [...new Set(rows.map((r) => r.label))];
  const numeric = set.every((l) => /^-?\d+$/.test(l));
  return numeric ? set.sort((a, b) => Number(a) - Number(b)) : set.sort();
}
