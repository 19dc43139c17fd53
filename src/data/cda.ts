/**
 * Two-sided counterfactual data augmentation (CDA; Lu et al. 2018, "Gender Bias in Neural
 * Natural Language Processing"; Zmigrod et al. 2019): a copy of a text with every gendered
 * word swapped for its counterpart, added beside the original so the corpus holds both.
 * - One pass over the words (letters, apostrophes inside a word split it: "he's" is "he" +
 *   "'s"), so no word is swapped twice ("he" -> "she" is never swapped back).
 * - Case is kept: "He" -> "She", "HE" -> "SHE", "he" -> "she".
 * - Both directions from one list of pairs (`GENDER_PAIRS`); a word with two possible
 *   counterparts takes one by a rule: "her" -> "him" when the next word is a function word
 *   (a, the, to, and, ... see `OBJECT_NEXT`) or nothing follows but punctuation / the
 *   end, else "his" ("her dog" -> "his dog", "gave her a hug" -> "gave him a hug",
 *   "saw her." -> "saw him."); "his" -> "her", "hers" -> "his".
 * - Optionally first names too (`names`): line i of data/bias/male-first-names.txt with
 *   line i of female-first-names.txt (capitalised names only).
 *
 * @example
 * counterfactual('He gave her his book.').text; // 'She gave him her book.'
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** data/bias/ of this package (two folders up from src/data or dist/data). */
export const BIAS_DIR = fileURLToPath(new URL('../../data/bias/', import.meta.url));

/** Male word, female word: each swapped for the other (lower case; case is kept when swapping). */
export const GENDER_PAIRS: readonly (readonly [string, string])[] = [
  ['he', 'she'], ['him', 'her'], ['his', 'her'], ['himself', 'herself'], ['hers', 'his'],
  ['man', 'woman'], ['men', 'women'], ['boy', 'girl'], ['boys', 'girls'], ['male', 'female'], ['males', 'females'],
  ['king', 'queen'], ['kings', 'queens'], ['prince', 'princess'], ['princes', 'princesses'],
  ['father', 'mother'], ['fathers', 'mothers'], ['dad', 'mom'], ['dads', 'moms'], ['daddy', 'mommy'],
  ['papa', 'mama'], ['grandpa', 'grandma'], ['grandfather', 'grandmother'], ['grandfathers', 'grandmothers'],
  ['son', 'daughter'], ['sons', 'daughters'], ['brother', 'sister'], ['brothers', 'sisters'],
  ['husband', 'wife'], ['husbands', 'wives'], ['uncle', 'aunt'], ['uncles', 'aunts'],
  ['nephew', 'niece'], ['nephews', 'nieces'], ['grandson', 'granddaughter'], ['grandsons', 'granddaughters'],
  ['gentleman', 'lady'], ['gentlemen', 'ladies'], ['mr', 'mrs'], ['sir', 'madam'],
  ['actor', 'actress'], ['actors', 'actresses'], ['waiter', 'waitress'], ['waiters', 'waitresses'],
  ['boyfriend', 'girlfriend'], ['boyfriends', 'girlfriends'], ['groom', 'bride'], ['grooms', 'brides'],
];

/**
 * The words after which "her" is an object ("him"), not a possessive ("his"): articles,
 * prepositions, conjunctions, particles and adverbs that cannot follow a possessive.
 */
export const OBJECT_NEXT: ReadonlySet<string> = new Set([
  'a', 'an', 'the', 'to', 'and', 'or', 'but', 'in', 'on', 'at', 'with', 'for', 'from', 'of', 'by', 'about', 'into',
  'up', 'down', 'out', 'off', 'away', 'back', 'over', 'again', 'too', 'so', 'very', 'that', 'this', 'if', 'when',
  'because', 'as', 'then', 'now', 'all', 'what', 'how', 'why', 'where', 'some', 'any', 'something', 'anything',
  'home', 'around', 'before', 'after', 'until', 'while', 'no', 'not', 'is', 'was', 'be', 'feel', 'go', 'come', 'see',
]);

/** Options of `counterfactual`. */
export interface CdaOptions {
  /** Swap first names too (data/bias/*-first-names.txt, by line). Default false. */
  names?: boolean;
}

/** A counterfactual copy and the number of words swapped in it. */
export interface CdaResult {
  text: string;
  swaps: number;
}

let nameMap: Map<string, string> | null = null;

/** The bundled first names, male and female, paired by line; see data/bias/SOURCE.txt. */
export function loadFirstNames(): { male: string[]; female: string[] } {
  const read = (f: string): string[] => readFileSync(`${BIAS_DIR}${f}`, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return { male: read('male-first-names.txt'), female: read('female-first-names.txt') };
}

function names(): Map<string, string> {
  if (!nameMap) {
    const { male, female } = loadFirstNames();
    nameMap = new Map();
    const n = Math.min(male.length, female.length);
    for (let i = 0; i < n; i++) {
      nameMap.set(male[i]!, female[i]!);
      nameMap.set(female[i]!, male[i]!);
    }
  }
  return nameMap;
}

/** Lower-case word -> its counterpart; "her" is left out (two counterparts: see the module comment). */
const SWAP: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [male, female] of GENDER_PAIRS) {
    if (!m.has(male)) m.set(male, female);
    if (female !== 'her' && !m.has(female)) m.set(female, male);
  }
  return m;
})();

/** `to` written in the case pattern of `from`: all capitals, first capital, or lower case. */
export function matchCase(from: string, to: string): string {
  if (from.length > 1 && from === from.toUpperCase()) return to.toUpperCase();
  if (from[0] === from[0]!.toUpperCase()) return to[0]!.toUpperCase() + to.slice(1);
  return to;
}

const WORD = /[A-Za-z]+/g;

/** The counterfactual copy of `text`; see the module comment. */
export function counterfactual(text: string, opts: CdaOptions = {}): CdaResult {
  let swaps = 0;
  const byName = opts.names ? names() : null;
  const out = text.replace(WORD, (word: string, at: number) => {
    const lower = word.toLowerCase();
    let to: string | undefined;
    if (lower === 'her') {
      const next = /^[^A-Za-z]*?([A-Za-z]+)/.exec(text.slice(at + word.length, at + word.length + 40));
      const between = next ? text.slice(at + word.length, at + word.length + next.index + next[0].length - next[1]!.length) : '';
      // a sentence mark or a comma between "her" and the next word ends the phrase: an object
      const objectRole = !next || /[.,;:!?"]/.test(between) || OBJECT_NEXT.has(next[1]!.toLowerCase());
      to = objectRole ? 'him' : 'his';
    } else {
      to = SWAP.get(lower);
    }
    if (to !== undefined) {
      swaps++;
      return matchCase(word, to);
    }
    const name = byName?.get(word);
    if (name !== undefined) {
      swaps++;
      return name;
    }
    return word;
  });
  return { text: out, swaps };
}
