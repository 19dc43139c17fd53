/**
 * A max-heap of (pair id, count) entries with lazy deletion, for the BPE trainer.
 *
 * Entries are never updated in place: the trainer pushes a new entry whenever a pair's
 * count goes up and leaves old entries behind. When the top entry's stored count differs
 * from the pair's current count, the caller pops it and (if the pair still occurs)
 * pushes it again with the current count. Order: higher count first; equal counts are
 * ordered by `prefer(p, q)`, which returns > 0 when pair p must come before pair q.
 *
 * @example
 * const h = new PairHeap((p, q) => q - p);  // ties: smaller pair id first
 * h.push(3, 10); h.push(1, 10); h.push(2, 12);
 * h.topPair(), h.topCount()  // 2, 12
 */
export class PairHeap {
  private pids: Int32Array;
  private counts: Float64Array;
  /** Number of entries. */
  size = 0;

  constructor(private readonly prefer: (p: number, q: number) => number, capacity = 1024) {
    this.pids = new Int32Array(capacity);
    this.counts = new Float64Array(capacity);
  }

  /** Pair id of the top entry (heap must not be empty). */
  topPair(): number {
    return this.pids[0]!;
  }

  /** Stored count of the top entry (heap must not be empty). */
  topCount(): number {
    return this.counts[0]!;
  }

  /** True when entry i must come before entry j. */
  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    if (ci !== cj) return ci > cj;
    return this.prefer(this.pids[i]!, this.pids[j]!) > 0;
  }

  /** Adds an entry. */
  push(pid: number, count: number): void {
    if (this.size === this.pids.length) {
      const p = new Int32Array(this.size * 2);
      p.set(this.pids);
      this.pids = p;
      const c = new Float64Array(this.size * 2);
      c.set(this.counts);
      this.counts = c;
    }
    let i = this.size++;
    this.pids[i] = pid;
    this.counts[i] = count;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the top entry. */
  pop(): void {
    const last = --this.size;
    if (last === 0) return;
    this.pids[0] = this.pids[last]!;
    this.counts[0] = this.counts[last]!;
    let i = 0;
    while (true) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.before(r, l) ? r : l;
      if (!this.before(c, i)) break;
      this.swap(i, c);
      i = c;
    }
  }

  private swap(i: number, j: number): void {
    const p = this.pids[i]!;
    this.pids[i] = this.pids[j]!;
    this.pids[j] = p;
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
  }
}
