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
 * | profanity   | profanity (at least `minProfanityHits` listed entries, and more  |
 * |             | than `maxProfanityRatio` of the words)                            |
 *
 * A kept document with fewer listed entries is not dropped: `notes.profanityHits` tells
 * the caller, which reports it (report.json `flagged.profanity`).
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
  /**
   * Fewest listed entries that drop a document (besides the ratio). Default 2: one hit in
   * a short document ("a big black dog" in a children's story) is reported, not dropped.
   */
  minProfanityHits: number;
}

export const DEFAULT_FILTERS: FilterOptions = {
  length: true, ratios: true, repetition: true, language: true, profanity: true,
  quality: DEFAULT_QUALITY, repetitionLimits: DEFAULT_REPETITION, languages: ['en'], maxProfanityRatio: 0.01,
  minProfanityHits: 2,
};

/** What the filters found in a document they kept (filled by `runFilters` when given). */
export interface FilterNotes {
  /** Listed profanity entries found (0 when the profanity filter is off). */
  profanityHits: number;
}

/** What the filters look at, computed once per document. */
export interface FilterInput {
  text: string;
  words: TokenStats;
  hashes: WordHashes;
  language: LanguageGuess;
  profanity: ProfanityList;
}

/** The first drop reason for the document, or null to keep it; `notes` receives what a kept document showed. */
export function runFilters(d: FilterInput, o: FilterOptions, notes?: FilterNotes): string | null {
  if (notes) notes.profanityHits = 0;
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
    if (hits > 0 && hits >= o.minProfanityHits && hits / d.words.count > o.maxProfanityRatio) return 'profanity';
    if (notes) notes.profanityHits = hits;
  }
  return null;
}
