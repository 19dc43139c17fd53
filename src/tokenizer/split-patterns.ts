/**
 * Pre-tokenization: the split patterns that cut text into pieces before BPE merges,
 * and their translation into JavaScript regular expressions.
 *
 * The patterns below are stored exactly as tiktoken / Hugging Face write them (Rust
 * `fancy-regex` syntax). JavaScript's RegExp lacks three things they use, so
 * `toJsRegExp` rewrites them:
 * - possessive quantifiers (`?+`, `++`, `*+`, `{1,3}+`): dropped. In these patterns every
 *   possessive quantifier is followed either by the end of its alternative or by a token
 *   that the quantified class cannot match, so backtracking into it can never produce a
 *   different match; the fixtures in test/tokenizer/bpe-split.test.ts check this.
 * - scoped case-insensitivity `(?i:...)`: expanded, e.g. `(?i:'s)` -> `'[sS]`.
 * - `\s` / `\S`: Rust's `\s` is Unicode White_Space (includes U+0085, excludes U+FEFF)
 *   while JS's `\s` is not; both are replaced by explicit classes.
 *
 * @example
 * const re = toJsRegExp(CL100K_PATTERN);
 * 'Hello world!!'.match(re)   // ['Hello', ' world', '!!']
 */
import { LlmtsError } from '../util/errors.ts';

/** GPT-2 / r50k_base / p50k_base (as in HF's ByteLevel pre-tokenizer). */
export const GPT2_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/** r50k_base as written in current tiktoken (possessive form; same splits as GPT2_PATTERN). */
export const R50K_PATTERN = String.raw`'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`;

/** cl100k_base (tiktoken). */
export const CL100K_PATTERN = String.raw`'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`;

/** o200k_base (tiktoken). */
export const O200K_PATTERN = [
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
  String.raw`\p{N}{1,3}`,
  String.raw` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
  String.raw`\s*[\r\n]+`,
  String.raw`\s+(?!\S)`,
  String.raw`\s+`,
].join('|');

/** Named patterns accepted wherever a split pattern is asked for. */
export const SPLIT_PATTERNS: Readonly<Record<string, string>> = {
  gpt2: GPT2_PATTERN,
  r50k: R50K_PATTERN,
  cl100k: CL100K_PATTERN,
  o200k: O200K_PATTERN,
};

/** Unicode White_Space (what Rust's and Python's `\s` match), as class contents. */
const WHITE_SPACE = String.raw`\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;

/** Resolves a pattern name ('gpt2', 'cl100k', ...) or returns the pattern itself. */
export function resolvePattern(nameOrPattern: string): string {
  return SPLIT_PATTERNS[nameOrPattern] ?? nameOrPattern;
}

/** Adds the other case of every ASCII letter in a `(?i:...)` body. */
function caseFold(body: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\') {
      out += body.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += /[a-zA-Z]/.test(ch) ? ch + (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) : ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
    } else if (/[a-zA-Z]/.test(ch)) {
      out += `[${ch.toLowerCase()}${ch.toUpperCase()}]`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Index of the `)` closing the group whose body starts at `start`. */
function closingParen(p: string, start: number): number {
  let depth = 1;
  let inClass = false;
  for (let i = start; i < p.length; i++) {
    const ch = p[i];
    if (ch === '\\') i++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

/**
 * Rewrites a tiktoken / HF (Rust regex) split pattern into JavaScript regex source:
 * drops possessive `+`, expands `(?i:...)`, makes `\s`/`\S` Unicode White_Space.
 */
export function toJsPatternSource(pattern: string, possessiveOnly = false): string {
  let out = '';
  let inClass = false;
  let afterQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const esc = pattern[i + 1];
      if (possessiveOnly) out += ch + (esc ?? '');
      else if (esc === 'z' && !inClass) out += '$';
      else if (esc === 's') out += inClass ? WHITE_SPACE : `[${WHITE_SPACE}]`;
      else if (esc === 'S') {
        if (inClass) throw new LlmtsError('E_PATTERN', `\\S inside a character class is not supported: ${pattern}`, { hint: 'write the class with [^...] instead' });
        out += `[^${WHITE_SPACE}]`;
      } else if (esc === 'p' || esc === 'P') {
        const close = pattern.indexOf('}', i);
        out += pattern.slice(i, close + 1);
        i = close - 1;
      } else out += ch + (esc ?? '');
      i++;
      afterQuantifier = false;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '+' && afterQuantifier) {
      afterQuantifier = false; // possessive marker: dropped
      continue;
    }
    if (ch === '(' && pattern.startsWith('(?i:', i) && !possessiveOnly) {
      const close = closingParen(pattern, i + 4);
      if (close < 0) throw new LlmtsError('E_PATTERN', `unbalanced (?i: group in split pattern ${pattern}`);
      out += '(?:' + toJsPatternSource(caseFold(pattern.slice(i + 4, close))) + ')';
      i = close;
      afterQuantifier = false;
      continue;
    }
    if (ch === '[') inClass = true;
    if (ch === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i))) {
      const close = pattern.indexOf('}', i);
      out += pattern.slice(i, close + 1);
      i = close;
      afterQuantifier = true;
      continue;
    }
    const isQuant = (ch === '?' || ch === '*' || ch === '+') && !(ch === '?' && pattern[i - 1] === '(');
    out += ch;
    afterQuantifier = isQuant;
  }
  return out;
}

/** Replaces every `$` outside escapes and character classes by `by`. */
function replaceDollar(pattern: string, by: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      out += pattern.slice(i, i + 2);
      i++;
    } else if (inClass) {
      inClass = ch !== ']';
      out += ch;
    } else {
      if (ch === '[') inClass = true;
      out += ch === '$' ? by : ch;
    }
  }
  return out;
}

/**
 * The pattern as HF's regex engine (Oniguruma, Ruby syntax) must read it in a
 * tokenizer.json: no possessive quantifiers (Oniguruma reads `{1,3}+` as "one or more
 * repetitions of {1,3}") and `\z` for end of text (its `$` also matches before '\n').
 */
export function toOnigPattern(nameOrPattern: string): string {
  return replaceDollar(toJsPatternSource(resolvePattern(nameOrPattern), true), String.raw`\z`);
}

/** A split pattern read from a tokenizer.json (Oniguruma) in our Rust-style syntax: `$` -> end of line. */
export function fromOnigPattern(pattern: string): string {
  return replaceDollar(pattern, String.raw`(?![^\n])`);
}

/** Compiles a split pattern (name or Rust-syntax source) into a global Unicode JS RegExp. */
export function toJsRegExp(nameOrPattern: string): RegExp {
  const src = toJsPatternSource(resolvePattern(nameOrPattern));
  try {
    return new RegExp(src, 'gu');
  } catch (err) {
    throw new LlmtsError('E_PATTERN', `split pattern does not compile in JavaScript: ${nameOrPattern}`, {
      hint: 'use one of gpt2, r50k, cl100k, o200k or a pattern in JS-compatible syntax', cause: err,
    });
  }
}

/**
 * Cuts `text` into pre-tokenization pieces: calls `onPiece(start, end)` for each match,
 * in order. Text between matches (only possible for unusual patterns) is emitted as its
 * own piece so that no byte is ever lost.
 */
export function splitText(text: string, re: RegExp, onPiece: (start: number, end: number) => void): void {
  re.lastIndex = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) {
      re.lastIndex++;
      continue;
    }
    if (start > pos) onPiece(pos, start);
    onPiece(start, end);
    pos = end;
  }
  if (pos < text.length) onPiece(pos, text.length);
}
