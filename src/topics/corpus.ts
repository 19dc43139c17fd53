/**
 * The documents `llmts topics` reads: JSONL files (one JSON object a line, the text in
 * `textField`, an optional date in `dateField`) and plain text files (the whole file one
 * document, or one per paragraph (blank-line separated) or per line with `unit`). Every
 * mistake is an E_DATA / E_INPUT error naming the file and line.
 *
 * @example
 * readCorpus(['news.jsonl'], { dateField: 'date' }) // [{ text, source: 'news.jsonl:1', date: { year: 2020, month: 3 } }, ...]
 */
import { extname } from 'node:path';
import { checkInputFiles } from '../data/ingest/files.ts';
import { dataError, jsonlRecords, readDataFile } from '../data/record-file.ts';
import { LlmtsError } from '../util/errors.ts';

/** A calendar date as far as the topic trends need it. */
export interface DocDate {
  year: number;
  /** 1..12 when the date has a month. */
  month?: number;
}

/** One document to model. */
export interface TopicDoc {
  text: string;
  /** "file:line" for JSONL, "file" or "file#paragraph" for text files. */
  source: string;
  date?: DocDate;
}

/** How a text file is cut into documents. */
export type TextUnit = 'doc' | 'paragraph' | 'line';

/** Options of `readCorpus`. */
export interface CorpusOptions {
  /** JSONL field holding the text (default "text"). */
  textField?: string;
  /** JSONL field holding the date; every record must have one when given. */
  dateField?: string;
  unit?: TextUnit;
}

const DATE = /^(\d{4})(?:-(\d{2}))?(?:-\d{2})?(?:[T ].*)?$/;

/** A date field's value (a year number, "YYYY", "YYYY-MM", "YYYY-MM-DD[Thh:mm...]") as a DocDate, else undefined. */
export function parseDocDate(value: unknown): DocDate | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= 9999 ? { year: value } : undefined;
  if (typeof value !== 'string') return undefined;
  const m = DATE.exec(value.trim());
  if (!m) return undefined;
  const year = Number(m[1]);
  if (m[2] === undefined) return { year };
  const month = Number(m[2]);
  return month >= 1 && month <= 12 ? { year, month } : undefined;
}

/** The documents of one JSONL file (see the module comment). */
function jsonlDocs(file: string, o: CorpusOptions): TopicDoc[] {
  const textField = o.textField ?? 'text';
  const body = readDataFile(file, 'check the path');
  return jsonlRecords(body, file, (rec, where) => {
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw dataError(where, 'not a JSON object', `one object a line, e.g. {"${textField}": "..."}`);
    const r = rec as Record<string, unknown>;
    const text = r[textField];
    if (typeof text !== 'string') throw dataError(where, `field "${textField}" is ${text === undefined ? 'missing' : `a ${typeof text}, not a string`}`, `give the text in "${textField}", or name its field with --text-field`);
    const doc: TopicDoc = { text, source: where };
    if (o.dateField !== undefined) {
      const raw = r[o.dateField];
      const date = parseDocDate(raw);
      if (date === undefined) {
        throw dataError(where, raw === undefined ? `field "${o.dateField}" is missing` : `field "${o.dateField}" is not a date: ${JSON.stringify(raw).slice(0, 40)}`,
          'give a year (1999) or an ISO date ("1999-04" or "1999-04-30") in every record');
      }
      doc.date = date;
    }
    return doc;
  });
}

/** The documents of one text file. */
function textDocs(file: string, unit: TextUnit): TopicDoc[] {
  const body = readDataFile(file, 'check the path').replace(/\r\n?/g, '\n');
  if (unit === 'doc') return [{ text: body, source: file }];
  const parts = unit === 'line' ? body.split('\n') : body.split(/\n[ \t]*\n/);
  return parts.map((p, i) => ({ text: p.trim(), source: `${file}#${i + 1}` }));
}

/** Reads every document of `files` (in order), dropping blank ones; refuses an empty corpus. */
export function readCorpus(files: readonly string[], o: CorpusOptions = {}): TopicDoc[] {
  if (files.length === 0) throw new LlmtsError('E_USAGE', 'llmts topics needs input files', { where: 'FILES', hint: 'e.g. llmts topics --model M docs.jsonl --out report' });
  checkInputFiles(files, 'FILES');
  const docs: TopicDoc[] = [];
  for (const f of files) {
    const jsonl = extname(f).toLowerCase() === '.jsonl';
    if (!jsonl && o.dateField !== undefined) {
      throw new LlmtsError('E_INPUT', `${f} is not a .jsonl file, so it has no date field`, { where: '--date-field', hint: 'give JSONL files with the date in each record, or leave out --date-field' });
    }
    for (const d of jsonl ? jsonlDocs(f, o) : textDocs(f, o.unit ?? 'doc')) if (d.text.trim() !== '') docs.push(d);
  }
  if (docs.length === 0) throw new LlmtsError('E_INPUT', 'the input files hold no document with text', { where: 'FILES', hint: 'give files with text (JSONL: a non-empty "text" field)' });
  return docs;
}
