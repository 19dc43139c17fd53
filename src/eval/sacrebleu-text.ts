/**
 * Text handling shared by BLEU and chrF, as sacreBLEU 2.6 (Python) does it:
 * - `pySplit` / `pyRstrip`: Python's `str.split()` / `str.rstrip()`, whose whitespace is
 *   wider than JavaScript's `\s` (it includes U+001C..U+001F and U+0085, but not U+FEFF);
 * - `codePoints`: a string as Python indexes it (one entry per code point, so an emoji
 *   is one character, as in chrF's character n-grams);
 * - `tokenize13a`: sacreBLEU's default BLEU tokeniser, mteval-v13a's rules.
 *
 * @example
 * tokenize13a('Il a payé 3.50 euros, (environ).') // 'Il a payé 3.50 euros , ( environ ) .'
 * pySplit('a\u00a0b\x1cc') // ['a', 'b', 'c']
 */

/** Python's whitespace for `str.split()` / `str.strip()` (Unicode White_Space less U+180E, plus U+001C..U+001F). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, 'u');
const PY_TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`, 'u');

/** Python `s.split()`: the words between runs of whitespace, none empty. */
export function pySplit(s: string): string[] {
  return s.split(PY_SPACE_RUN).filter((w) => w.length > 0);
}

/** Python `s.rstrip()`: `s` without trailing whitespace. */
export function pyRstrip(s: string): string {
  return s.replace(PY_TRAILING_SPACE, '');
}

/** The code points of `s` (Python's characters). */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/**
 * mteval-v13a's language-dependent rules (sacreBLEU's TokenizerRegexp): ASCII symbols get
 * spaces around them; '.' and ',' are split off unless both neighbours are digits; '-'
 * after a digit is split off.
 */
const RULES_13A: [RegExp, string][] = [
  // { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
  [/([{-~[-` -&(-+:-@/])/gu, ' $1 '],
  [/([^0-9])([.,])/gu, '$1 $2 '],
  [/([.,])([^0-9])/gu, ' $1 $2'],
  [/([0-9])(-)/gu, '$1 $2 '],
];

/**
 * sacreBLEU's `13a` tokenisation of one segment (BLEU's default): drops `<skipped>`,
 * joins `-\n`, turns newlines into spaces, unescapes `&quot; &amp; &lt; &gt;`, applies the
 * v13a rules and leaves single spaces between tokens.
 * @example tokenize13a('Tom &amp; Marie.') // 'Tom & Marie .'
 */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) {
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  s = ` ${s} `;
  for (const [re, repl] of RULES_13A) s = s.replace(re, repl);
  return pySplit(s).join(' ');
}
