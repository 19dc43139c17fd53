/**
 * Compact storage for the dedup indexes, in typed arrays: no per-entry objects, and
 * growth that never copies the whole index at once, so that peak memory follows the
 * kept documents closely (issue 6: flat RSS as the corpus grows).
 *
 * - `KeyTable` (64-bit keys) and `KeyTable32` (32-bit keys): open addressing with linear
 *   probing, split into 64 shards by hash. A shard grows by 1.25x when 7/8 full (between
 *   0.7 and 0.875 full after its first growth), so growing copies 1/64 of the table, not
 *   all of it: no transient 2-3x of the index while it doubles. Lookups at that load probe
 *   tens of slots when the key is absent: still far below the cost of one document.
 * - `ByteRecords` and `IntList`: fixed-size chunks, never copied; the slack is less than
 *   one chunk.
 *
 * @example
 * const t = new KeyTable();
 * t.setIfAbsent(0xdead, 0xbeef, 7);   // -1 (inserted)
 * t.setIfAbsent(0xdead, 0xbeef, 9);   // 7  (already there)
 */

const SHARD_BITS = 6;
const SHARDS = 1 << SHARD_BITS;

/** murmur3's finaliser. */
function mix(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

/** One shard: keys (`words` uint32 per slot) and values + 1 (0 = empty slot). */
interface Shard {
  keys: Uint32Array;
  vals: Int32Array;
  cap: number;
  size: number;
}

/**
 * The shared machinery of the two tables: `words` = 1 or 2 uint32 per key. Keys are
 * compared whole, so lookups are exact; only the placement depends on the hash.
 */
class ShardedTable {
  private readonly shards: Shard[];
  size = 0;
  private capTotal = 0;

  constructor(private readonly words: number, initialSlots: number) {
    const cap = Math.max(8, Math.ceil(initialSlots / SHARDS));
    this.shards = Array.from({ length: SHARDS }, () => this.newShard(cap));
    this.capTotal = cap * SHARDS;
  }

  private newShard(cap: number): Shard {
    return { keys: new Uint32Array(cap * this.words), vals: new Int32Array(cap), cap, size: 0 };
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.capTotal * (4 * this.words + 4);
  }

  /** The slot of key (a, b) in shard s: where it is, or the empty slot where it would go. */
  private find(s: Shard, h: number, a: number, b: number): number {
    const w = this.words;
    // the hash's upper 26 bits scaled to [0, cap): any capacity, not only powers of two
    let i = Math.floor(((h >>> SHARD_BITS) * s.cap) / (1 << (32 - SHARD_BITS)));
    for (;;) {
      if (s.vals[i] === 0) return i;
      if (s.keys[i * w] === a && (w === 1 || s.keys[i * w + 1] === b)) return i;
      if (++i === s.cap) i = 0;
    }
  }

  get(h: number, a: number, b: number): number {
    const s = this.shards[h & (SHARDS - 1)]!;
    return s.vals[this.find(s, h, a, b)]! - 1;
  }

  setIfAbsent(h: number, a: number, b: number, value: number): number {
    const s = this.shards[h & (SHARDS - 1)]!;
    const i = this.find(s, h, a, b);
    if (s.vals[i] !== 0) return s.vals[i]! - 1;
    s.keys[i * this.words] = a;
    if (this.words === 2) s.keys[i * 2 + 1] = b;
    s.vals[i] = value + 1;
    s.size++;
    this.size++;
    if (s.size * 8 > s.cap * 7) this.grow(h & (SHARDS - 1));
    return -1;
  }

  private grow(k: number): void {
    const old = this.shards[k]!;
    const next = this.newShard(Math.ceil(old.cap * 1.25));
    const w = this.words;
    for (let j = 0; j < old.cap; j++) {
      if (old.vals[j] === 0) continue;
      const a = old.keys[j * w]!, b = w === 2 ? old.keys[j * w + 1]! : 0;
      const i = this.find(next, this.hashOf(a, b), a, b);
      next.keys[i * w] = a;
      if (w === 2) next.keys[i * 2 + 1] = b;
      next.vals[i] = old.vals[j]!;
    }
    next.size = old.size;
    this.shards[k] = next;
    this.capTotal += next.cap - old.cap;
  }

  /** The placement hash of a key (the same as the callers compute). */
  hashOf(a: number, b: number): number {
    return this.words === 2 ? mix(b ^ Math.imul(a, 0x9e3779b1)) : mix(a ^ 0x2c1b3c6d);
  }
}

/** Maps a 64-bit key (hi, lo) to a non-negative int32 value; first insert wins; 12 bytes a slot. */
export class KeyTable {
  private readonly t: ShardedTable;

  constructor(initialSlots = 1024) {
    this.t = new ShardedTable(2, initialSlots);
  }

  get size(): number {
    return this.t.size;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.t.bytes;
  }

  /** The value stored under (hi, lo), or -1. */
  get(hi: number, lo: number): number {
    hi >>>= 0; lo >>>= 0;
    return this.t.get(this.t.hashOf(hi, lo), hi, lo);
  }

  /** Stores `value` unless the key is present; returns the existing value or -1 when inserted. */
  setIfAbsent(hi: number, lo: number, value: number): number {
    hi >>>= 0; lo >>>= 0;
    return this.t.setIfAbsent(this.t.hashOf(hi, lo), hi, lo, value);
  }
}

/**
 * Maps a 32-bit key to a non-negative int32 value; first insert wins; 8 bytes a slot.
 * For the LSH band index, where a rare key collision only adds a candidate that the
 * signature check then rejects.
 */
export class KeyTable32 {
  private readonly t: ShardedTable;

  constructor(initialSlots = 1024) {
    this.t = new ShardedTable(1, initialSlots);
  }

  get size(): number {
    return this.t.size;
  }

  get bytes(): number {
    return this.t.bytes;
  }

  get(k: number): number {
    k >>>= 0;
    return this.t.get(this.t.hashOf(k, 0), k, 0);
  }

  /** Stores `value` unless the key is present; returns the existing value or -1 when inserted. */
  setIfAbsent(k: number, value: number): number {
    k >>>= 0;
    return this.t.setIfAbsent(this.t.hashOf(k, 0), k, 0, value);
  }
}

/** A growable array of fixed-size byte records (one signature per kept document), in chunks. */
export class ByteRecords {
  private readonly chunks: Uint8Array[] = [];
  private readonly perChunk: number;
  length = 0;

  /** `chunkBytes`: about this many bytes per chunk (at least one record). */
  constructor(readonly recordBytes: number, chunkBytes = 1 << 20) {
    this.perChunk = Math.max(1, Math.floor(chunkBytes / recordBytes));
  }

  get bytes(): number {
    return this.chunks.length * this.perChunk * this.recordBytes;
  }

  push(rec: Uint8Array): number {
    const c = Math.floor(this.length / this.perChunk);
    if (c === this.chunks.length) this.chunks.push(new Uint8Array(this.perChunk * this.recordBytes));
    this.chunks[c]!.set(rec, (this.length % this.perChunk) * this.recordBytes);
    return this.length++;
  }

  get(i: number): Uint8Array {
    const at = (i % this.perChunk) * this.recordBytes;
    return this.chunks[Math.floor(i / this.perChunk)]!.subarray(at, at + this.recordBytes);
  }
}

const INT_CHUNK = 1 << 14;

/** A growable Int32 array, in chunks of 16384 (64 KiB). */
export class IntList {
  private readonly chunks: Int32Array[] = [];
  length = 0;

  get bytes(): number {
    return this.chunks.length * INT_CHUNK * 4;
  }

  push(v: number): number {
    const c = this.length >>> 14;
    if (c === this.chunks.length) this.chunks.push(new Int32Array(INT_CHUNK));
    this.chunks[c]![this.length & (INT_CHUNK - 1)] = v;
    return this.length++;
  }

  get(i: number): number {
    return this.chunks[i >>> 14]![i & (INT_CHUNK - 1)]!;
  }

  set(i: number, v: number): void {
    this.chunks[i >>> 14]![i & (INT_CHUNK - 1)] = v;
  }
}
