/**
 * Compact storage for the dedup indexes, in typed arrays: no per-entry objects, and
 * growth that never copies the whole index at once, so that peak memory follows the
 * kept documents closely (issue 6: flat RSS as the corpus grows).
 *
 * - `KeyTable` (64-bit keys) and `KeyTable32` (32-bit keys): open addressing with linear
 *   probing, split into 64 shards by hash. A shard grows by 1.5x when 7/8 full (between
 *   0.58 and 0.875 full after its first growth), so growing copies 1/64 of the table, not
 *   all of it: no transient 2-3x of the index while it doubles.
 * - `ByteRecords` and `IntList`: fixed-size chunks, never copied; the slack is less than
 *   one chunk.
 *
 * @example
 * const t = new KeyTable();
 * t.setIfAbsent(0xdead, 0xbeef, 7);   // -1 (inserted)
 * t.setIfAbsent(0xdead, 0xbeef, 9);   // 7  (already there)
 */
import { fmix32 } from '../hash.ts';

const SHARD_BITS = 6;
const SHARDS = 1 << SHARD_BITS;

const MAX_LOAD = 7 / 8;
const GROWTH = 1.5;

/**
 * The shards of one table: per shard, `words` uint32 of key per slot and the value + 1
 * (0 = empty). Keys are compared whole, so lookups are exact; only the placement
 * depends on the hash: shard = low 6 bits, first slot = the upper 26 bits scaled to the
 * shard's capacity (any capacity, not only powers of two).
 */
class Shards {
  readonly keys: Uint32Array[] = [];
  readonly vals: Int32Array[] = [];
  readonly caps = new Int32Array(SHARDS);
  readonly sizes = new Int32Array(SHARDS);
  /** caps[k] / 2^26, to scale a hash to a first slot. */
  readonly scale = new Float64Array(SHARDS);
  size = 0;
  slots = 0;

  constructor(readonly words: number, initialSlots: number) {
    const cap = Math.max(8, Math.ceil(initialSlots / SHARDS));
    for (let k = 0; k < SHARDS; k++) this.setShard(k, cap);
  }

  setShard(k: number, cap: number): void {
    this.keys[k] = new Uint32Array(cap * this.words);
    this.vals[k] = new Int32Array(cap);
    this.slots += cap - this.caps[k]!;
    this.caps[k] = cap;
    this.scale[k] = cap / (1 << (32 - SHARD_BITS));
  }

  get bytes(): number {
    return this.slots * (4 * this.words + 4);
  }

  /** Counts a key just stored in shard k, and grows the shard when it is 7/8 full. */
  inserted(k: number): void {
    this.size++;
    if (++this.sizes[k]! > this.caps[k]! * MAX_LOAD) this.grow(k);
  }

  /**
   * Moves shard k into 1.5x the slots. The keys are distinct, so each goes to the first
   * empty slot from its first slot (where a lookup finds it).
   */
  private grow(k: number): void {
    const keys = this.keys[k]!, vals = this.vals[k]!, wide = this.words === 2;
    this.setShard(k, Math.ceil(this.caps[k]! * GROWTH));
    const nk = this.keys[k]!, nv = this.vals[k]!, cap = this.caps[k]!, scale = this.scale[k]!;
    for (let j = 0; j < vals.length; j++) {
      if (vals[j] === 0) continue;
      const h = wide ? hash64(keys[2 * j]!, keys[2 * j + 1]!) : hash32(keys[j]!);
      let i = Math.floor((h >>> SHARD_BITS) * scale);
      while (nv[i] !== 0) if (++i === cap) i = 0;
      if (wide) { nk[2 * i] = keys[2 * j]!; nk[2 * i + 1] = keys[2 * j + 1]!; } else nk[i] = keys[j]!;
      nv[i] = vals[j]!;
    }
  }
}

/** Hash of a 64-bit key (hi, lo), both uint32. */
function hash64(hi: number, lo: number): number {
  return fmix32(lo ^ Math.imul(hi, 0x9e3779b1));
}

/** Hash of a uint32 key. */
function hash32(key: number): number {
  return fmix32(key ^ 0x2c1b3c6d);
}

/** What both key tables share: the shards, the count and the bytes held. */
abstract class ShardedTable {
  protected readonly t: Shards;

  constructor(words: number, initialSlots: number) {
    this.t = new Shards(words, initialSlots);
  }

  get size(): number {
    return this.t.size;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.t.bytes;
  }
}

/** Maps a 64-bit key (hi, lo) to a non-negative int32 value; first insert wins; 12 bytes a slot. */
export class KeyTable extends ShardedTable {
  constructor(initialSlots = 1024) {
    super(2, initialSlots);
  }

  /** Slot of (hi, lo) in shard k (where it is, or the empty slot where it goes). */
  private find(k: number, h: number, hi: number, lo: number): number {
    const keys = this.t.keys[k]!, vals = this.t.vals[k]!, cap = this.t.caps[k]!;
    let i = Math.floor((h >>> SHARD_BITS) * this.t.scale[k]!);
    while (vals[i] !== 0 && (keys[2 * i] !== hi || keys[2 * i + 1] !== lo)) if (++i === cap) i = 0;
    return i;
  }

  /** The value stored under (hi, lo), or -1. */
  get(hi: number, lo: number): number {
    hi >>>= 0; lo >>>= 0;
    const h = hash64(hi, lo), k = h & (SHARDS - 1);
    return this.t.vals[k]![this.find(k, h, hi, lo)]! - 1;
  }

  /** Stores `value` unless the key is present; returns the existing value or -1 when inserted. */
  setIfAbsent(hi: number, lo: number, value: number): number {
    hi >>>= 0; lo >>>= 0;
    const h = hash64(hi, lo), k = h & (SHARDS - 1);
    const i = this.find(k, h, hi, lo);
    const vals = this.t.vals[k]!;
    if (vals[i] !== 0) return vals[i]! - 1;
    this.t.keys[k]![2 * i] = hi; this.t.keys[k]![2 * i + 1] = lo; vals[i] = value + 1;
    this.t.inserted(k);
    return -1;
  }
}

/**
 * Maps a 32-bit key to a non-negative int32 value; first insert wins; 8 bytes a slot.
 * For the LSH band index, where a rare key collision only adds a candidate that the
 * signature check then rejects.
 */
export class KeyTable32 extends ShardedTable {
  constructor(initialSlots = 1024) {
    super(1, initialSlots);
  }

  private find(k: number, h: number, key: number): number {
    const keys = this.t.keys[k]!, vals = this.t.vals[k]!, cap = this.t.caps[k]!;
    let i = Math.floor((h >>> SHARD_BITS) * this.t.scale[k]!);
    while (vals[i] !== 0 && keys[i] !== key) if (++i === cap) i = 0;
    return i;
  }

  get(key: number): number {
    key >>>= 0;
    const h = hash32(key), k = h & (SHARDS - 1);
    return this.t.vals[k]![this.find(k, h, key)]! - 1;
  }

  /** Stores `value` unless the key is present; returns the existing value or -1 when inserted. */
  setIfAbsent(key: number, value: number): number {
    key >>>= 0;
    const h = hash32(key), k = h & (SHARDS - 1);
    const i = this.find(k, h, key);
    const vals = this.t.vals[k]!;
    if (vals[i] !== 0) return vals[i]! - 1;
    this.t.keys[k]![i] = key; vals[i] = value + 1;
    this.t.inserted(k);
    return -1;
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
