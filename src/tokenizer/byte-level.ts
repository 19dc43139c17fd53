/**
 * GPT-2's byte <-> unicode mapping: every byte 0..255 is shown as one printable unicode
 * character, so that a byte-level BPE vocabulary can be stored as JSON strings
 * (HF tokenizer.json, GPT-2 encoder.json / vocab.bpe).
 *
 * Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the other 68
 * bytes map, in order, to U+0100, U+0101, ... (so ' ' (0x20) is 'Ġ' (U+0120) and '\n' is 'Ċ').
 *
 * @example
 * bytesToByteLevel(new TextEncoder().encode(' héllo'))  // 'ĠhÃ©llo'
 * byteLevelToBytes('Ġworld')                            // bytes of ' world'
 */
import { LlmtsError } from '../util/errors.ts';

function buildByteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const keep = new Set(printable);
  const out: string[] = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (keep.has(b)) out[b] = String.fromCharCode(b);
    else out[b] = String.fromCharCode(256 + next++);
  }
  return out;
}

/** BYTE_TO_UNICODE[b] is the one-character string that stands for byte b. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

/** UNICODE_TO_BYTE[charCode] is the byte for that character, or -1 (char codes 0..323). */
export const UNICODE_TO_BYTE: Int16Array = (() => {
  const t = new Int16Array(324).fill(-1);
  for (let b = 0; b < 256; b++) t[BYTE_TO_UNICODE[b]!.charCodeAt(0)] = b;
  return t;
})();

/** Bytes -> byte-level string (one character per byte). */
export function bytesToByteLevel(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_UNICODE[bytes[i]!]!;
  return s;
}

/**
 * Byte-level string -> bytes. Throws `E_BYTE_LEVEL` on a character outside the mapping,
 * or returns null when `strict` is false.
 */
export function byteLevelToBytes(s: string, strict?: true): Uint8Array;
export function byteLevelToBytes(s: string, strict: false): Uint8Array | null;
export function byteLevelToBytes(s: string, strict = true): Uint8Array | null {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const b = c < 324 ? UNICODE_TO_BYTE[c]! : -1;
    if (b < 0) {
      if (!strict) return null;
      throw new LlmtsError('E_BYTE_LEVEL', `token ${JSON.stringify(s)} has character U+${c.toString(16).padStart(4, '0')} outside GPT-2's byte-level alphabet`, {
        hint: 'byte-level BPE vocabularies store every byte as one of 256 printable characters; is this a byte-level BPE tokenizer?',
      });
    }
    out[i] = b;
  }
  return out;
}

/**
 * UTF-8 encodes `text[start, end)` into `out` (which must hold 3 bytes per UTF-16 unit)
 * and returns the byte count. Lone surrogates become U+FFFD, as `TextEncoder` does.
 */
export function utf8EncodeInto(text: string, start: number, end: number, out: Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          out[n++] = 0xf0 | (cp >> 18);
          out[n++] = 0x80 | ((cp >> 12) & 63);
          out[n++] = 0x80 | ((cp >> 6) & 63);
          out[n++] = 0x80 | (cp & 63);
          i++;
          continue;
        }
        c = 0xfffd;
      }
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}
