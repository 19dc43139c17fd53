/**
 * Repetition rules of Gopher (Rae et al. 2021, table A1): documents whose lines,
 * paragraphs or word n-grams repeat too much are dropped. Fractions are of lines /
 * paragraphs, or of characters (of words, for n-grams; overlapping duplicates counted once).
 *
 * @example
 * checkRepetition('a\na\na\nb', normalizedWordHashes(...), DEFAULT_REPETITION);   // 'dup-lines'
 */
import { fmix32 } from '../hash.ts';
import type { WordHashes } from '../words.ts';

export interface RepetitionOptions {
  /** Max fraction of lines that duplicate an earlier line, and of characters in them. Gopher: 0.30, 0.20. */
  maxDupLineFrac: number;
  maxDupLineCharFrac: number;
  /** Same for paragraphs (split on blank lines). Gopher: 0.30, 0.20. */
  maxDupParaFrac: number;
  maxDupParaCharFrac: number;
  /** Max character fraction of the most frequent 2-, 3-, 4-gram. Gopher: 0.20, 0.18, 0.16. */
  maxTopNgramFrac: [number, number, number];
  /** Max character fraction covered by duplicated 5..10-grams. Gopher: 0.15 .. 0.10. */
  maxDupNgramFrac: [number, number, number, number, number, number];
}

export const DEFAULT_REPETITION: RepetitionOptions = {
  maxDupLineFrac: 0.3, maxDupLineCharFrac: 0.2, maxDupParaFrac: 0.3, maxDupParaCharFrac: 0.2,
  maxTopNgramFrac: [0.2, 0.18, 0.16], maxDupNgramFrac: [0.15, 0.14, 0.13, 0.12, 0.11, 0.1],
};

/** Fraction of units that repeat an earlier unit, and the fraction of characters in them. */
function dupFractions(units: string[]): { frac: number; charFrac: number } {
  const seen = new Set<string>();
  let dups = 0, dupChars = 0, chars = 0;
  for (const u of units) {
    chars += u.length;
    if (seen.has(u)) { dups++; dupChars += u.length; } else seen.add(u);
  }
  return { frac: units.length ? dups / units.length : 0, charFrac: chars ? dupChars / chars : 0 };
}

const BASE = 0x01000193;

/** Prefix hashes P[i] = sum_{k<i} h[k] * BASE^(i-1-k) (mod 2^32): an n-gram hash in O(1). */
function prefixHashes(hashes: Uint32Array, count: number): Int32Array {
  const p = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) p[i + 1] = (Math.imul(p[i]!, BASE) + hashes[i]!) | 0;
  return p;
}

function powBase(n: number): number {
  let r = 1;
  for (let k = 0; k < n; k++) r = Math.imul(r, BASE);
  return r;
}

/** Hash of the n-gram starting at i (pn = BASE^n). */
function gramHash(p: Int32Array, i: number, n: number, pn: number): number {
  return fmix32((p[i + n]! - Math.imul(p[i]!, pn)) ^ n) | 0;
}

/**
 * Counts int32 keys in open-addressing typed arrays, reused across n-gram sizes
 * (a Map costs several times more per operation on millions of n-grams).
 */
class IntCounter {
  private keys: Int32Array;
  private counts: Int32Array;
  private mask: number;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keys = new Int32Array(cap);
    this.counts = new Int32Array(cap);
    this.mask = cap - 1;
  }

  clear(): void {
    this.counts.fill(0);
  }

  /** Adds one to `key`'s count and returns the new count (keys are already well-mixed hashes). */
  add(key: number): number {
    let i = key & this.mask;
    while (this.counts[i] !== 0 && this.keys[i] !== key) i = (i + 1) & this.mask;
    this.keys[i] = key;
    return ++this.counts[i]!;
  }

  get(key: number): number {
    let i = key & this.mask;
    while (this.counts[i] !== 0) {
      if (this.keys[i] === key) return this.counts[i]!;
      i = (i + 1) & this.mask;
    }
    return 0;
  }
}

/** The drop reason of the repetition rules, or null. */
export function checkRepetition(text: string, words: WordHashes, o: RepetitionOptions): string | null {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const dl = dupFractions(lines);
  if (dl.frac > o.maxDupLineFrac || dl.charFrac > o.maxDupLineCharFrac) return 'dup-lines';
  if (text.includes('\n\n') || /\n[ \t]+\n/.test(text)) { // one paragraph cannot repeat
    const paras = text.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p !== '');
    const dp = dupFractions(paras);
    if (dp.frac > o.maxDupParaFrac || dp.charFrac > o.maxDupParaCharFrac) return 'dup-paragraphs';
  }

  const { count, hashes, lengths } = words;
  let total = 0;
  for (let i = 0; i < count; i++) total += lengths[i]!;
  if (total === 0) return null;
  const counts = new IntCounter(count);
  const p = prefixHashes(hashes, count);
  for (let n = 2; n <= 4; n++) {
    if (count < n) break;
    counts.clear();
    const pn = powBase(n);
    let best = 0, bestAt = 0;
    for (let i = 0; i + n <= count; i++) {
      const c = counts.add(gramHash(p, i, n, pn));
      if (c > best) { best = c; bestAt = i; }
    }
    if (best > 1) {
      let len = 0;
      for (let k = 0; k < n; k++) len += lengths[bestAt + k]!;
      if ((len * best) / total > o.maxTopNgramFrac[n - 2]!) return 'top-ngram';
    }
  }
  const covered = new Uint8Array(count);
  for (let n = 5; n <= 10; n++) {
    if (count < n) break;
    counts.clear();
    const pn = powBase(n);
    const grams = new Int32Array(count - n + 1);
    let anyDup = false;
    for (let i = 0; i + n <= count; i++) {
      const h = gramHash(p, i, n, pn);
      grams[i] = h;
      if (counts.add(h) > 1) anyDup = true;
    }
    if (!anyDup) break; // no repeated n-gram: none of a larger n repeats either
    covered.fill(0);
    for (let i = 0; i + n <= count; i++) if (counts.get(grams[i]!) > 1) covered.fill(1, i, i + n);
    let dupChars = 0;
    for (let i = 0; i < count; i++) if (covered[i]) dupChars += lengths[i]!;
    const frac = dupChars / total;
    if (frac > o.maxDupNgramFrac[n - 5]!) return 'dup-ngrams';
    // Words covered by repeated (n+1)-grams are covered by repeated n-grams too, so the
    // fraction can only fall as n grows: below every remaining limit, nothing can fail.
    if (frac <= Math.min(...o.maxDupNgramFrac.slice(n - 4))) break;
  }
  return null;
}
