/**
 * Renaming a family's Hugging Face tensors to our names: one loop for every family whose
 * mapping is a per-name rule (names the rule returns null for, such as HF buffers we do
 * not keep, are dropped).
 *
 * @example
 * renameEntries(new Map([['bert.pooler.dense.weight', w]]), (n) => n.replace(/^bert\./, ''))
 * // Map { 'pooler.dense.weight' => w }
 */

/** `entries` under the names `rename` gives (entries it maps to null are left out), values through `value` (default: as they are). */
export function renameEntries<T, U = T>(entries: ReadonlyMap<string, T>, rename: (name: string) => string | null,
  value: (v: T) => U = (v) => v as unknown as U): Map<string, U> {
  const out = new Map<string, U>();
  for (const [raw, v] of entries) {
    const name = rename(raw);
    if (name !== null) out.set(name, value(v));
  }
  return out;
}
