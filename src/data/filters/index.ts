/**
 * The document filters in the order they run, each switchable, with the thresholds
 * of `FilterOptions` (defaults in `DEFAULT_FILTERS`). `runFilters` returns the first
 * drop reason, or null when the document is kept. Reasons:
 *
 * | filter      | reasons                                                          |
 * |-------------|------------------------------------------------------------------|
 * | length      | too-short, too-long                                              |
 * | ratios      | no-words, mean-word-length, alpha-ratio, symbol-ratio, digit-ratio, bullet-lines, ellipsis-lines |
 * | repetition  | dup-lines, dup-paragraphs, top-ngram, dup-ngrams                 |
 * | language    | language (not one of `languages`)                                |
 * | profanity   | profanity (profane entries / words above `maxProfanityRatio`)    |
 */
import type { TokenStats, WordHashes } from '../words.ts';
import type { LanguageGuess } from './language.ts';
import type { ProfanityList } from './profanity.ts';
import { checkLength, checkRatios, DEFAULT_QUALITY, type QualityOptions } from './quality.ts';
import { checkRepetition, DEFAULT_REPETITION, type RepetitionOptions } from './repetition.ts';

export { checkLength, checkRatios, DEFAULT_QUALITY, type QualityOptions } from './quality.ts';
export { checkRepetition, DEFAULT_REPETITION, type RepetitionOptions } from './repetition.ts';
export { LanguageId, type LanguageGuess } from './language.ts';
export { ProfanityList, parseWordList } from './profanity.ts';

export interface FilterOptions {
  length: boolean;
  ratios: boolean;
  repetition: boolean;
  language: boolean;
  profanity: boolean;
  quality: QualityOptions;
  repetitionLimits: RepetitionOptions;
  /** Languages kept by the language filter (codes of data/wordlists/stopwords). Default ['en']. */
  languages: string[];
  /** Max fraction of words that are profanity-list entries. Default 0.01 (1 in 100 words). */
  maxProfanityRatio: number;
}

export const DEFAULT_FILTERS: FilterOptions = {
  length: true, ratios: true, repetition: true, language: true, profanity: true,
  quality: DEFAULT_QUALITY, repetitionLimits: DEFAULT_REPETITION, languages: ['en'], maxProfanityRatio: 0.01,
};

/** What the filters look at, computed once per document. */
export interface FilterInput {
  text: string;
  words: TokenStats;
  hashes: WordHashes;
  language: LanguageGuess;
  profanity: ProfanityList;
}

/** The first drop reason for the document, or null to keep it. */
export function runFilters(d: FilterInput, o: FilterOptions): string | null {
  if (o.length) {
    const r = checkLength(d.words, o.quality);
    if (r) return r;
  }
  if (o.ratios) {
    const r = checkRatios(d.words, d.text, o.quality);
    if (r) return r;
  }
  if (o.repetition) {
    const r = checkRepetition(d.text, d.hashes, o.repetitionLimits);
    if (r) return r;
  }
  if (o.language && !o.languages.includes(d.language.lang)) return 'language';
  if (o.profanity && d.words.count > 0) {
    const hits = d.profanity.count(d.hashes);
    if (hits > 0 && hits / d.words.count > o.maxProfanityRatio) return 'profanity';
  }
  return null;
}
