/**
 * Open-addressing hash tables in typed arrays for the dedup indexes: 12 bytes a slot,
 * no per-entry objects, so millions of documents cost tens of megabytes, not gigabytes.
 *
 * @example
 * const t = new KeyTable();
 * t.setIfAbsent(0xdead, 0xbeef, 7);   // -1 (inserted)
 * t.setIfAbsent(0xdead, 0xbeef, 9);   // 7  (already there)
 */

/** Maps a 64-bit key (hi, lo) to a non-negative int32 value; first insert wins. */
export class KeyTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private val: Int32Array; // -1 = empty
  private mask: number;
  size = 0;

  constructor(initialSlots = 1024) {
    let cap = 16;
    while (cap < initialSlots) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.val.length * 12;
  }

  private slot(hi: number, lo: number): number {
    let i = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0) & this.mask;
    while (this.val[i] !== -1 && (this.hi[i] !== hi || this.lo[i] !== lo)) i = (i + 1) & this.mask;
    return i;
  }

  /** The value stored under (hi, lo), or -1. */
  get(hi: number, lo: number): number {
    return this.val[this.slot(hi >>> 0, lo >>> 0)]!;
  }

  /** Stores `value` unless the key is present; returns the existing value or -1 when inserted. */
  setIfAbsent(hi: number, lo: number, value: number): number {
    hi >>>= 0; lo >>>= 0;
    const i = this.slot(hi, lo);
    if (this.val[i] !== -1) return this.val[i]!;
    this.hi[i] = hi; this.lo[i] = lo; this.val[i] = value;
    if (++this.size * 2 > this.val.length) this.grow();
    return -1;
  }

  private grow(): void {
    const { hi, lo, val } = this;
    const cap = val.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let k = 0; k < val.length; k++) {
      if (val[k] === -1) continue;
      const i = this.slot(hi[k]!, lo[k]!);
      this.hi[i] = hi[k]!; this.lo[i] = lo[k]!; this.val[i] = val[k]!;
    }
  }
}

/**
 * Maps a 32-bit key to a non-negative int32 value; first insert wins; 8 bytes a slot.
 * For the LSH band index, where a rare key collision only adds a candidate that the
 * signature check then rejects.
 */
export class KeyTable32 {
  private key: Uint32Array;
  private val: Int32Array; // -1 = empty
  private mask: number;
  size = 0;

  constructor(initialSlots = 1024) {
    let cap = 16;
    while (cap < initialSlots) cap *= 2;
    this.key = new Uint32Array(cap);
    this.val = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  get bytes(): number {
    return this.val.length * 8;
  }

  private slot(k: number): number {
    let i = (Math.imul(k ^ (k >>> 15), 0x2c1b3c6d) >>> 0) & this.mask;
    while (this.val[i] !== -1 && this.key[i] !== k) i = (i + 1) & this.mask;
    return i;
  }

  get(k: number): number {
    return this.val[this.slot(k >>> 0)]!;
  }

  /** Stores `value` unless the key is present; returns the existing value or -1 when inserted. */
  setIfAbsent(k: number, value: number): number {
    k >>>= 0;
    const i = this.slot(k);
    if (this.val[i] !== -1) return this.val[i]!;
    this.key[i] = k; this.val[i] = value;
    if (++this.size * 2 > this.val.length) this.grow();
    return -1;
  }

  private grow(): void {
    const { key, val } = this;
    const cap = val.length * 2;
    this.key = new Uint32Array(cap);
    this.val = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let j = 0; j < val.length; j++) {
      if (val[j] === -1) continue;
      const i = this.slot(key[j]!);
      this.key[i] = key[j]!; this.val[i] = val[j]!;
    }
  }
}

/** A growable array of fixed-size byte records (one signature per kept document). */
export class ByteRecords {
  private data: Uint8Array;
  length = 0;

  constructor(readonly recordBytes: number, initialRecords = 1024) {
    this.data = new Uint8Array(recordBytes * initialRecords);
  }

  get bytes(): number {
    return this.data.length;
  }

  push(rec: Uint8Array): number {
    if ((this.length + 1) * this.recordBytes > this.data.length) {
      const next = new Uint8Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data.set(rec, this.length * this.recordBytes);
    return this.length++;
  }

  get(i: number): Uint8Array {
    return this.data.subarray(i * this.recordBytes, (i + 1) * this.recordBytes);
  }
}

/** A growable Int32 array. */
export class IntList {
  private data = new Int32Array(1024);
  length = 0;

  get bytes(): number {
    return this.data.length * 4;
  }

  push(v: number): number {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length] = v;
    return this.length++;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  set(i: number, v: number): void {
    this.data[i] = v;
  }
}
