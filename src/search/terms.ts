/**
 * The terms BM25 counts: lower-cased runs of letters and digits (Unicode `\p{L}` and
 * `\p{N}`, combining marks kept inside a word), everything else a separator. No stemming
 * and no stop list: BM25's idf already weighs common words down.
 *
 * @example
 * terms("Tom's 2 cats-and DOGS"); // ['tom', 's', '2', 'cats', 'and', 'dogs']
 */

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

/** The BM25 terms of `text`, in order (see the module comment). */
export function terms(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}
