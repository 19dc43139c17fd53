/**
 * Word-list profanity filter. Entries are words or phrases of up to three words,
 * matched on the normalised word hashes of the document (words.ts: lower case,
 * punctuation ignored). The default list is data/wordlists/profanity/en.txt (LDNOOBW, CC BY 4.0),
 * replaceable with any one-entry-per-line file.
 *
 * @example
 * const p = new ProfanityList(['darn', 'heck no']);
 * p.count(normalizedWordHashes('Well, heck no, darn!'));   // 2
 */
import { entryHashes, type WordHashes } from '../words.ts';

export class ProfanityList {
  /** Hashes of the one-word entries. */
  private readonly single = new Set<number>();
  /** First-word hash of a multi-word entry -> the hashes of the following words, per entry. */
  private readonly phrases = new Map<number, number[][]>();
  readonly size: number;

  constructor(entries: string[]) {
    const seen = new Set<string>();
    for (const e of entries) {
      const h = entryHashes(e);
      if (h.length === 0 || h.length > 3 || seen.has(h.join(','))) continue;
      seen.add(h.join(','));
      if (h.length === 1) this.single.add(h[0]! | 0);
      else {
        const list = this.phrases.get(h[0]! | 0) ?? [];
        list.push(h.slice(1).map((x) => x | 0));
        this.phrases.set(h[0]! | 0, list);
      }
    }
    this.size = seen.size;
  }

  /** Number of list entries found in the document's words (each phrase occurrence counts once). */
  count(words: WordHashes): number {
    if (this.size === 0) return 0;
    const { hashes, count } = words;
    let hits = 0;
    for (let i = 0; i < count; i++) {
      const h = hashes[i]! | 0;
      if (this.single.has(h)) hits++;
      const rest = this.phrases.get(h);
      if (rest === undefined) continue;
      for (const r of rest) {
        let k = 0;
        while (k < r.length && i + 1 + k < count && (hashes[i + 1 + k]! | 0) === r[k]) k++;
        if (k === r.length) hits++;
      }
    }
    return hits;
  }
}

/** Reads a word list: one entry per line, blank lines and lines starting with '#' skipped. */
export function parseWordList(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
