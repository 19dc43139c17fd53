/**
 * Word-list profanity filter. Entries are words or phrases of up to three words,
 * matched on the normalised word hashes of the document (words.ts: lower case,
 * punctuation ignored), a phrase only where no punctuation stands between its words
 * ("a big, black dog" does not match "big black"). The default list is data/wordlists/profanity/en.txt (LDNOOBW, CC BY 4.0),
 * replaceable with any one-entry-per-line file.
 *
 * @example
 * const p = new ProfanityList(['darn', 'heck no']);
 * p.count(normalizedWordHashes('Well, heck no, darn!'));   // 2
 * p.count(normalizedWordHashes('Heck, no.'));              // 0
 */
import { IntMap } from '../int-map.ts';
import { entryHashes, wordBreakAfter, wordEnds, type WordHashes } from '../words.ts';

export class ProfanityList {
  /** Word hash -> bit 0: a one-word entry; bits 1..: 1 + index in `rests` of its phrases. */
  private readonly index: IntMap;
  /** Per phrase-starting word: the hashes of the following words of each entry. */
  private readonly rests: number[][][] = [];
  readonly size: number;

  constructor(entries: string[]) {
    const seen = new Set<string>();
    const single = new Set<number>();
    const phrases = new Map<number, number[][]>();
    for (const e of entries) {
      const h = entryHashes(e);
      if (h.length === 0 || h.length > 3 || seen.has(h.join(','))) continue;
      seen.add(h.join(','));
      if (h.length === 1) single.add(h[0]! | 0);
      else {
        const list = phrases.get(h[0]! | 0) ?? [];
        list.push(h.slice(1).map((x) => x | 0));
        phrases.set(h[0]! | 0, list);
      }
    }
    const keys = new Map<number, number>();
    for (const h of single) keys.set(h, 1);
    for (const [h, list] of phrases) {
      keys.set(h, (keys.get(h) ?? 0) | ((this.rests.length + 1) << 1));
      this.rests.push(list);
    }
    this.index = new IntMap(keys);
    this.size = seen.size;
  }

  /** Number of list entries found in the document's words (each phrase occurrence counts once; phrases do not match across punctuation). */
  count(words: WordHashes): number {
    if (this.size === 0) return 0;
    const { hashes, count } = words;
    let ends: Uint32Array | null = null; // word positions, found on the first phrase match only
    let hits = 0;
    for (let i = 0; i < count; i++) {
      const v = this.index.get(hashes[i]!);
      if (v <= 0) continue;
      if (v & 1) hits++;
      if (v < 2) continue;
      for (const r of this.rests[(v >> 1) - 1]!) {
        let k = 0;
        while (k < r.length && i + 1 + k < count && (hashes[i + 1 + k]! | 0) === r[k]) k++;
        if (k < r.length) continue;
        ends ??= wordEnds(words.text);
        let broken = false;
        for (let g = 0; g < r.length && !broken; g++) broken = wordBreakAfter(words.text, ends, i + g);
        if (!broken) hits++;
      }
    }
    return hits;
  }
}

/** Reads a word list: one entry per line, blank lines and lines starting with '#' skipped. */
export function parseWordList(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
