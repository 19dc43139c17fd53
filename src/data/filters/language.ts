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

/** Script of a code point (letters only; null for anything else). */
function scriptOf(c: number): string | null {
  if (c < 0x80) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 'latin' : null;
  if (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) return 'latin';
  if (c >= 0x1e00 && c <= 0x1eff) return 'latin';
  if (c >= 0x370 && c <= 0x3ff) return 'greek';
  if (c >= 0x400 && c <= 0x52f) return 'cyrillic';
  if (c >= 0x590 && c <= 0x5ff) return 'hebrew';
  if (c >= 0x600 && c <= 0x6ff) return 'arabic';
  if (c >= 0x900 && c <= 0x97f) return 'devanagari';
  if (c >= 0xe00 && c <= 0xe7f) return 'thai';
  if (c >= 0x3040 && c <= 0x30ff) return 'kana';
  if (c >= 0xac00 && c <= 0xd7af) return 'hangul';
  if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf)) return 'han';
  return null;
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
  private readonly lists: [string, Set<string>][];

  /** `stopwords`: language code -> its stop-words (lower case). */
  constructor(stopwords: Record<string, string[]>, readonly minScore = 0.1) {
    this.lists = Object.entries(stopwords).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([l, ws]) => [l, new Set(ws)]);
  }

  /** Guesses the language of `text` (looks at the first 20,000 characters). */
  detect(text: string, words?: string[]): LanguageGuess {
    const sample = text.length > 20_000 ? text.slice(0, 20_000) : text;
    const counts = new Map<string, number>();
    let letters = 0;
    for (let i = 0; i < sample.length; i++) {
      const s = scriptOf(sample.charCodeAt(i));
      if (s === null) continue;
      letters++;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    if (letters === 0) return { lang: 'unknown', score: 0 };
    let script = 'latin', best = -1;
    for (const [s, c] of counts) if (c > best || (c === best && s < script)) { script = s; best = c; }
    // Japanese text mixes kana and Han: any real share of kana means Japanese.
    if (script === 'han' && (counts.get('kana') ?? 0) > 0.1 * letters) script = 'kana';
    if (script !== 'latin') return { lang: SCRIPT_LANG[script]!, score: best / letters };
    const toks = (words ?? sample.split(/\s+/)).slice(0, 3000);
    let n = 0;
    const hits = new Array<number>(this.lists.length).fill(0);
    for (const t of toks) {
      const w = t.toLowerCase().replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
      if (w === '') continue;
      n++;
      for (let k = 0; k < this.lists.length; k++) if (this.lists[k]![1].has(w)) hits[k]!++;
    }
    if (n === 0) return { lang: 'unknown', score: 0 };
    let lang = 'unknown', score = 0;
    for (let k = 0; k < this.lists.length; k++) {
      const s = hits[k]! / n;
      if (s > score) { score = s; lang = this.lists[k]![0]; }
    }
    return score >= this.minScore ? { lang, score } : { lang: 'unknown', score };
  }
}
