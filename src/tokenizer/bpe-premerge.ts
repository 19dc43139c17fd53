/**
 * Character pre-merging: start BPE from whole-character tokens instead of bytes where that
 * provably gives the same result, so a Chinese character (3 bytes) costs no merges.
 *
 * For a BMP character c whose UTF-8 bytes B form token T, let R be the largest rank of the
 * merges that turn B alone into T, and let p / q be the bytes just before / after B in
 * the piece (any token left of B ends with p, any token right of B starts with q).
 * Merging B first is exact when:
 * 1. BPE on B alone ends in the single token T;
 * 2. no part on B's left edge during that run, T included, forms a pair of rank <= R with
 *    a token ending in p; likewise on the right edge with a token starting with q.
 * Proof sketch: until B is complete one of its internal pairs (rank <= R) is available, so
 * by (2) no pair across B's edges is the minimum before then; each other merge chosen
 * before B completes has rank <= R, and is also chosen when B starts as T, because by (2)
 * pairs with T rank above R. Once B is T both runs are in the same state. Ties are broken
 * by position in both. test/tokenizer/bpe-core.test.ts checks on/off equality.
 */
import type { PairTable } from './bpe-core.ts';

/** What is known about one character: its token, the largest internal rank, and edge checks. */
interface CharInfo {
  token: number;
  /** okAfter[p] = 1 when the character may be pre-merged right after byte p. */
  okAfter: Uint8Array;
  /** okBefore[q] = 1 when it may be pre-merged right before byte q. */
  okBefore: Uint8Array;
}

/**
 * Decides, per BMP code point and neighbouring bytes, whether a character can start as one
 * token; see the module doc. The edge conditions are checked against the actual bytes
 * next to the character: a token left of it ends with the byte before it, a token right of
 * it starts with the byte after it.
 */
export class CharPremerge {
  private readonly info = new Map<number, CharInfo | null>();
  private byRight: { start: Int32Array; other: Int32Array; rank: Int32Array } | undefined;
  private byLeft: { start: Int32Array; other: Int32Array; rank: Int32Array } | undefined;

  constructor(
    private readonly pairs: PairTable,
    private readonly byteIds: Int32Array,
    private readonly bytesById: ReadonlyArray<Uint8Array | undefined>,
    private readonly tokenOf: (bytes: Uint8Array) => number,
  ) {}

  /**
   * Token to start from for the BMP code point `cp` (>= 0x80) between byte `before` and
   * byte `after` (-1: piece edge), or -1 when it must start from bytes.
   */
  tokenFor(cp: number, before: number, after: number): number {
    let inf = this.info.get(cp);
    if (inf === undefined) {
      inf = this.decide(cp);
      this.info.set(cp, inf);
    }
    if (inf === null) return -1;
    if (before >= 0 && inf.okAfter[before] === 0) return -1;
    if (after >= 0 && inf.okBefore[after] === 0) return -1;
    return inf.token;
  }

  private decide(cp: number): CharInfo | null {
    if (cp >= 0xd800 && cp <= 0xdfff) return null;
    const bytes = cp < 0x800 ? Uint8Array.of(0xc0 | (cp >> 6), 0x80 | (cp & 63)) : Uint8Array.of(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    const whole = this.tokenOf(bytes);
    if (whole < 0) return null;
    // BPE on the character's bytes alone, recording edge parts and the largest rank.
    const parts = Array.from(bytes, (b) => this.byteIds[b]!);
    const leftEdge = new Set([parts[0]!, whole]);
    const rightEdge = new Set([parts[parts.length - 1]!, whole]);
    let maxRank = -1;
    while (parts.length > 1) {
      let best = -1;
      let at = -1;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.pairs.rank(parts[i]!, parts[i + 1]!);
        if (r >= 0 && (best < 0 || r < best)) {
          best = r;
          at = i;
        }
      }
      if (at < 0) return null;
      parts.splice(at, 2, this.pairs.mergedAt(this.pairs.find(parts[at]!, parts[at + 1]!)));
      maxRank = Math.max(maxRank, best);
      leftEdge.add(parts[0]!);
      rightEdge.add(parts[parts.length - 1]!);
    }
    if (parts[0] !== whole) return null;
    if (this.byRight === undefined) this.buildIndex();
    // A pair (y, x) with x on the left edge and rank <= maxRank forbids the bytes y ends with.
    const okAfter = new Uint8Array(256).fill(1);
    for (const x of leftEdge) this.forbid(this.byRight!, x, maxRank, okAfter, (y) => y[y.length - 1]!);
    const okBefore = new Uint8Array(256).fill(1);
    for (const x of rightEdge) this.forbid(this.byLeft!, x, maxRank, okBefore, (y) => y[0]!);
    return { token: whole, okAfter, okBefore };
  }

  private forbid(index: { start: Int32Array; other: Int32Array; rank: Int32Array }, x: number, maxRank: number, ok: Uint8Array, edgeByte: (y: Uint8Array) => number): void {
    for (let e = index.start[x]!; e < index.start[x + 1]!; e++) {
      if (index.rank[e]! <= maxRank) ok[edgeByte(this.bytesById[index.other[e]!]!)] = 0;
    }
  }

  /** Pairs grouped by right id (byRight: the left partners) and by left id (byLeft). */
  private buildIndex(): void {
    const n = this.bytesById.length;
    const build = (key: 0 | 1): { start: Int32Array; other: Int32Array; rank: Int32Array } => {
      const start = new Int32Array(n + 1);
      this.pairs.forEach((a, b) => {
        start[(key === 0 ? a : b) + 1]!++;
      });
      for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
      const fill = start.slice(0, n);
      const other = new Int32Array(start[n]!);
      const rank = new Int32Array(start[n]!);
      this.pairs.forEach((a, b, r) => {
        const k = key === 0 ? a : b;
        const e = fill[k]!++;
        other[e] = key === 0 ? b : a;
        rank[e] = r;
      });
      return { start, other, rank };
    };
    this.byLeft = build(0);
    this.byRight = build(1);
  }
}
