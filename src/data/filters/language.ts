/**
 * Language identification by script and stop-words. The dominant script of the letters
 * decides non-Latin languages directly (Cyrillic, Greek, Arabic, Hebrew, Devanagari,
 * Thai, Hangul -> ko, kana -> ja, Han -> zh); Latin-script text is given the language
 * whose stop-word list covers most of its words (lists in data/wordlists/stopwords/).
 *
 * @example
 * const id = new LanguageId(loadStopwords(['en', 'fr']));
 * id.detect('The cat sat on the mat and it was happy with that.');   // { lang: 'en', score: 0.6 }
 */
import { IntMap } from '../int-map.ts';
import { entryHashes, normalizedWordHashes, type WordHashes } from '../words.ts';

// eslint-disable-next-line no-control-regex -- any code unit above ASCII
const NON_ASCII = /[^\u0000-\u007f]/;

const SCRIPTS = ['latin', 'greek', 'cyrillic', 'hebrew', 'arabic', 'devanagari', 'thai', 'kana', 'hangul', 'han'] as const;

/** Index in SCRIPTS of a non-ASCII code unit's script (letters only), or -1. */
function scriptOf(c: number): number {
  if (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) return 0;
  if (c >= 0x1e00 && c <= 0x1eff) return 0;
  if (c >= 0x370 && c <= 0x3ff) return 1;
  if (c >= 0x400 && c <= 0x52f) return 2;
  if (c >= 0x590 && c <= 0x5ff) return 3;
  if (c >= 0x600 && c <= 0x6ff) return 4;
  if (c >= 0x900 && c <= 0x97f) return 5;
  if (c >= 0xe00 && c <= 0xe7f) return 6;
  if (c >= 0x3040 && c <= 0x30ff) return 7;
  if (c >= 0xac00 && c <= 0xd7af) return 8;
  if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf)) return 9;
  return -1;
}

const SCRIPT_LANG: Record<string, string> = {
  greek: 'el', cyrillic: 'ru', hebrew: 'he', arabic: 'ar', devanagari: 'hi', thai: 'th', kana: 'ja', hangul: 'ko', han: 'zh',
};

export interface LanguageGuess {
  /** ISO 639-1 code, or 'unknown' (no letters, or Latin text that matches no stop-word list). */
  lang: string;
  /** Latin text: fraction of words in the winning stop-word list; other scripts: the script's share of letters. */
  score: number;
}

export class LanguageId {
  private readonly langs: string[];
  /** Stop-word hash -> bit k set when it is in the list of langs[k] (one lookup per word for all lists). */
  private readonly masks: IntMap;

  /** `stopwords`: language code -> its stop-words (lower case); at most 31 languages. */
  constructor(stopwords: Record<string, string[]>, readonly minScore = 0.1) {
    this.langs = Object.keys(stopwords).sort().slice(0, 31);
    const masks = new Map<number, number>();
    this.langs.forEach((l, k) => {
      for (const w of stopwords[l]!) {
        const h = entryHashes(w);
        if (h.length === 1) masks.set(h[0]! | 0, (masks.get(h[0]! | 0) ?? 0) | (1 << k));
      }
    });
    this.masks = new IntMap(masks);
  }

  /**
   * Guesses the language of `text` (looks at the first 20,000 characters). `words`: its
   * `normalizedWordHashes`, when the caller has them.
   */
  detect(text: string, words?: WordHashes): LanguageGuess {
    const sample = text.length > 20_000 ? text.slice(0, 20_000) : text;
    const counts = new Array<number>(SCRIPTS.length).fill(0);
    let letters = 0;
    // Pure ASCII (most English text): Latin script, no character loop needed.
    const ascii = !NON_ASCII.test(sample);
    for (let i = 0; !ascii && i < sample.length; i++) {
      const c = sample.charCodeAt(i);
      if (c < 128) {
        if ((c | 0x20) >= 97 && (c | 0x20) <= 122) { counts[0]!++; letters++; }
        continue;
      }
      const k = scriptOf(c);
      if (k >= 0) { counts[k]!++; letters++; }
    }
    if (ascii) { letters = 1; counts[0] = 1; }
    if (letters === 0) return { lang: 'unknown', score: 0 };
    let best = 0;
    for (let k = 1; k < SCRIPTS.length; k++) if (counts[k]! > counts[best]!) best = k;
    let script: string = SCRIPTS[best]!;
    // Japanese text mixes kana and Han: any real share of kana means Japanese.
    if (script === 'han' && counts[7]! > 0.1 * letters) script = 'kana';
    if (script !== 'latin') return { lang: SCRIPT_LANG[script]!, score: counts[best]! / letters };
    const hashes = (words ?? normalizedWordHashes(sample)).hashes;
    const n = Math.min(hashes.length, 3000);
    const hits = new Array<number>(this.langs.length).fill(0);
    for (let i = 0; i < n; i++) {
      const mask = this.masks.get(hashes[i]!);
      if (mask <= 0) continue;
      for (let k = 0; k < this.langs.length; k++) if (mask & (1 << k)) hits[k]!++;
    }
    if (n === 0) return { lang: 'unknown', score: 0 };
    let lang = 'unknown', score = 0;
    for (let k = 0; k < this.langs.length; k++) {
      const s = hits[k]! / n;
      if (s > score) { score = s; lang = this.langs[k]!; }
    }
    return score >= this.minScore ? { lang, score } : { lang: 'unknown', score };
  }
}
