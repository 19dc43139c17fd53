/**
 * The features of the linear text classifier: the lower-cased words of a text (with
 * `n't`-style contractions kept whole, and `!` / `?` as words) and their bigrams, each
 * hashed (32-bit FNV-1a) into one of `buckets` slots, present-or-absent (a set: Wang &
 * Manning 2012 binarise the counts).
 *
 * @example
 * textFeatures("It isn't bad!", 1 << 20); // Int32Array of the distinct slots of it, isn't, bad, !, "it isn't", "isn't bad", "bad !"
 */

/** Lower-cased word tokens of a text, then its bigrams ("a b"). */
export function wordNgrams(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?|[!?]/g) ?? [];
  const bag = [...words];
  for (let i = 0; i + 1 < words.length; i++) bag.push(`${words[i]} ${words[i + 1]}`);
  return bag;
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The distinct hashed slots (0..buckets-1) of a text's uni- and bigrams, ascending. */
export function textFeatures(text: string, buckets: number): Int32Array {
  const slots = new Set<number>();
  for (const g of wordNgrams(text)) slots.add(fnv1a(g) % buckets);
  return Int32Array.from([...slots].sort((a, b) => a - b));
}
