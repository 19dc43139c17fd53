/**
 * One reader per input format, all yielding the same events: a document (its raw
 * text, whether it is HTML, and its location: 1-based line for JSON lines and CSV/TSV,
 * row for Parquet, piece number for `docSep`-split text, 0 for a whole file), or a bad
 * record that is skipped and reported. A bad file ends that file's events with one bad
 * event; it never stops the run.
 *
 * @example
 * for await (const ev of readInput(file, { field: 'text' }, ctx)) {
 *   if (ev.kind === 'doc') use(ev.text); else report(ev.loc, ev.reason);
 * }
 */
import { csvRecords, tsvRecords, type CsvRecord } from './csv.ts';
import type { InputFile } from './files.ts';
import { jsonLineEvent, recordText } from './jsonl-batches.ts';
import { parquetTexts } from './parquet.ts';
import { BadInput, decodedChunks, lines, MAX_DOC_CHARS, readWhole, tooLong, type ReadContext } from './text-stream.ts';

export interface IngestOptions {
  /** JSON field / CSV column / Parquet column holding the text (dots reach into JSON objects). Default 'text'. */
  field: string;
  /** Split .txt/.md files into documents at this separator (e.g. '<|endoftext|>'); default: one document per file. */
  docSep?: string;
}

export type IngestEvent =
  | { kind: 'doc'; text: string; html: boolean; loc: number }
  | { kind: 'bad'; loc: number; reason: string };

/** All events of one file; never throws for bad input. */
export async function* readInput(f: InputFile, o: IngestOptions, ctx: ReadContext): AsyncGenerator<IngestEvent> {
  const bad: IngestEvent[] = [];
  try {
    switch (f.format) {
      case 'text':
        yield* textDocs(f, o, ctx);
        break;
      case 'html':
        yield { kind: 'doc', text: await readWhole(f.path, f.gzip, ctx), html: true, loc: 0 };
        break;
      case 'jsonl':
        yield* jsonlDocs(decodedChunks(f.path, f.gzip, ctx), o.field, ctx);
        break;
      case 'json':
        yield* jsonDocs(f, o.field, ctx);
        break;
      case 'csv':
      case 'tsv':
        yield* tableDocs(f.format === 'csv' ? csvRecords(decodedChunks(f.path, f.gzip, ctx), ctx) : tsvRecords(decodedChunks(f.path, f.gzip, ctx), ctx), o.field);
        break;
      case 'parquet':
        for await (const [text, row] of parquetTexts(f.path, f.gzip, o.field, f.size, ctx, (loc, reason) => bad.push({ kind: 'bad', loc, reason }))) {
          while (bad.length > 0) yield bad.shift()!;
          yield { kind: 'doc', text, html: false, loc: row };
        }
        while (bad.length > 0) yield bad.shift()!;
        break;
    }
  } catch (err) {
    if (!(err instanceof BadInput)) throw err;
    yield { kind: 'bad', loc: err.loc, reason: err.reason };
  }
}

async function* textDocs(f: InputFile, o: IngestOptions, ctx: ReadContext): AsyncGenerator<IngestEvent> {
  const sep = o.docSep;
  if (!sep) {
    yield { kind: 'doc', text: await readWhole(f.path, f.gzip, ctx), html: false, loc: 0 };
    return;
  }
  let rest = '';
  let n = 0;
  for await (const chunk of decodedChunks(f.path, f.gzip, ctx)) {
    const text = rest + chunk;
    let at = 0;
    for (let k = text.indexOf(sep); k >= 0; k = text.indexOf(sep, at)) {
      const piece = text.slice(at, k);
      n++;
      if (piece.trim() !== '') yield { kind: 'doc', text: piece, html: false, loc: n };
      at = k + sep.length;
    }
    rest = text.slice(at);
    if (rest.length > (ctx.maxDocChars ?? MAX_DOC_CHARS)) throw tooLong(`document ${n + 1} (the text after separator ${n})`, ctx, `does --doc-sep ${JSON.stringify(sep)} occur in the file?`, n + 1);
  }
  n++;
  if (rest.trim() !== '') yield { kind: 'doc', text: rest, html: false, loc: n };
}

async function* jsonlDocs(chunks: AsyncIterable<string>, field: string, ctx: ReadContext): AsyncGenerator<IngestEvent> {
  for await (const [line, n] of lines(chunks, ctx)) {
    const ev = jsonLineEvent(line, n, field);
    if (ev) yield ev.kind === 'doc' ? { kind: 'doc', text: ev.text, html: false, loc: ev.loc } : ev;
  }
}

/** A .json file: a top-level array of records (read whole), or JSON lines. */
async function* jsonDocs(f: InputFile, field: string, ctx: ReadContext): AsyncGenerator<IngestEvent> {
  const text = await readWhole(f.path, f.gzip, ctx);
  if (!text.trimStart().startsWith('[')) {
    yield* jsonlDocs((async function* () { yield text; })(), field, ctx);
    return;
  }
  let arr: unknown;
  try {
    arr = JSON.parse(text);
  } catch (err) {
    throw new BadInput(`malformed JSON: ${(err as Error).message}`);
  }
  const items = arr as unknown[];
  for (let i = 0; i < items.length; i++) {
    const ev = recordText(items[i], field, i + 1);
    yield ev.kind === 'doc' ? { kind: 'doc', text: ev.text, html: false, loc: ev.loc } : ev;
  }
}

/** CSV/TSV: the header row names the columns; `field` picks the text column. */
async function* tableDocs(records: AsyncIterable<CsvRecord>, field: string): AsyncGenerator<IngestEvent> {
  let col = -1;
  for await (const r of records) {
    if (col < 0) {
      col = r.fields.indexOf(field);
      if (col < 0) throw new BadInput(`no column "${field}" in the header (columns: ${r.fields.join(', ')})`, r.line);
      continue;
    }
    if (col >= r.fields.length) {
      yield { kind: 'bad', loc: r.line, reason: `row has ${r.fields.length} fields, column "${field}" is number ${col + 1}` };
      continue;
    }
    yield { kind: 'doc', text: r.fields[col]!, html: false, loc: r.line };
  }
}
