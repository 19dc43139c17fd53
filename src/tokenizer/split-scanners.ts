/**
 * Hand-written pre-tokenizers for the GPT-2 / r50k and cl100k split patterns: the same
 * pieces as the regexes in split-patterns.ts (checked against them in
 * test/tokenizer/bpe-split.test.ts), several times faster on non-ASCII text and with no
 * allocation. Each is a function `(text, start) -> end of the piece starting at start`
 * that tries the pattern's alternatives in order, as a backtracking regex engine would.
 *
 * Character classes use V8's own Unicode tables (`\p{L}`, `\p{N}`) through a lazily
 * filled per-code-point cache; whitespace is Unicode White_Space, as in Rust's `\s`.
 */
import { CL100K_PATTERN, GPT2_PATTERN, R50K_PATTERN } from './split-patterns.ts';

/** Finds the end of the piece that starts at `start` (`start < text.length`). */
export type PieceScanner = (text: string, start: number) => number;

const LETTER = 1;
const NUMBER = 2;
const SPACE = 3;
const OTHER = 4;

const IS_L = /\p{L}/u;
const IS_N = /\p{N}/u;
const WHITE_SPACE = new Set([0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
for (let c = 0x2000; c <= 0x200a; c++) WHITE_SPACE.add(c);

let classes: Uint8Array | undefined;

function classify(cp: number): number {
  if ((cp >= 9 && cp <= 13) || cp === 32 || WHITE_SPACE.has(cp)) return SPACE;
  const s = String.fromCodePoint(cp);
  if (IS_L.test(s)) return LETTER;
  if (IS_N.test(s)) return NUMBER;
  return OTHER;
}

const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII[c] = classify(c);

/** Class of the code point: LETTER, NUMBER, SPACE or OTHER. */
function classOf(cp: number): number {
  if (cp < 128) return ASCII[cp]!;
  if (classes === undefined) classes = new Uint8Array(0x110000);
  let k = classes[cp]!;
  if (k === 0) k = classes[cp] = classify(cp);
  return k;
}

/** Code point at i (lone surrogates as themselves). */
function cpAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  }
  return c;
}

/** Class of the character at i, or 0 past the end. */
function classAt(text: string, i: number): number {
  return i < text.length ? classOf(cpAt(text, i)) : 0;
}

/** Width in UTF-16 units of the character at i. */
function width(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** End of the run of characters of class k starting at i. */
function runOf(text: string, i: number, k: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (ASCII[c] !== k) break;
      i++;
    } else {
      const cp = cpAt(text, i);
      if (classOf(cp) !== k) break;
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return i;
}

/** Contraction length at i ("'s" -> 2, "'ll" -> 3), or 0. `fold`: case-insensitive. */
function contraction(text: string, i: number, fold: boolean): number {
  if (text.charCodeAt(i) !== 39 || i + 1 >= text.length) return 0;
  let a = text.charCodeAt(i + 1);
  if (fold && a >= 65 && a <= 90) a += 32;
  if (a === 115 || a === 116 || a === 109 || a === 100) return 2; // s t m d
  if (i + 2 >= text.length) return 0;
  let b = text.charCodeAt(i + 2);
  if (fold && b >= 65 && b <= 90) b += 32;
  if ((a === 108 && b === 108) || (a === 118 && b === 101) || (a === 114 && b === 101)) return 3; // ll ve re
  return 0;
}

/**
 * Whitespace tail shared by both patterns, for a whitespace run [i, j):
 * `\s+(?!\S)` then a single `\s` (GPT-2's `\s+` only differs when j - i == 1: same result).
 */
function spaceTail(text: string, i: number, j: number): number {
  if (j === text.length) return j;
  if (j - i >= 2) {
    // leave the last whitespace character to prefix the next piece
    let k = j - 1;
    const c = text.charCodeAt(k);
    if (c >= 0xdc00 && c <= 0xdfff && k - 1 > i) k--; // (no astral whitespace exists; kept for safety)
    return k;
  }
  return j;
}

/** GPT-2 / r50k: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`. */
export function scanGpt2(text: string, i: number): number {
  const c = contraction(text, i, false);
  if (c > 0) return i + c;
  let k = classAt(text, i);
  let s = i;
  if (text.charCodeAt(i) === 32) {
    const k2 = classAt(text, i + 1);
    if (k2 === LETTER || k2 === NUMBER || k2 === OTHER) {
      k = k2;
      s = i + 1;
    }
  }
  if (k !== SPACE) return runOf(text, s, k);
  return spaceTail(text, i, runOf(text, i, SPACE));
}

/**
 * cl100k: `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|
 * ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`.
 */
export function scanCl100k(text: string, i: number): number {
  const c = contraction(text, i, true);
  if (c > 0) return i + c;
  const k = classAt(text, i);
  if (k === LETTER) return runOf(text, i, LETTER);
  const ch = text.charCodeAt(i);
  const w = width(text, i);
  if (k !== NUMBER && ch !== 13 && ch !== 10 && classAt(text, i + w) === LETTER) return runOf(text, i + w, LETTER);
  if (k === NUMBER) {
    let j = i;
    for (let n = 0; n < 3 && j < text.length && classAt(text, j) === NUMBER; n++) j += width(text, j);
    return j;
  }
  let s = -1;
  if (k === OTHER) s = i;
  else if (ch === 32 && classAt(text, i + 1) === OTHER) s = i + 1;
  if (s >= 0) {
    let j = runOf(text, s, OTHER);
    while (j < text.length && (text.charCodeAt(j) === 13 || text.charCodeAt(j) === 10)) j++;
    return j;
  }
  // whitespace
  const j = runOf(text, i, SPACE);
  if (j === text.length) return j; // \s++$
  for (let q = j - 1; q >= i; q--) {
    const d = text.charCodeAt(q);
    if (d === 13 || d === 10) return q + 1; // \s*[\r\n]
  }
  return spaceTail(text, i, j);
}

/** The hand-written scanner for a pattern, or undefined (then the regex is used). */
export function scannerFor(pattern: string): PieceScanner | undefined {
  if (pattern === GPT2_PATTERN || pattern === R50K_PATTERN) return scanGpt2;
  if (pattern === CL100K_PATTERN) return scanCl100k;
  return undefined;
}
