/**
 * Word-list profanity filter. Entries are words or phrases of up to three words,
 * matched against the lower-cased words of the document (punctuation at word ends
 * ignored). The default list is data/wordlists/profanity/en.txt (LDNOOBW, CC BY 4.0),
 * replaceable with any one-entry-per-line file.
 *
 * @example
 * const p = new ProfanityList(['darn', 'heck no']);
 * p.count(['Well', 'heck', 'no,', 'darn!']);   // 2
 */

export class ProfanityList {
  private readonly entries: Set<string>;
  private readonly maxWords: number;

  constructor(entries: string[]) {
    this.entries = new Set();
    let maxWords = 1;
    for (const e of entries) {
      const norm = e.trim().toLowerCase().split(/\s+/).filter(Boolean);
      if (norm.length === 0 || norm.length > 3) continue;
      this.entries.add(norm.join(' '));
      maxWords = Math.max(maxWords, norm.length);
    }
    this.maxWords = maxWords;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Number of list entries found in `words` (phrases count once per occurrence). */
  count(words: string[]): number {
    if (this.entries.size === 0) return 0;
    const norm = words.map((w) => w.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''));
    let hits = 0;
    for (let i = 0; i < norm.length; i++) {
      let phrase = '';
      for (let k = 0; k < this.maxWords && i + k < norm.length; k++) {
        phrase = k === 0 ? norm[i]! : `${phrase} ${norm[i + k]!}`;
        if (this.entries.has(phrase)) hits++;
      }
    }
    return hits;
  }
}

/** Reads a word list: one entry per line, blank lines and lines starting with '#' skipped. */
export function parseWordList(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
