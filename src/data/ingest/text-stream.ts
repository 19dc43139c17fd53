/**
 * Streaming decoding of one input file: raw bytes (gunzipped for .gz) in 1 MiB
 * chunks, a binary check on the first chunk, and UTF-8 decoding where invalid bytes
 * become U+FFFD and are counted. Memory holds one chunk at a time.
 *
 * @example
 * const ctx = { bytesRead: 0, invalidUtf8: 0 };
 * for await (const chunk of decodedChunks('a.txt.gz', true, ctx)) process(chunk);
 * for await (const [line, n] of lines(decodedChunks('b.jsonl', false, ctx), ctx)) ...
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { notRegularReason } from './files.ts';

/** A file, or a line / row of it, that cannot be used: skipped and reported with `loc`. */
export class BadInput extends Error {
  constructor(readonly reason: string, readonly loc = 0) {
    super(reason);
  }
}

/** Shared counters of the reading side. */
export interface ReadContext {
  /** Bytes read from disk so far (compressed bytes for .gz), for the progress bar. */
  bytesRead: number;
  /** Invalid UTF-8 sequences replaced by U+FFFD. */
  invalidUtf8: number;
  /** Longest document, line or field read, in UTF-16 units (bytes for a JSON line); default `MAX_DOC_CHARS`. */
  maxDocChars?: number;
}

/**
 * 64 Mi: the longest document, line or field read (characters; bytes for a JSON line).
 * Far above any real document (the length filter drops 100,000 words, ~0.6 MB), and far
 * below V8's longest string (2^29 - 24 units): a 2 GB text file read as one document, or
 * a file without line ends, is bad input ("split it with --doc-sep") instead of a
 * RangeError, and memory stays bounded.
 */
export const MAX_DOC_CHARS = 64 << 20;

/** BadInput for a document, line or field over the limit; `what` says which ("line 3"). */
export function tooLong(what: string, ctx: ReadContext, hint: string, loc = 0): BadInput {
  const max = ctx.maxDocChars ?? MAX_DOC_CHARS;
  return new BadInput(`${what} is over ${max >= 1 << 20 ? `${Math.round(max / (1 << 20))} Mi` : max} characters: ${hint}`, loc);
}

const CHUNK = 1 << 20;

/** True when a file's first bytes look binary: a NUL byte, or over 10% control bytes. */
export function looksBinary(head: Uint8Array): boolean {
  const n = Math.min(head.length, 8192);
  let ctrl = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b === 0) return true;
    if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) ctrl++;
  }
  return n > 0 && ctrl / n > 0.1;
}

/** U+FFFD characters in a decoded string. */
export function countFffd(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\ufffd'); i >= 0; i = s.indexOf('\ufffd', i + 1)) n++;
  return n;
}

/** U+FFFD characters already present, UTF-8 encoded (EF BF BD), in raw bytes: not decoding errors. */
export function countEncodedFffd(b: Uint8Array): number {
  let n = 0;
  for (let i = b.indexOf(0xef); i >= 0 && i + 2 < b.length; i = b.indexOf(0xef, i + 1)) if (b[i + 1] === 0xbf && b[i + 2] === 0xbd) n++;
  return n;
}

function errnoReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' || e.code === 'ERR_ZLIB_UNEXPECTED_EOF' || /unexpected end of file|incorrect header/i.test(e.message ?? '')) return `broken gzip data: ${e.message}`;
  if (e.code) return `cannot read file: ${e.code}`;
  return `cannot read file: ${String(err)}`;
}

/**
 * Opens a file for reading. The open does not wait for a writer (O_NONBLOCK: opening a
 * FIFO would otherwise block a libuv thread for good, and with it the process's exit),
 * and anything but a regular file (FIFO, socket, device) is BadInput, even when it
 * replaced a regular file after the inputs were listed.
 */
export async function openRegular(path: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    // opening a socket file fails with ENXIO: say what it is
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') throw new BadInput('not a regular file: socket');
    throw new BadInput(errnoReason(err));
  }
  try {
    const reason = notRegularReason(await fh.stat());
    if (reason) throw new BadInput(reason);
  } catch (err) {
    await fh.close();
    throw err instanceof BadInput ? err : new BadInput(errnoReason(err));
  }
  return fh;
}

/** The raw bytes of a file (gunzipped when `gzip`), chunk by chunk; read errors and non-regular files become BadInput. */
export async function* rawChunks(path: string, gzip: boolean, ctx: ReadContext): AsyncGenerator<Uint8Array> {
  const raw = (await openRegular(path)).createReadStream({ highWaterMark: CHUNK });
  const src: Readable = gzip ? pipeline(raw, createGunzip({ chunkSize: CHUNK }), () => { /* errors surface in the loop */ }) : raw;
  let counted = 0;
  try {
    for await (const chunk of src as AsyncIterable<Buffer>) {
      ctx.bytesRead += raw.bytesRead - counted;
      counted = raw.bytesRead;
      yield chunk;
    }
  } catch (err) {
    throw new BadInput(errnoReason(err));
  } finally {
    raw.destroy();
    if (src !== raw) src.destroy();
  }
}

/** The decoded text of a file, chunk by chunk; a binary file throws BadInput('binary file'). */
export async function* decodedChunks(path: string, gzip: boolean, ctx: ReadContext): AsyncGenerator<string> {
  const dec = new TextDecoder('utf-8');
  let first = true;
  for await (const chunk of rawChunks(path, gzip, ctx)) {
    if (first) {
      first = false;
      if (looksBinary(chunk)) throw new BadInput('binary file');
    }
    const s = dec.decode(chunk, { stream: true });
    if (s.includes('\ufffd')) ctx.invalidUtf8 += Math.max(0, countFffd(s) - countEncodedFffd(chunk));
    if (s) yield s;
  }
  const tail = dec.decode();
  if (tail) {
    ctx.invalidUtf8 += countFffd(tail);
    yield tail;
  }
}

/** Lines (without the newline, CR kept) and their 1-based numbers; a line over the limit throws BadInput. */
export async function* lines(chunks: AsyncIterable<string>, ctx: ReadContext): AsyncGenerator<[string, number]> {
  const max = ctx.maxDocChars ?? MAX_DOC_CHARS;
  let rest = '';
  let n = 0;
  for await (const chunk of chunks) {
    let text = rest + chunk;
    let at = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
      if (nl - at > max) throw tooLong(`line ${n + 1}`, ctx, 'is the file one record per line?', n + 1);
      yield [text.slice(at, nl), ++n];
      at = nl + 1;
    }
    rest = text.slice(at);
    text = '';
    if (rest.length > max) throw tooLong(`line ${n + 1}`, ctx, 'is the file one record per line?', n + 1);
  }
  if (rest !== '') yield [rest, ++n];
}

/** The whole decoded file as one string; over the limit it is BadInput. */
export async function readWhole(path: string, gzip: boolean, ctx: ReadContext): Promise<string> {
  const max = ctx.maxDocChars ?? MAX_DOC_CHARS;
  const parts: string[] = [];
  let chars = 0;
  for await (const c of decodedChunks(path, gzip, ctx)) {
    chars += c.length;
    if (chars > max) throw tooLong('the file, read as one document,', ctx, "split it into documents with --doc-sep (e.g. '\\n\\n') or use JSON lines");
    parts.push(c);
  }
  return parts.join('');
}
