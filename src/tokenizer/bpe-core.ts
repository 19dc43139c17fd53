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

/**
 * Hash table: (left id, right id) -> (rank, merged id). The four fields of a slot are
 * interleaved in one Int32Array so that a lookup touches one cache line. Pairs of two ids
 * below 256 (the byte tokens of common vocabularies, i.e. every first merge of a piece)
 * live in a direct-indexed region of 65536 slots; the rest are open-addressed after it.
 */
export class PairTable {
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacityHint: number) {
    let cap = 16;
    while (cap < capacityHint * 2) cap <<= 1;
    this.slots = new Int32Array((DIRECT + cap) * 4).fill(-1);
    this.mask = cap - 1;
  }

  /** Adds a pair unless present (the first, lowest-rank entry wins). */
  add(a: number, b: number, rank: number, mergedId: number): void {
    const t = this.slots;
    let i: number;
    if ((a | b) < 256) {
      i = (a << 8) | b;
      if (t[i * 4]! >= 0) return;
    } else {
      if (this.size * 2 >= this.mask) this.grow();
      i = DIRECT + (pairHash(a, b) & this.mask);
      while (this.slots[i * 4]! >= 0) {
        if (this.slots[i * 4] === a && this.slots[i * 4 + 1] === b) return;
        i = DIRECT + ((i - DIRECT + 1) & this.mask);
      }
      this.size++;
    }
    const u = this.slots;
    u[i * 4] = a;
    u[i * 4 + 1] = b;
    u[i * 4 + 2] = rank;
    u[i * 4 + 3] = mergedId;
  }

  /** Slot of the pair (a, b), or -1; read it with `rankAt` / `mergedAt`. */
  find(a: number, b: number): number {
    const t = this.slots;
    if ((a | b) < 256) {
      const d = (a << 8) | b;
      return t[d * 4]! >= 0 ? d : -1;
    }
    const mask = this.mask;
    let i = pairHash(a, b) & mask;
    for (;;) {
      const o = (DIRECT + i) * 4;
      const l = t[o]!;
      if (l < 0) return -1;
      if (l === a && t[o + 1] === b) return DIRECT + i;
      i = (i + 1) & mask;
    }
  }

  /** Rank of the pair (a, b), or -1 when they do not merge. */
  rank(a: number, b: number): number {
    const s = this.find(a, b);
    return s < 0 ? -1 : this.slots[s * 4 + 2]!;
  }

  rankAt(slot: number): number {
    return this.slots[slot * 4 + 2]!;
  }

  mergedAt(slot: number): number {
    return this.slots[slot * 4 + 3]!;
  }

  /** Calls `fn(left, right, rank, merged)` for every pair. */
  forEach(fn: (a: number, b: number, rank: number, merged: number) => void): void {
    const t = this.slots;
    for (let o = 0; o < t.length; o += 4) if (t[o]! >= 0) fn(t[o]!, t[o + 1]!, t[o + 2]!, t[o + 3]!);
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = new Int32Array((DIRECT + cap) * 4).fill(-1);
    this.slots.set(old.subarray(0, DIRECT * 4));
    this.mask = cap - 1;
    this.size = 0;
    for (let i = DIRECT * 4; i < old.length; i += 4) if (old[i]! >= 0) this.add(old[i]!, old[i + 1]!, old[i + 2]!, old[i + 3]!);
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

/** Slots of the direct-indexed region for pairs of ids below 256. */
const DIRECT = 65536;

function pairHash(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  return h >>> 0;
}

/** Above this many parts the heap-based merge is used. */
const HEAP_THRESHOLD = 12;

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
  private rankOf = new Int32Array(0);
  private mergedOf = new Int32Array(0);
  private heap = new Int32Array(0);
  private where = new Int32Array(0);
  private size = 0;

  /** Pieces of more parts than this use the heap. */
  threshold = HEAP_THRESHOLD;

  constructor(private readonly pairs: PairTable) {}

  merge(ids: Int32Array, n: number, out: number[]): void {
    if (n <= this.threshold) this.mergeSmall(ids, n, out);
    else this.mergeHeap(ids, n, out);
  }

  /** Flat arrays; each merge is one scan for the minimum plus a shift. */
  private mergeSmall(ids: Int32Array, n: number, out: number[]): void {
    if (this.ranks.length < n) {
      this.ranks = new Int32Array(n);
      this.slots = new Int32Array(n);
    }
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

  /**
   * Linked list of parts + an indexed binary min-heap holding, for each part that has a
   * mergeable right neighbour, one entry ordered by (rank, position). A merge removes the
   * right part's entry and re-keys the two entries around the new part in place, so the
   * heap never holds stale entries.
   */
  private mergeHeap(ids: Int32Array, n: number, out: number[]): void {
    const pairs = this.pairs;
    if (this.next.length < n) this.growHeap(n);
    const next = this.next;
    const prev = this.prev;
    const rank = this.rankOf;
    const merged = this.mergedOf;
    const heap = this.heap;
    const where = this.where;
    let size = 0;
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
      where[i] = -1;
      const s = i + 1 < n ? pairs.find(ids[i]!, ids[i + 1]!) : -1;
      if (s >= 0) {
        rank[i] = pairs.rankAt(s);
        merged[i] = pairs.mergedAt(s);
        heap[size] = i;
        where[i] = size++;
      }
    }
    this.size = size;
    for (let h = (size >> 1) - 1; h >= 0; h--) this.siftDown(h);
    while (this.size > 0) {
      const i = heap[0]!;
      const j = next[i]!;
      const m = merged[i]!;
      ids[i] = m;
      const k = next[j]!;
      next[i] = k;
      if (k >= 0) prev[k] = i;
      if (where[j]! >= 0) this.remove(where[j]!);
      // re-key the new part's pair with its right neighbour (it is at the top)
      const s = k >= 0 ? pairs.find(m, ids[k]!) : -1;
      if (s >= 0) {
        rank[i] = pairs.rankAt(s);
        merged[i] = pairs.mergedAt(s);
        this.siftDown(where[i]!);
      } else this.remove(where[i]!);
      // re-key the left neighbour's pair
      const p = prev[i]!;
      if (p >= 0) {
        const t = pairs.find(ids[p]!, m);
        if (t >= 0) {
          rank[p] = pairs.rankAt(t);
          merged[p] = pairs.mergedAt(t);
          if (where[p]! >= 0) this.siftDown(where[p]!); // a merge result ranks after its parts' pairs: usually down
          else this.insert(p);
          this.siftUp(where[p]!);
        } else if (where[p]! >= 0) this.remove(where[p]!);
      }
    }
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
  }

  private growHeap(n: number): void {
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.rankOf = new Int32Array(n);
    this.mergedOf = new Int32Array(n);
    this.heap = new Int32Array(n);
    this.where = new Int32Array(n);
  }

  /** Heap order of parts a and b: lower rank first, then leftmost. */
  private before(a: number, b: number): boolean {
    const ra = this.rankOf[a]!;
    const rb = this.rankOf[b]!;
    return ra < rb || (ra === rb && a < b);
  }

  private siftUp(h: number): void {
    const heap = this.heap;
    const where = this.where;
    const x = heap[h]!;
    while (h > 0) {
      const q = (h - 1) >> 1;
      const y = heap[q]!;
      if (!this.before(x, y)) break;
      heap[h] = y;
      where[y] = h;
      h = q;
    }
    heap[h] = x;
    where[x] = h;
  }

  private siftDown(h: number): void {
    const heap = this.heap;
    const where = this.where;
    const size = this.size;
    const x = heap[h]!;
    for (;;) {
      let c = 2 * h + 1;
      if (c >= size) break;
      if (c + 1 < size && this.before(heap[c + 1]!, heap[c]!)) c++;
      const y = heap[c]!;
      if (!this.before(y, x)) break;
      heap[h] = y;
      where[y] = h;
      h = c;
    }
    heap[h] = x;
    where[x] = h;
  }

  private insert(pos: number): void {
    const h = this.size++;
    this.heap[h] = pos;
    this.where[pos] = h;
  }

  /** Removes the entry at heap index h. */
  private remove(h: number): void {
    const heap = this.heap;
    const gone = heap[h]!;
    this.where[gone] = -1;
    const last = --this.size;
    if (h === last) return;
    const x = heap[last]!;
    heap[h] = x;
    this.where[x] = h;
    this.siftDown(h);
    this.siftUp(this.where[x]!);
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
