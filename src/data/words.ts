/**
 * Word views of a document, shared by the filters and the near-duplicate shingles.
 *
 * `wordTokens` is the Gopher definition (split on whitespace). `normalizedWordHashes`
 * is the dedup view: lower-cased ASCII, punctuation and symbols dropped, one uint32 per
 * word, computed in one pass over the text without building strings.
 *
 * @example
 * wordTokens('Hello,  world!');                  // ['Hello,', 'world!']
 * normalizedWordHashes('Hello, world!').count;   // 2 (same hashes as 'hello world')
 */
import { fmix32 } from './hash.ts';

/** Whitespace-separated tokens (the Gopher rules' "words"). */
export function wordTokens(text: string): string[] {
  const out = text.split(/\s+/);
  if (out.length > 0 && out[0] === '') out.shift();
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** Whitespace-separated token counts for the Gopher rules, computed without building strings. */
export interface TokenStats {
  /** Tokens (Gopher "words"). */
  count: number;
  /** UTF-16 units in the tokens. */
  chars: number;
  /** Tokens holding at least one letter. */
  alpha: number;
  /** ASCII digits in the tokens. */
  digits: number;
}

/** True for a code unit that counts as a letter: ASCII letters, and non-ASCII outside punctuation blocks. */
function isLetterUnit(c: number): boolean {
  if (c < 128) return (c | 0x20) >= 97 && (c | 0x20) <= 122;
  return isWordUnit(c) && !(c >= 0x660 && c <= 0x669) && !(c >= 0xff10 && c <= 0xff19);
}

/** Counts of the whitespace-separated tokens of `text` (same tokens as `wordTokens`). */
export function tokenStats(text: string): TokenStats {
  let count = 0, chars = 0, alpha = 0, digits = 0;
  let inTok = false, hasLetter = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 32 && c < 127) { // printable ASCII: the common case
      inTok = true;
      chars++;
      const k = ASCII_CLASS[c];
      if (k === LETTER) hasLetter = true;
      else if (k === DIGIT) digits++;
      continue;
    }
    const space = c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xa0 || c === 0x1680
      || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
    if (space) {
      if (inTok) { count++; if (hasLetter) alpha++; inTok = false; hasLetter = false; }
      continue;
    }
    inTok = true;
    chars++;
    if (!hasLetter && isLetterUnit(c)) hasLetter = true;
  }
  if (inTok) { count++; if (hasLetter) alpha++; }
  return { count, chars, alpha, digits };
}

/** Hashes and lengths (in UTF-16 units, after normalisation) of the normalised words. */
export interface WordHashes {
  count: number;
  hashes: Uint32Array;
  lengths: Uint16Array;
  /** The text hashed (for `wordEnds` / `wordBreakAfter`, looked up only when needed). */
  text: string;
}

const LETTER = 1, DIGIT = 2;
/** ASCII code -> LETTER, DIGIT or 0. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 65; c <= 90; c++) { ASCII_CLASS[c] = LETTER; ASCII_CLASS[c + 32] = LETTER; }
for (let c = 48; c <= 57; c++) ASCII_CLASS[c] = DIGIT;

/** True for a code unit that belongs to a word: ASCII letters and digits, and non-ASCII letters. */
function isWordUnit(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
  if (c < 0xc0) return false; // Latin-1 punctuation and symbols, NBSP
  if (c >= 0x2000 && c <= 0x206f) return false; // general punctuation, typographic spaces
  if (c >= 0x3000 && c <= 0x303f) return false; // CJK punctuation
  if (c === 0xfeff || c === 0xfffd || c === 0x00d7 || c === 0x00f7) return false;
  return true;
}

/**
 * Normalised word hashes: ASCII and Latin-1 letters lower-cased, everything that is not a letter or
 * digit acts as a separator and is dropped ("don't" -> "dont" hashes as one word because
 * the apostrophe is skipped, not split on; whitespace splits).
 */
export function normalizedWordHashes(text: string): WordHashes {
  const n = text.length;
  let cap = 64;
  let hashes = new Uint32Array(cap);
  let lengths = new Uint16Array(cap);
  let count = 0;
  let h = 0x811c9dc5;
  let len = 0;
  const flush = (): void => {
    if (len === 0) return;
    if (count === cap) {
      cap *= 2;
      const nh = new Uint32Array(cap); nh.set(hashes); hashes = nh;
      const nl = new Uint16Array(cap); nl.set(lengths); lengths = nl;
    }
    hashes[count] = fmix32(h);
    lengths[count] = len > 65535 ? 65535 : len;
    count++;
    h = 0x811c9dc5;
    len = 0;
  };
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 128) { // ASCII fast path
      const k = ASCII_CLASS[c]!;
      if (k !== 0) {
        if (k === LETTER) c |= 0x20;
        h ^= c;
        h = Math.imul(h, 0x01000193);
        len++;
      } else if (c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11) flush();
      continue;
    }
    if (!isWordUnit(c)) {
      // Typographic spaces split words; other punctuation is dropped inside a word.
      if (c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000 || c === 0x2028 || c === 0x2029) flush();
      continue;
    }
    if ((c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0xde && c !== 0xd7)) c |= 0x20; // ASCII and Latin-1 capitals
    h ^= c;
    h = Math.imul(h, 0x01000193);
    len++;
  }
  flush();
  return { count, hashes: hashes.subarray(0, count), lengths: lengths.subarray(0, count), text };
}

/** A space that splits words (ASCII whitespace and the typographic spaces above). */
function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11
    || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000 || c === 0x2028 || c === 0x2029;
}

/** A code unit of a word, ASCII or not. */
function isWordUnitAny(c: number): boolean {
  return c < 128 ? ASCII_CLASS[c] !== 0 : isWordUnit(c);
}

/**
 * Where each word of `normalizedWordHashes(text)` ends: the index of the space that ended
 * it, or the text's length. A second pass, for the rare callers that need positions
 * (phrase matches), so that hashing, which every document goes through, stays lean.
 */
export function wordEnds(text: string): Uint32Array {
  let ends = new Uint32Array(64);
  let count = 0;
  let inWord = false;
  const push = (end: number): void => {
    if (count === ends.length) { const next = new Uint32Array(2 * count); next.set(ends); ends = next; }
    ends[count++] = end;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      if (inWord) push(i);
      inWord = false;
    } else if (!inWord && isWordUnitAny(c)) inWord = true;
  }
  if (inWord) push(text.length);
  return ends.subarray(0, count);
}

/**
 * True when punctuation stands between word k and word k + 1 of `text` ("big, black",
 * 'big "black'), false when only spaces do ("big black"); punctuation inside a word
 * ("don't") does not count. `ends` is `wordEnds(text)`.
 */
export function wordBreakAfter(text: string, ends: Uint32Array, k: number): boolean {
  const end = ends[k]!;
  for (let j = end - 1; j >= 0; j--) { // back over the word's trailing characters
    const c = text.charCodeAt(j);
    if (isWordUnitAny(c)) break;
    if (!isSpace(c)) return true;
  }
  for (let j = end; j < text.length; j++) { // on to the next word's first letter
    const c = text.charCodeAt(j);
    if (isWordUnitAny(c)) return false;
    if (!isSpace(c)) return true;
  }
  return false;
}

/** The normalised hashes of the words of a list entry ("Don't" and "dont" hash alike). */
export function entryHashes(entry: string): number[] {
  return Array.from(normalizedWordHashes(entry).hashes);
}

