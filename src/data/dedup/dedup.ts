/**
 * Document deduplication in input order, keeping the first document of each cluster:
 *
 * - exact: the 64-bit key of the cleaned text (hash.ts `docKey`) in a `KeyTable`;
 * - near: MinHash + LSH. The signature is cut into `bands` bands of `rows` entries; a
 *   document whose band hashes meet a kept document's in any band is a candidate, and it
 *   is a near-duplicate when the estimated Jaccard similarity of the two signatures is
 *   at least `threshold`. Kept documents store an 8-bit slice of each signature entry
 *   (b-bit MinHash, Li & König 2010; the estimate is corrected for 1/256 chance matches),
 *   so the indexes grow by about 0.35 KB per kept document (16 band keys of 32 bits, the
 *   exact key, the 128-byte signature slice; tables 0.58 to 0.875 full, table.ts), never with
 *   document size. A 32-bit band-key collision only adds a candidate the check rejects.
 *
 * @example
 * const d = new Deduper({ ...DEFAULT_DEDUP });
 * const k = docKey(text), sig = minHasher.signature(normalizedWordHashes(text));
 * d.add(k.hi, k.lo, sig, fileIndex, line);   // { kind: null, of: -1, kept: 0, ... }
 * d.add(k.hi, k.lo, sig, fileIndex, 9);      // { kind: 'exact', of: 0, kept: -1, ... }
 */
import { LlmtsError } from '../../util/errors.ts';
import { ByteRecords, IntList, KeyTable, KeyTable32 } from './table.ts';
import { fmix32 } from '../hash.ts';

export interface DedupOptions {
  exact: boolean;
  near: boolean;
  /** Words per shingle. Default 5. */
  shingle: number;
  /** MinHash signature length. Default 128 (= bands x rows). */
  perms: number;
  /** LSH bands and rows per band (bands * rows <= perms). Default 16 x 8. */
  bands: number;
  rows: number;
  /** Jaccard similarity at or above which two documents are near-duplicates. Default 0.8. */
  threshold: number;
  seed: number;
}

export const DEFAULT_DEDUP: DedupOptions = { exact: true, near: true, shingle: 5, perms: 128, bands: 16, rows: 8, threshold: 0.8, seed: 0x5eed };

/** Throws an LlmtsError naming the flag when the dedup settings do not fit together. */
export function checkDedupOptions(o: DedupOptions): void {
  const bad = (flag: string, msg: string, hint: string): never => { throw new LlmtsError('E_FLAG', msg, { where: flag, hint }); };
  if (!Number.isInteger(o.shingle) || o.shingle < 1) bad('--shingle', `shingle size must be an integer >= 1, got ${o.shingle}`, 'e.g. --shingle 5');
  if (!Number.isInteger(o.perms) || o.perms < 1 || o.perms > 1024) bad('--perms', `permutations must be 1..1024, got ${o.perms}`, 'e.g. --perms 128');
  if (!Number.isInteger(o.bands) || !Number.isInteger(o.rows) || o.bands < 1 || o.rows < 1) bad('--bands/--rows', 'bands and rows must be integers >= 1', 'e.g. --bands 16 --rows 8');
  if (o.bands * o.rows > o.perms) bad('--bands/--rows', `bands x rows = ${o.bands * o.rows} exceeds --perms ${o.perms}`, `use --perms ${o.bands * o.rows} or fewer bands/rows`);
  if (!(o.threshold > 0 && o.threshold <= 1)) bad('--threshold', `Jaccard threshold must be in (0, 1], got ${o.threshold}`, 'e.g. --threshold 0.8');
}

/** Result of `Deduper.add`. */
export interface DedupVerdict {
  /** null: unique (kept); otherwise the kind of duplicate. */
  kind: 'exact' | 'near' | null;
  /** Kept-document index of the representative (duplicates), or -1. */
  of: number;
  /** Kept-document index of this document when kept, else -1. */
  kept: number;
  /** Estimated Jaccard similarity to the representative (near duplicates). */
  similarity: number;
}

function bandHash(sig: Uint32Array, start: number, rows: number, seed: number): number {
  let h = seed >>> 0;
  for (let k = 0; k < rows; k++) {
    h ^= Math.imul(sig[start + k]!, 0xcc9e2d51);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  return fmix32(h);
}

export class Deduper {
  private readonly exactIndex = new KeyTable();
  private readonly bandIndex = new KeyTable32(4096);
  private readonly sigs: ByteRecords;
  private readonly sig8: Uint8Array;
  /** Per kept document: where it came from (file index, location) and its cluster size. */
  readonly keptFile = new IntList();
  readonly keptLoc = new IntList();
  readonly clusterSize = new IntList();
  clusters = 0;

  constructor(readonly o: DedupOptions) {
    checkDedupOptions(o);
    this.sigs = new ByteRecords(o.near ? o.perms : 1);
    this.sig8 = new Uint8Array(o.perms);
  }

  /** Bytes held by the indexes (they grow with kept documents only). */
  get bytes(): number {
    return this.exactIndex.bytes + this.bandIndex.bytes + this.sigs.bytes + this.keptFile.bytes * 3;
  }

  get kept(): number {
    return this.keptFile.length;
  }

  /**
   * Checks a document against everything kept so far and keeps it when it is unique.
   * `sig` is its MinHash signature (null or all-0xffffffff: no near-dedup for it).
   */
  add(keyHi: number, keyLo: number, sig: Uint32Array | null, file: number, loc: number): DedupVerdict {
    const o = this.o;
    const next = this.keptFile.length;
    if (o.exact) {
      const prev = this.exactIndex.get(keyHi, keyLo);
      if (prev !== -1) return this.dup('exact', prev, 1);
    }
    const useNear = o.near && sig !== null && sig[0] !== 0xffffffff;
    let bands: Uint32Array | null = null;
    if (useNear) {
      for (let i = 0; i < o.perms; i++) this.sig8[i] = sig[i]! & 0xff;
      bands = new Uint32Array(o.bands);
      const tried = new Set<number>();
      for (let b = 0; b < o.bands; b++) {
        const h = bandHash(sig, b * o.rows, o.rows, 0x9e3779b9 + b);
        bands[b] = h;
        const cand = this.bandIndex.get(h);
        if (cand === -1 || tried.has(cand)) continue;
        tried.add(cand);
        const sim = this.similarity(cand);
        if (sim >= o.threshold) return this.dup('near', cand, sim);
      }
    }
    // Unique: keep it.
    if (o.exact) this.exactIndex.setIfAbsent(keyHi, keyLo, next);
    if (useNear && bands) {
      for (let b = 0; b < o.bands; b++) this.bandIndex.setIfAbsent(bands[b]!, next);
      this.sigs.push(this.sig8);
    } else if (o.near) {
      this.sigs.push(new Uint8Array(o.perms)); // keeps indexes aligned; never a candidate
    }
    this.keptFile.push(file);
    this.keptLoc.push(loc);
    this.clusterSize.push(1);
    return { kind: null, of: -1, kept: next, similarity: 0 };
  }

  /** Estimated Jaccard of the current signature (in sig8) and kept document `k`, b-bit corrected. */
  private similarity(k: number): number {
    const other = this.sigs.get(k);
    let eq = 0;
    for (let i = 0; i < this.o.perms; i++) if (other[i] === this.sig8[i]) eq++;
    const raw = eq / this.o.perms;
    return Math.max(0, (raw - 1 / 256) / (1 - 1 / 256));
  }

  private dup(kind: 'exact' | 'near', of: number, similarity: number): DedupVerdict {
    const size = this.clusterSize.get(of) + 1;
    this.clusterSize.set(of, size);
    if (size === 2) this.clusters++;
    return { kind, of, kept: -1, similarity };
  }
}
