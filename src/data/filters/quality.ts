/**
 * Document-level quality rules (after Gopher, Rae et al. 2021, appendix A): length
 * bounds, mean word length, alphabetic / symbol / digit ratios, bullet and ellipsis lines.
 * Each check returns the drop reason or null.
 *
 * @example
 * checkRatios(tokenStats(text), text, DEFAULT_QUALITY);   // null, or e.g. 'mean-word-length'
 */

import type { TokenStats } from '../words.ts';

export interface QualityOptions {
  /** Document length bounds in words (whitespace-separated). Gopher: 50..100,000. */
  minWords: number;
  maxWords: number;
  /** Mean word length bounds in characters. Gopher: 3..10. */
  minMeanWordLength: number;
  maxMeanWordLength: number;
  /** Minimum fraction of words that contain at least one letter. Gopher: 0.8. */
  minAlphaWords: number;
  /** Maximum ratio of symbols ('#', '...', '…') to words. Gopher: 0.1. */
  maxSymbolRatio: number;
  /** Maximum fraction of non-space characters that are ASCII digits. Default 0.25. */
  maxDigitRatio: number;
  /** Maximum fraction of lines starting with a bullet. Gopher: 0.9. */
  maxBulletLines: number;
  /** Maximum fraction of lines ending with an ellipsis. Gopher: 0.3. */
  maxEllipsisLines: number;
}

export const DEFAULT_QUALITY: QualityOptions = {
  minWords: 50, maxWords: 100_000, minMeanWordLength: 3, maxMeanWordLength: 10, minAlphaWords: 0.8,
  maxSymbolRatio: 0.1, maxDigitRatio: 0.25, maxBulletLines: 0.9, maxEllipsisLines: 0.3,
};

/** Drop reasons of the length filter. */
export function checkLength(words: TokenStats, o: QualityOptions): string | null {
  if (words.count < o.minWords) return 'too-short';
  if (words.count > o.maxWords) return 'too-long';
  return null;
}

const BULLET = /^\s*[•●○◦▪▫■□‣⁃∙*·-]\s/u;
const BULLET_ANYWHERE = /(?:^|\n)[ \t]*[•●○◦▪▫■□‣⁃∙*·-][ \t]/;

/** Drop reasons of the ratio rules: word length, letters, symbols, digits, bullets, ellipses. */
export function checkRatios(words: TokenStats, text: string, o: QualityOptions): string | null {
  const n = words.count;
  if (n === 0) return 'no-words';
  const alpha = words.alpha;
  let symbols = 0;
  const mean = words.chars / n;
  if (mean < o.minMeanWordLength || mean > o.maxMeanWordLength) return 'mean-word-length';
  if (alpha / n < o.minAlphaWords) return 'alpha-ratio';
  for (let i = text.indexOf('#'); i >= 0; i = text.indexOf('#', i + 1)) symbols++;
  for (let i = text.indexOf('...'); i >= 0; i = text.indexOf('...', i + 3)) symbols++;
  for (let i = text.indexOf('…'); i >= 0; i = text.indexOf('…', i + 1)) symbols++;
  if (symbols / n > o.maxSymbolRatio) return 'symbol-ratio';
  // Digits among the non-space characters (the token characters).
  if (words.chars > 0 && words.digits / words.chars > o.maxDigitRatio) return 'digit-ratio';
  // Bullet and ellipsis lines: split into lines only when the text has a candidate.
  const maybeBullets = BULLET_ANYWHERE.test(text);
  const maybeEllipses = symbols > 0;
  if (maybeBullets || maybeEllipses) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    let bullets = 0, ellipses = 0;
    for (const l of lines) {
      if (maybeBullets && BULLET.test(l)) bullets++;
      const t = l.trimEnd();
      if (t.endsWith('...') || t.endsWith('…')) ellipses++;
    }
    if (lines.length > 0 && bullets / lines.length > o.maxBulletLines) return 'bullet-lines';
    if (lines.length > 0 && ellipses / lines.length > o.maxEllipsisLines) return 'ellipsis-lines';
  }
  return null;
}
