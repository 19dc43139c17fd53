/**
 * The byte-level BPE merge engine: integer-keyed hash tables for byte strings and
 * token pairs, and the merge loop (rank order, leftmost first on ties).
 *
 * Two merge rules are supported, both expressed as a pair table (left id, right id) ->
 * (rank, merged id):
 * - Hugging Face / GPT-2 `merges`: only listed pairs merge; rank = position in the list.
 * - tiktoken ranks: any two adjacent parts whose concatenated bytes are a token merge;
 *   rank = that token's rank (= its id). `PairTable.fromRanks` enumerates every split of
 *   every token once, so encoding never hashes byte strings.
 *
 * Merging is O(n) per merge on short pieces (flat arrays) and O(n log n) in total on long
 * ones (linked list + binary heap keyed by (rank, position)), so a 1 MB word is fine.
 */

/** Open-addressing hash table: byte string -> id. Keys are token byte strings. */
export class BytesTable {
  private keys: Int32Array;
  private mask: number;
  /** Token bytes by id (shared with the tokenizer). */
  constructor(private readonly bytesById: ReadonlyArray<Uint8Array | undefined>) {
    let cap = 16;
    while (cap < bytesById.length * 2) cap <<= 1;
    this.keys = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let id = 0; id < bytesById.length; id++) {
      const b = bytesById[id];
      if (b !== undefined && this.get(b, 0, b.length) < 0) this.insert(id, hashBytes(b, 0, b.length));
    }
  }

  private insert(id: number, h: number): void {
    let i = h & this.mask;
    while (this.keys[i]! >= 0) i = (i + 1) & this.mask;
    this.keys[i] = id;
  }

  /** Id of the token with bytes `buf[start, end)`, or -1. */
  get(buf: Uint8Array, start: number, end: number): number {
    return this.getHashed(buf, start, end, hashBytes(buf, start, end));
  }

  /** As `get`, with the hash already computed by `hashBytes`. */
  getHashed(buf: Uint8Array, start: number, end: number, h: number): number {
    const len = end - start;
    let i = h & this.mask;
    for (;;) {
      const id = this.keys[i]!;
      if (id < 0) return -1;
      const b = this.bytesById[id]!;
      if (b.length === len) {
        let k = 0;
        while (k < len && b[k] === buf[start + k]) k++;
        if (k === len) return id;
      }
      i = (i + 1) & this.mask;
    }
  }
}

/** Polynomial hash of `buf[start, end)` (mod 2^32), extendable on either side. */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, HASH_MUL) + buf[i]! + 1) | 0;
  return fmix(h, end - start);
}

const HASH_MUL = 0x01000193;

function fmix(h: number, len: number): number {
  h ^= len;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Open-addressing hash table: (left id, right id) -> (rank, merged id). */
export class PairTable {
  private left: Int32Array;
  private right: Int32Array;
  private ranks: Int32Array;
  private merged: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacityHint: number) {
    let cap = 16;
    while (cap < capacityHint * 2) cap <<= 1;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.merged = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Adds a pair unless present (the first, lowest-rank entry wins). */
  add(a: number, b: number, rank: number, mergedId: number): void {
    if (this.size * 2 >= this.mask) this.grow();
    let i = pairHash(a, b) & this.mask;
    while (this.left[i]! >= 0) {
      if (this.left[i] === a && this.right[i] === b) return;
      i = (i + 1) & this.mask;
    }
    this.left[i] = a;
    this.right[i] = b;
    this.ranks[i] = rank;
    this.merged[i] = mergedId;
    this.size++;
  }

  /** Slot of the pair (a, b), or -1; read it with `rankAt` / `mergedAt`. */
  find(a: number, b: number): number {
    let i = pairHash(a, b) & this.mask;
    for (;;) {
      const l = this.left[i]!;
      if (l < 0) return -1;
      if (l === a && this.right[i] === b) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** Rank of the pair (a, b), or -1 when they do not merge. */
  rank(a: number, b: number): number {
    const s = this.find(a, b);
    return s < 0 ? -1 : this.ranks[s]!;
  }

  rankAt(slot: number): number {
    return this.ranks[slot]!;
  }

  mergedAt(slot: number): number {
    return this.merged[slot]!;
  }

  private grow(): void {
    const old = { l: this.left, r: this.right, k: this.ranks, m: this.merged };
    const cap = (this.mask + 1) * 2;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.merged = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < old.l.length; i++) if (old.l[i]! >= 0) this.add(old.l[i]!, old.r[i]!, old.k[i]!, old.m[i]!);
  }

  /**
   * tiktoken rule: for every token t and every split of its bytes into two tokens
   * (a, b), the pair (a, b) merges into t with rank = rank(t) = t.
   */
  static fromRanks(bytesById: ReadonlyArray<Uint8Array | undefined>, table: BytesTable): PairTable {
    const pairs = new PairTable(bytesById.length * 4);
    let prefixIds = new Int32Array(256);
    for (let t = 0; t < bytesById.length; t++) {
      const b = bytesById[t];
      if (b === undefined || b.length < 2) continue;
      const n = b.length;
      if (prefixIds.length < n) prefixIds = new Int32Array(n);
      for (let k = 1; k < n; k++) prefixIds[k] = table.get(b, 0, k);
      for (let k = 1; k < n; k++) {
        const a = prefixIds[k]!;
        if (a < 0) continue;
        const c = table.get(b, k, n);
        if (c >= 0) pairs.add(a, c, t, t);
      }
    }
    return pairs;
  }
}

function pairHash(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  return h >>> 0;
}

/** Above this many parts the heap-based merge is used. */
const HEAP_THRESHOLD = 48;

/**
 * Reusable merge state. `merge(ids, n, out)` applies BPE merges to the part ids
 * `ids[0, n)` (initially one id per byte) and appends the resulting ids to `out`.
 */
export class Merger {
  private ranks = new Int32Array(64);
  private slots = new Int32Array(64);
  // heap path
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private heap = new Float64Array(0);

  constructor(private readonly pairs: PairTable) {}

  merge(ids: Int32Array, n: number, out: number[]): void {
    if (n <= HEAP_THRESHOLD) this.mergeSmall(ids, n, out);
    else this.mergeHeap(ids, n, out);
  }

  /** Flat arrays; each merge is one scan for the minimum plus a shift. */
  private mergeSmall(ids: Int32Array, n: number, out: number[]): void {
    const pairs = this.pairs;
    const ranks = this.ranks;
    const slots = this.slots;
    for (let i = 0; i + 1 < n; i++) {
      const s = pairs.find(ids[i]!, ids[i + 1]!);
      slots[i] = s;
      ranks[i] = s < 0 ? 0x7fffffff : pairs.rankAt(s);
    }
    while (n > 1) {
      let best = 0x7fffffff;
      let at = -1;
      for (let i = 0; i + 1 < n; i++) {
        const r = ranks[i]!;
        if (r < best) {
          best = r;
          at = i;
        }
      }
      if (at < 0) break;
      ids[at] = pairs.mergedAt(slots[at]!);
      ids.copyWithin(at + 1, at + 2, n);
      ranks.copyWithin(at, at + 1, n - 1);
      slots.copyWithin(at, at + 1, n - 1);
      n--;
      if (at + 1 < n) {
        const s = pairs.find(ids[at]!, ids[at + 1]!);
        slots[at] = s;
        ranks[at] = s < 0 ? 0x7fffffff : pairs.rankAt(s);
      }
      if (at > 0) {
        const s = pairs.find(ids[at - 1]!, ids[at]!);
        slots[at - 1] = s;
        ranks[at - 1] = s < 0 ? 0x7fffffff : pairs.rankAt(s);
      }
    }
    for (let i = 0; i < n; i++) out.push(ids[i]!);
  }

  /** Linked list of parts + binary min-heap of (rank, position); stale entries skipped. */
  private mergeHeap(ids: Int32Array, n: number, out: number[]): void {
    const pairs = this.pairs;
    if (this.next.length < n) {
      this.next = new Int32Array(n);
      this.prev = new Int32Array(n);
      this.heap = new Float64Array(n * 2);
    }
    const next = this.next;
    const prev = this.prev;
    let heap = this.heap;
    let size = 0;
    const POS = 2147483648; // key = rank * 2^31 + position
    const push = (key: number): void => {
      if (size === heap.length) {
        const h = new Float64Array(heap.length * 2);
        h.set(heap);
        heap = this.heap = h;
      }
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p]! <= key) break;
        heap[i] = heap[p]!;
        i = p;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0]!;
      const last = heap[--size]!;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= size) break;
        if (c + 1 < size && heap[c + 1]! < heap[c]!) c++;
        if (heap[c]! >= last) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
      return top;
    };
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    for (let i = 0; i + 1 < n; i++) {
      const r = pairs.rank(ids[i]!, ids[i + 1]!);
      if (r >= 0) push(r * POS + i);
    }
    while (size > 0) {
      const key = pop();
      const rank = Math.floor(key / POS);
      const i = key - rank * POS;
      const j = next[i]!;
      if (ids[i]! < 0 || j < 0) continue;
      const s = pairs.find(ids[i]!, ids[j]!);
      if (s < 0 || pairs.rankAt(s) !== rank) continue; // stale entry
      ids[i] = pairs.mergedAt(s);
      ids[j] = -1;
      const k = next[j]!;
      next[i] = k;
      if (k >= 0) {
        prev[k] = i;
        const r = pairs.rank(ids[i]!, ids[k]!);
        if (r >= 0) push(r * POS + i);
      }
      const p = prev[i]!;
      if (p >= 0) {
        const r = pairs.rank(ids[p]!, ids[i]!);
        if (r >= 0) push(r * POS + p);
      }
    }
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
  }
}

/**
 * Cache of pre-token -> ids keyed by the characters of `text[start, end)`, so that a hit
 * allocates nothing (no substring). Cleared when full.
 */
export class PieceCache {
  private slots: Int32Array;
  private readonly mask: number;
  private keys: string[] = [];
  private hashes: Int32Array;
  private starts: Int32Array;
  private lens: Int32Array;
  private pool: Int32Array;
  private poolUsed = 0;

  constructor(private readonly maxEntries = 1 << 17) {
    let cap = 16;
    while (cap < maxEntries * 2) cap <<= 1;
    this.slots = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.hashes = new Int32Array(maxEntries);
    this.starts = new Int32Array(maxEntries);
    this.lens = new Int32Array(maxEntries);
    this.pool = new Int32Array(maxEntries * 2);
  }

  /** Hash of text[start, end) (FNV-1a over UTF-16 units). */
  static hash(text: string, start: number, end: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h;
  }

  /**
   * Appends the cached ids of text[start, end) to `out` and returns true, or returns
   * false on a miss.
   */
  lookup(text: string, start: number, end: number, h: number, out: number[]): boolean {
    const len = end - start;
    let i = h & this.mask;
    for (;;) {
      const e = this.slots[i]!;
      if (e < 0) return false;
      if (this.hashes[e] === h) {
        const key = this.keys[e]!;
        if (key.length === len) {
          let k = 0;
          while (k < len && key.charCodeAt(k) === text.charCodeAt(start + k)) k++;
          if (k === len) {
            const s = this.starts[e]!;
            const n = this.lens[e]!;
            for (let q = 0; q < n; q++) out.push(this.pool[s + q]!);
            return true;
          }
        }
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Stores ids[from, to) for text[start, end) (after a miss). */
  insert(text: string, start: number, end: number, h: number, ids: number[], from: number, to: number): void {
    let e = this.keys.length;
    const n = to - from;
    if (e >= this.maxEntries || this.poolUsed + n > this.pool.length) {
      this.clear();
      e = 0;
    }
    this.keys.push(text.slice(start, end));
    this.hashes[e] = h;
    this.starts[e] = this.poolUsed;
    this.lens[e] = n;
    for (let q = 0; q < n; q++) this.pool[this.poolUsed++] = ids[from + q]!;
    let i = h & this.mask;
    while (this.slots[i]! >= 0) i = (i + 1) & this.mask;
    this.slots[i] = e;
  }

  clear(): void {
    this.slots.fill(-1);
    this.keys = [];
    this.poolUsed = 0;
  }
}
