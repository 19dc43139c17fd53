/**
 * Text -> sentences -> words, the way the HAN recipe reads a document: paragraphs are
 * split at blank lines, sentences at . ! ? followed by space, words are lowercased (by
 * default) runs of letters and digits (an apostrophe inside a word kept) or one of
 * $ ! ? %. A sentence longer than `maxWords` is cut into pieces of at most `maxWords`;
 * only the first `maxSentences` sentences are kept. Sentences without words are dropped.
 *
 * @example
 * splitDocument('Win $1000 now! Click here.\n\nBye', { maxSentences: 30, maxWords: 40, lowercase: true });
 * // [['win', '$', '1000', 'now', '!'], ['click', 'here'], ['bye']]
 */

/** How documents are cut. */
export interface DocumentOptions {
  /** Sentences kept per document (the first ones). */
  maxSentences: number;
  /** Words per sentence; longer sentences are cut into pieces. */
  maxWords: number;
  lowercase: boolean;
}

/** The recipe's defaults. */
export const DOCUMENT_DEFAULTS: DocumentOptions = { maxSentences: 30, maxWords: 40, lowercase: true };

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}]+)?|[$!?%]/gu;

/** Words of a piece of text (see the module comment). */
export function documentWords(text: string, lowercase: boolean): string[] {
  return (lowercase ? text.toLowerCase() : text).match(WORD) ?? [];
}

/** Sentences of words of a text (see the module comment). */
export function splitDocument(text: string, o: DocumentOptions): string[][] {
  const out: string[][] = [];
  for (const para of text.split(/\n[ \t]*\n/)) {
    for (const sentence of para.split(/(?<=[.!?])\s+/)) {
      const words = documentWords(sentence, o.lowercase);
      for (let i = 0; i < words.length && out.length < o.maxSentences; i += o.maxWords) out.push(words.slice(i, i + o.maxWords));
      if (out.length >= o.maxSentences) return out;
    }
  }
  return out;
}
