/**
 * An open-addressing hash table from a pair of token ids (a, b) to a dense pair id
 * 0, 1, 2, ... in insertion order. The BPE trainer keeps everything it knows about a pair
 * (count, heap entries, the words it occurs in) in typed arrays indexed by that pair id,
 * so its merge loop never builds strings or boxed keys.
 *
 * @example
 * const t = new PairIdTable();
 * t.getOrAdd(104, 101)  // 0 (new)
 * t.get(104, 101)       // 0
 * t.first[0], t.second[0]  // 104, 101
 */
export class PairIdTable {
  /** first[pid], second[pid]: the two token ids of pair `pid`. */
  first: Int32Array;
  second: Int32Array;
  /** Number of pairs. */
  size = 0;
  private slots: Int32Array; // pid + 1, or 0 for empty
  private mask: number;

  constructor(capacity = 1 << 16) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.first = new Int32Array(cap >> 1);
    this.second = new Int32Array(cap >> 1);
  }

  private static hash(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
  }

  /** The pair id of (a, b), or -1. */
  get(a: number, b: number): number {
    const slots = this.slots;
    let i = PairIdTable.hash(a, b) & this.mask;
    while (true) {
      const s = slots[i]!;
      if (s === 0) return -1;
      if (this.first[s - 1] === a && this.second[s - 1] === b) return s - 1;
      i = (i + 1) & this.mask;
    }
  }

  /** The pair id of (a, b), adding the pair if it is new (the new id is `size - 1`). */
  getOrAdd(a: number, b: number): number {
    const slots = this.slots;
    let i = PairIdTable.hash(a, b) & this.mask;
    while (true) {
      const s = slots[i]!;
      if (s === 0) break;
      if (this.first[s - 1] === a && this.second[s - 1] === b) return s - 1;
      i = (i + 1) & this.mask;
    }
    const pid = this.size++;
    if (pid >= this.first.length) this.growIds();
    this.first[pid] = a;
    this.second[pid] = b;
    slots[i] = pid + 1;
    if (this.size * 2 > slots.length) this.rehash();
    return pid;
  }

  private growIds(): void {
    const f = new Int32Array(this.first.length * 2);
    f.set(this.first);
    this.first = f;
    const s = new Int32Array(this.second.length * 2);
    s.set(this.second);
    this.second = s;
  }

  private rehash(): void {
    const cap = this.slots.length * 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let pid = 0; pid < this.size; pid++) {
      let i = PairIdTable.hash(this.first[pid]!, this.second[pid]!) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = pid + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
