/**
 * Streaming CSV (RFC 4180: quoted fields with "" escapes and embedded newlines, CRLF or
 * LF) and TSV (one record a line, fields split on tabs, quotes taken literally, as in
 * IANA text/tab-separated-values) records.
 *
 * @example
 * for await (const r of csvRecords(chunks)) r.fields;   // ['a', 'b, c'] for 'a,"b, c"'
 */
import { BadInput, lines, MAX_DOC_CHARS, tooLong, type ReadContext } from './text-stream.ts';

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
}

/** RFC 4180 records; an unterminated quoted field at the end, or a field over the limit, throws BadInput with its line. */
export async function* csvRecords(chunks: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<CsvRecord> {
  const max = ctx.maxDocChars ?? MAX_DOC_CHARS;
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // just saw a quote inside a quoted field ("" or the closing one)
  let line = 1, start = 1;
  let any = false;
  for await (const chunk of chunks) {
    // checked once a chunk: a quote never closed gathers the rest of the file into one field
    if (field.length > max) throw tooLong(`the field starting on line ${start}`, ctx, 'is a quote left open?', start);
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (quoted) {
        if (afterQuote) {
          afterQuote = false;
          if (c === '"') { field += '"'; continue; }
          quoted = false; // closing quote: fall through to the unquoted handling of c
        } else if (c === '"') {
          afterQuote = true;
          continue;
        } else {
          if (c === '\n') line++;
          field += c;
          continue;
        }
      }
      if (c === ',') { fields.push(field); field = ''; any = true; continue; }
      if (c === '\n') {
        fields.push(field);
        if (fields.length > 1 || fields[0] !== '') yield { fields, line: start };
        fields = []; field = ''; any = false;
        start = ++line;
        continue;
      }
      if (c === '\r') continue;
      if (c === '"' && field === '') { quoted = true; any = true; continue; }
      field += c;
      any = true;
    }
  }
  if (quoted && !afterQuote) throw new BadInput('unterminated quoted field', start);
  if (any || field !== '') {
    fields.push(field);
    yield { fields, line: start };
  }
}

/** TSV records: one per non-empty line, fields split on tabs. */
export async function* tsvRecords(chunks: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<CsvRecord> {
  for await (const [raw, n] of lines(chunks, ctx)) {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (l === '') continue;
    yield { fields: l.split('\t'), line: n };
  }
}
