/**
 * JSON lines as raw byte batches: the reading thread only cuts the file's bytes at line
 * ends (a native byte search) and hands each batch, transferred without a copy, to a
 * worker, which decodes it, parses the lines and processes the documents. The reading
 * thread never holds the documents as strings, so its heap stays small and flat, and
 * the parsing runs on every core. The events are the same as `readInput`'s for a JSON
 * lines file: documents with their 1-based line, and bad lines skipped with a reason.
 *
 * @example
 * for await (const b of jsonlByteBatches(file, ctx, 1 << 18)) {
 *   if ('bad' in b) report(b.bad); else worker.post(b.raw, b.firstLine, b.fileStart);
 * }
 * const { docs, bad } = decodeJsonLines(raw, firstLine, fileStart, 'text');
 */
import type { InputFile } from './files.ts';
import { fieldOf } from './parquet.ts';
import { BadInput, countEncodedFffd, countFffd, looksBinary, MAX_DOC_CHARS, rawChunks, tooLong, type ReadContext } from './text-stream.ts';

/** One batch of whole lines of a JSON lines file. */
export interface JsonlBytes {
  /** The bytes of whole lines (the last one may lack its newline at the end of the file), at offset 0 of its own ArrayBuffer. */
  raw: Uint8Array;
  /** Line number of the first line (1-based). */
  firstLine: number;
  /** The batch starts the file (a UTF-8 byte order mark there is dropped, as the streaming decoder does). */
  fileStart: boolean;
}

/** A document or a bad record, as in readers.ts. */
export type JsonlEvent = { kind: 'doc'; text: string; loc: number } | { kind: 'bad'; loc: number; reason: string };

/** The text field of a parsed record, or the reason it has none. */
export function recordText(obj: unknown, field: string, loc: number): JsonlEvent {
  const v = fieldOf(obj, field);
  if (typeof v === 'string') return { kind: 'doc', text: v, loc };
  return { kind: 'bad', loc, reason: `field "${field}" is ${v === undefined || v === null ? 'missing' : typeof v}, not a string` };
}

/** The event of one JSON line numbered `n`; null for a blank line. */
export function jsonLineEvent(line: string, n: number, field: string): JsonlEvent | null {
  if (line.trim() === '') return null;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    return { kind: 'bad', loc: n, reason: `malformed JSON: ${(err as Error).message}` };
  }
  return recordText(obj, field, n);
}

function countNewlines(b: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = b.indexOf(10, from); i >= 0 && i < to; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * The file's bytes in batches of whole lines of about `batchBytes` (a longer line makes
 * a longer batch), each copied into `alloc(bytes)` (a new buffer by default; spare.ts
 * reuses them). A binary or unreadable file, broken gzip data or a line over the limit ends the batches
 * with one `{ bad }` (lines before a gzip error are still delivered, a partial last line
 * is not), as `readInput` does.
 */
export async function* jsonlByteBatches(f: InputFile, ctx: ReadContext, batchBytes: number,
  alloc: (bytes: number) => Uint8Array = (n) => new Uint8Array(n)): AsyncGenerator<JsonlBytes | { bad: { loc: number; reason: string } }> {
  let carry: Uint8Array | null = null;
  let line = 1;
  let first = true;
  let fileStart = true;
  const cut = (buf: Uint8Array, from: number, to: number): JsonlBytes => {
    const raw = alloc(to - from); // a copy, at offset 0 of its own ArrayBuffer (transferable)
    raw.set(buf.subarray(from, to));
    const b = { raw, firstLine: line, fileStart };
    line += countNewlines(buf, from, to);
    fileStart = false;
    return b;
  };
  try {
    for await (const chunk of rawChunks(f.path, f.gzip, ctx)) {
      if (first) {
        first = false;
        if (looksBinary(chunk)) throw new BadInput('binary file');
      }
      let buf = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length); // TypedArray methods, not Buffer's
      if (carry) {
        buf = new Uint8Array(carry.length + chunk.length);
        buf.set(carry);
        buf.set(chunk, carry.length);
      }
      let at = 0;
      for (;;) {
        let nl: number;
        if (at + batchBytes >= buf.length) {
          nl = buf.lastIndexOf(10);
          if (nl < at) break;
        } else {
          nl = buf.lastIndexOf(10, at + batchBytes);
          if (nl < at) nl = buf.indexOf(10, at + batchBytes);
          if (nl < 0) break;
        }
        yield cut(buf, at, nl + 1);
        at = nl + 1;
      }
      carry = at < buf.length ? buf.slice(at) : null;
      if (carry && carry.length > (ctx.maxDocChars ?? MAX_DOC_CHARS)) throw tooLong(`line ${line}`, ctx, 'is the file one JSON record per line?', line);
    }
    if (carry) yield cut(carry, 0, carry.length);
  } catch (err) {
    if (!(err instanceof BadInput)) throw err;
    yield { bad: { loc: err.loc, reason: err.reason } };
  }
}

/**
 * Decodes one batch (invalid UTF-8 becomes U+FFFD and is counted) and parses its lines:
 * the documents with their line numbers, and the bad lines.
 */
export function decodeJsonLines(raw: Uint8Array, firstLine: number, fileStart: boolean, field: string): { events: JsonlEvent[]; invalidUtf8: number } {
  const s = new TextDecoder('utf-8', { ignoreBOM: !fileStart }).decode(raw);
  const invalidUtf8 = s.includes('\ufffd') ? Math.max(0, countFffd(s) - countEncodedFffd(raw)) : 0;
  const events: JsonlEvent[] = [];
  let n = firstLine;
  let at = 0;
  for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', at)) {
    const ev = jsonLineEvent(s.slice(at, nl), n++, field);
    if (ev) events.push(ev);
    at = nl + 1;
  }
  if (at < s.length) {
    const ev = jsonLineEvent(s.slice(at), n, field);
    if (ev) events.push(ev);
  }
  return { events, invalidUtf8 };
}
