/** Split patterns: the Rust -> JavaScript rewrite (possessive quantifiers, (?i:), \s, $). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CL100K_PATTERN, GPT2_PATTERN, O200K_PATTERN, R50K_PATTERN, fromOnigPattern, splitText, toJsPatternSource, toJsRegExp, toOnigPattern } from '../../src/tokenizer/split-patterns.ts';
import { scanCl100k, scanGpt2, type PieceScanner } from '../../src/tokenizer/split-scanners.ts';
import { Rng } from '../../src/util/rng.ts';
import { corpusSample, readLlamaCppGpt2, readTestPlans } from './bpe-helpers.ts';

function pieces(text: string, pattern: string): string[] {
  const out: string[] = [];
  splitText(text, toJsRegExp(pattern), (s, e) => out.push(text.slice(s, e)));
  return out;
}

const texts = [corpusSample(30_000), ...readLlamaCppGpt2().map((c) => c.text), ...readTestPlans().map((c) => c.sample), 'a  \n', '  ', 'x\u0085\u0085y', '\ufeff a'];

test('possessive quantifiers and (?i:) are rewritten; \\s becomes Unicode White_Space', () => {
  const js = toJsPatternSource(CL100K_PATTERN);
  assert.ok(!/\+\+|\?\+|\*\+|\}\+/.test(js.replace(/\\p\{[^}]*\}/g, 'P').replace(/\\./g, '')), js);
  assert.ok(js.includes(`'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])`), js);
  assert.ok(js.includes('\\x85') && !js.includes('\\s'), js);
  assert.deepEqual(pieces("I'LL 'Ve", 'cl100k'), ['I', "'LL", " '", 'Ve']);
  assert.deepEqual(pieces("I'LL", 'gpt2'), ['I', "'", 'LL']); // GPT-2's contractions are case-sensitive
  // U+0085 is whitespace for tiktoken (Rust \s) but not for JS \s; U+FEFF the other way round.
  assert.deepEqual(pieces('a\u0085b', 'gpt2'), ['a', '\u0085', 'b']);
  assert.deepEqual(pieces('a \ufeffb', 'gpt2'), ['a', ' \ufeff', 'b']);
});

test('r50k possessive pattern splits exactly as the original GPT-2 pattern on all fixtures', () => {
  for (const t of texts) assert.deepEqual(pieces(t, R50K_PATTERN), pieces(t, GPT2_PATTERN));
});

test('splits cover the text exactly (no byte lost or repeated) for every pattern', () => {
  for (const p of [GPT2_PATTERN, CL100K_PATTERN, O200K_PATTERN]) {
    for (const t of texts) assert.equal(pieces(t, p).join(''), t);
  }
  assert.deepEqual(pieces('12345', 'cl100k'), ['123', '45']);
  assert.deepEqual(pieces('ab  \n\n  ', 'cl100k'), ['ab', '  \n\n  ']);
  assert.deepEqual(pieces('ab  \n\n  c', 'cl100k'), ['ab', '  \n\n', ' ', ' c']);
});

test('tokenizer.json (Oniguruma) dialect: no possessive, \\z for end of text, and back', () => {
  const onig = toOnigPattern('cl100k');
  assert.ok(onig.includes('\\p{N}{1,3}|') && onig.includes('\\s+\\z'), onig);
  const back = fromOnigPattern(onig);
  for (const t of texts) assert.deepEqual(pieces(t, back), pieces(t, CL100K_PATTERN));
  // An HF pattern's `$` means end of line.
  assert.deepEqual(pieces('a  \nb', fromOnigPattern(String.raw`\s+$|\S+|\s`)), ['a', '  ', '\n', 'b']);
});

function scanned(text: string, scan: PieceScanner): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const e = scan(text, i);
    assert.ok(e > i, `scanner made no progress at ${i}`);
    out.push(text.slice(i, e));
    i = e;
  }
  return out;
}

test('hand-written scanners give exactly the regex pieces (fixtures + 3000 random strings)', () => {
  // An alphabet that exercises every branch: contractions, \r\n, White_Space oddities,
  // digits of several scripts, letters outside the BMP, combining marks, lone surrogates.
  const alphabet = ["'", 's', 'S', 'l', 'L', 'v', 'e', 'r', 'R', 'd', 't', 'm', 'a', 'Z', ' ', ' ', '  ', '\n', '\r', '\t', '\u000b', '\u0085', '\u00a0',
    '\u2003', '\u3000', '\ufeff', '1', '٣', '²', '!', '.', ',', '-', '(', '—', 'é', 'ß', '你', '好', 'ё', '\u0301', '🦙', '𝐀', '😶‍🌫️', '\ud800', '\udfff', '/', '$'];
  const rng = new Rng(7);
  const random: string[] = [];
  for (let n = 0; n < 3000; n++) {
    let s = '';
    const len = rng.int(24);
    for (let i = 0; i < len; i++) s += alphabet[rng.int(alphabet.length)]!;
    random.push(s);
  }
  for (const t of [...texts, ...random]) {
    assert.deepEqual(scanned(t, scanGpt2), pieces(t, GPT2_PATTERN), `gpt2 ${JSON.stringify(t)}`);
    assert.deepEqual(scanned(t, scanCl100k), pieces(t, CL100K_PATTERN), `cl100k ${JSON.stringify(t)}`);
  }
});

test('a Llama-3 style tokenizer.json pattern ((?i:) contractions, no possessives) converts and splits', () => {
  const llama3 = fromOnigPattern(String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`);
  assert.deepEqual(pieces("I'M 12345 hi!!\n\n  x", llama3), ['I', "'M", ' ', '123', '45', ' hi', '!!\n\n', ' ', ' x']);
});
