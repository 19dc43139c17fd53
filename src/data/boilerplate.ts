/**
 * Boilerplate lines: lines that repeat across many documents (navigation, cookie
 * notices, licence footers). Optional two-pass step: pass one counts in how many
 * documents each cleaned line occurs, in a count-min sketch of fixed size (so memory is
 * flat however large the corpus); pass two removes the lines seen in at least `minDocs`
 * documents. The sketch only over-counts, never under-counts.
 *
 * @example
 * const cms = new CountMinSketch();
 * for (const doc of docs) cms.addAll(lineKeys(doc));
 * removeBoilerplate(doc, cms, 20);   // { text, removed }
 */
import { hashString32 } from './hash.ts';

const DEPTH = 4;

export class CountMinSketch {
  readonly table: Uint32Array;
  readonly width: number;

  /** `width` counters per row (a power of two; default 2^20, 16 MiB in all), or an existing table. */
  constructor(width = 1 << 20, table?: Uint32Array) {
    this.width = width;
    this.table = table ?? new Uint32Array(width * DEPTH);
  }

  private index(row: number, key: number): number {
    let h = Math.imul(key ^ Math.imul(row + 1, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
    return row * this.width + ((h >>> 0) & (this.width - 1));
  }

  /**
   * A sketch in shared memory: passed to worker threads (pass two of prepare) it is
   * seen by all of them, not copied into each (16 MiB per worker by default).
   */
  static shared(width = 1 << 20): CountMinSketch {
    return new CountMinSketch(width, new Uint32Array(new SharedArrayBuffer(4 * width * DEPTH)));
  }

  add(key: number): void {
    for (let r = 0; r < DEPTH; r++) this.table[this.index(r, key)]!++;
  }

  addAll(keys: Uint32Array): void {
    for (let i = 0; i < keys.length; i++) this.add(keys[i]!);
  }

  /** An upper bound of the number of times `key` was added. */
  estimate(key: number): number {
    let m = 0xffffffff;
    for (let r = 0; r < DEPTH; r++) m = Math.min(m, this.table[this.index(r, key)]!);
    return m;
  }
}

/** The distinct hashes of the document's non-empty trimmed lines. */
export function lineKeys(text: string): Uint32Array {
  const seen = new Set<number>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t !== '') seen.add(hashString32(t, 0xb011e9));
  }
  return Uint32Array.from(seen);
}

/** Removes the lines that occur in at least `minDocs` documents according to `cms`. */
export function removeBoilerplate(text: string, cms: CountMinSketch, minDocs: number): { text: string; removed: number } {
  let removed = 0;
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t !== '' && cms.estimate(hashString32(t, 0xb011e9)) >= minDocs) { removed++; continue; }
    kept.push(line);
  }
  if (removed === 0) return { text, removed };
  return { text: kept.join('\n').replace(/\n{3,}/g, '\n\n').trim(), removed };
}
