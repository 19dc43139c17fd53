/**
 * The Porter stemmer as rouge-score uses it: NLTK's `PorterStemmer()` in its default
 * NLTK_EXTENSIONS mode (Porter 1980 with Martin Porter's later changes and NLTK's own:
 * a pool of irregular forms, 'ies'/'ied' on four-letter words, y -> i only after a
 * consonant, 'alli', 'fulli' and 'logi' in step 2, a two-letter *o condition).
 * Words are lower-cased first, as NLTK does.
 *
 * @example
 * porterStem('caresses') // 'caress'
 * porterStem('relational') // 'relat'
 * porterStem('dying') // 'die'
 */

/** NLTK_EXTENSIONS' irregular forms: word -> stem. */
const POOL = new Map<string, string>([
  ['sky', 'sky'], ['skies', 'sky'], ['dying', 'die'], ['lying', 'lie'], ['tying', 'tie'], ['news', 'news'],
  ['innings', 'inning'], ['inning', 'inning'], ['outings', 'outing'], ['outing', 'outing'],
  ['cannings', 'canning'], ['canning', 'canning'], ['howe', 'howe'],
  ['proceed', 'proceed'], ['exceed', 'exceed'], ['succeed', 'succeed'],
]);

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/** A condition on the stem left after removing a suffix; null: unconditional. */
type Condition = ((stem: string) => boolean) | null;
/** [suffix, replacement, condition]; the suffix '*d' means "ends in a double consonant". */
type Rule = [string, string, Condition];

/** Per letter: is it a consonant? ('y' is one at the start or after a vowel.) */
function consonantFlags(word: string): boolean[] {
  const flags: boolean[] = [];
  for (let i = 0; i < word.length; i++) {
    const ch = word[i]!;
    if (VOWELS.has(ch)) flags.push(false);
    else if (ch === 'y') flags.push(i === 0 ? true : !flags[i - 1]);
    else flags.push(true);
  }
  return flags;
}

function isConsonant(word: string, i: number): boolean {
  return consonantFlags(word)[i]!;
}

/** m in [C](VC)^m[V]: the number of vowel-consonant transitions. */
function measure(stem: string): number {
  const flags = consonantFlags(stem);
  let m = 0;
  for (let i = 1; i < flags.length; i++) if (!flags[i - 1] && flags[i]) m++;
  return m;
}

const positiveMeasure = (stem: string): boolean => measure(stem) > 0;
const measureAbove1 = (stem: string): boolean => measure(stem) > 1;

function containsVowel(stem: string): boolean {
  return consonantFlags(stem).some((c) => !c);
}

/** *d: ends in a double consonant. */
function endsDoubleConsonant(word: string): boolean {
  const n = word.length;
  return n >= 2 && word[n - 1] === word[n - 2] && isConsonant(word, n - 1);
}

/** *o: ends consonant-vowel-consonant, the last not w, x or y (or, NLTK: is vowel-consonant, two letters). */
function endsCvc(word: string): boolean {
  const n = word.length;
  if (n >= 3 && isConsonant(word, n - 3) && !isConsonant(word, n - 2) && isConsonant(word, n - 1) && !'wxy'.includes(word[n - 1]!)) {
    return true;
  }
  return n === 2 && !isConsonant(word, 0) && isConsonant(word, 1);
}

/** The first rule whose suffix matches decides: replaced when its condition holds, else the word unchanged. */
function applyRules(word: string, rules: Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (suffix === '*d' && endsDoubleConsonant(word)) {
      const stem = word.slice(0, -2);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
    if (word.endsWith(suffix)) {
      const stem = word.slice(0, word.length - suffix.length);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

function step1a(word: string): string {
  if (word.endsWith('ies') && word.length === 4) return `${word.slice(0, -3)}ie`;
  return applyRules(word, [['sses', 'ss', null], ['ies', 'i', null], ['ss', 'ss', null], ['s', '', null]]);
}

function step1b(word: string): string {
  if (word.endsWith('ied')) return word.slice(0, -3) + (word.length === 4 ? 'ie' : 'i');
  if (word.endsWith('eed')) {
    const stem = word.slice(0, -3);
    return measure(stem) > 0 ? `${stem}ee` : word;
  }
  let stem: string | undefined;
  for (const suffix of ['ed', 'ing']) {
    if (word.endsWith(suffix)) {
      const candidate = word.slice(0, -suffix.length);
      if (containsVowel(candidate)) {
        stem = candidate;
        break;
      }
    }
  }
  if (stem === undefined) return word;
  const last = stem[stem.length - 1]!;
  return applyRules(stem, [
    ['at', 'ate', null],
    ['bl', 'ble', null],
    ['iz', 'ize', null],
    ['*d', last, () => !'lsz'.includes(last)],
    ['', 'e', (s) => measure(s) === 1 && endsCvc(s)],
  ]);
}

function step1c(word: string): string {
  return applyRules(word, [['y', 'i', (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)]]);
}

function step2(word: string): string {
  if (word.endsWith('alli') && positiveMeasure(word.slice(0, -4))) return step2(`${word.slice(0, -4)}al`);
  return applyRules(word, [
    ['ational', 'ate', positiveMeasure], ['tional', 'tion', positiveMeasure], ['enci', 'ence', positiveMeasure],
    ['anci', 'ance', positiveMeasure], ['izer', 'ize', positiveMeasure], ['bli', 'ble', positiveMeasure],
    ['alli', 'al', positiveMeasure], ['entli', 'ent', positiveMeasure], ['eli', 'e', positiveMeasure],
    ['ousli', 'ous', positiveMeasure], ['ization', 'ize', positiveMeasure], ['ation', 'ate', positiveMeasure],
    ['ator', 'ate', positiveMeasure], ['alism', 'al', positiveMeasure], ['iveness', 'ive', positiveMeasure],
    ['fulness', 'ful', positiveMeasure], ['ousness', 'ous', positiveMeasure], ['aliti', 'al', positiveMeasure],
    ['iviti', 'ive', positiveMeasure], ['biliti', 'ble', positiveMeasure], ['fulli', 'ful', positiveMeasure],
    ['logi', 'log', () => positiveMeasure(word.slice(0, -3))],
  ]);
}

function step3(word: string): string {
  return applyRules(word, [
    ['icate', 'ic', positiveMeasure], ['ative', '', positiveMeasure], ['alize', 'al', positiveMeasure],
    ['iciti', 'ic', positiveMeasure], ['ical', 'ic', positiveMeasure], ['ful', '', positiveMeasure],
    ['ness', '', positiveMeasure],
  ]);
}

function step4(word: string): string {
  const rules: Rule[] = ['al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent']
    .map((s): Rule => [s, '', measureAbove1]);
  rules.push(['ion', '', (stem) => measure(stem) > 1 && (stem.endsWith('s') || stem.endsWith('t'))]);
  for (const s of ['ou', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize']) rules.push([s, '', measureAbove1]);
  return applyRules(word, rules);
}

function step5a(word: string): string {
  if (!word.endsWith('e')) return word;
  const stem = word.slice(0, -1);
  const m = measure(stem);
  return m > 1 || (m === 1 && !endsCvc(stem)) ? stem : word;
}

function step5b(word: string): string {
  return applyRules(word, [['ll', 'l', () => measure(word.slice(0, -1)) > 1]]);
}

/**
 * NLTK's `PorterStemmer().stem(word)` (NLTK_EXTENSIONS mode): the word lower-cased, then
 * irregular forms, words of up to two letters kept, then steps 1a-5b.
 * @example porterStem('hopping') // 'hop'
 */
export function porterStem(word: string): string {
  let stem = word.toLowerCase();
  const irregular = POOL.get(stem);
  if (irregular !== undefined) return irregular;
  if (word.length <= 2) return stem;
  for (const step of [step1a, step1b, step1c, step2, step3, step4, step5a, step5b]) stem = step(stem);
  return stem;
}
