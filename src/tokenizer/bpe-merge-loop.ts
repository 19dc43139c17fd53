/**
 * The merge loop of the byte-level BPE trainer: from word counts to an ordered list of
 * merges, with incremental pair counts and a lazy max-heap (never a full recount).
 *
 * Data layout: every distinct word (pre-token) of two or more bytes is a stretch of the
 * flat arrays `tok` / `nxt` / `prv` (a doubly linked list of symbols per word; a merge
 * rewrites the left symbol and unlinks the right one), and `wordOf` gives each position's
 * word (for its count). Pairs get dense ids from a `PairIdTable`; per pair id we keep its
 * count (a float64, so counts never overflow) and a list of the positions where it may
 * start (stale positions, where the pair no longer is, are skipped). Merging pair (a, b)
 * into z visits only those positions, in increasing order (so overlapping runs such as
 * 'aaa' merge left to right), never whole words: a merge costs time in proportion to its
 * occurrences, even inside a very long word. For each occurrence with left neighbour p
 * and right neighbour n it applies count(p,a) -= c, count(p,z) += c, count(b,n) -= c,
 * count(z,n) += c (c = the word's count). Counts of pairs without z only go down, so the
 * heap may keep their old, higher entries (they are refreshed when they reach the top);
 * every pair whose count went up is pushed again after the merge.
 *
 * Tie-breaking (deterministic, independent of input order and thread count): the pair
 * with the highest count is merged; among equal counts, the pair whose byte strings are
 * lexicographically greatest, comparing the first token's bytes and then the second's
 * (Python's `max` over `(count, (bytes_a, bytes_b))`, as in the Stanford CS336 reference
 * trainer). Hugging Face's trainer instead prefers the smallest (id_a, id_b) among
 * equal counts; `tieBreak: 'ids'` selects that rule.
 */
import { BYTE_TO_UNICODE } from './byte-level.ts';
import { PairHeap } from './pair-heap.ts';
import { PairIdTable } from './pair-id-table.ts';

/** Inputs of the merge loop. */
export interface MergeLoopOptions {
  /** Number of ids wanted in total: special tokens + 256 bytes + merged tokens. */
  vocabSize: number;
  /** Number of special tokens that come first (ids 0 .. n-1). */
  specialCount: number;
  /** Stop when the best pair occurs fewer times than this. */
  minFrequency: number;
  /** Never create a token longer than this many bytes. */
  maxTokenLength: number;
  /**
   * Among pairs with equal counts: 'bytes' (default) merges the lexicographically greatest
   * (left bytes, right bytes) (CS336); 'ids' the smallest (left id, right id) (HF's rule).
   */
  tieBreak?: 'bytes' | 'ids';
  /** Called every few merges with (merges done, merges wanted at most). */
  onProgress?: (done: number, total: number) => void;
}

/** What the merge loop learns. */
export interface MergeLoopResult {
  /** Bytes of every id after the special tokens' ids (ids < specialCount are empty arrays here). */
  tokenBytes: Uint8Array[];
  /** The merges in order: [left id, right id, merged id]. */
  merges: Array<[number, number, number]>;
}

/**
 * Ids of the 256 single bytes: they follow the special tokens, in the order of their
 * GPT-2 byte-level characters (the order Hugging Face's trainer and the CS336 reference
 * vocabulary use): '!' .. '~', '¡' .. '¬', '®' .. 'ÿ', then the 68 remapped bytes.
 */
export function byteIds(specialCount: number): Int32Array {
  const order = Array.from({ length: 256 }, (_, b) => b).sort((x, y) => BYTE_TO_UNICODE[x]!.charCodeAt(0) - BYTE_TO_UNICODE[y]!.charCodeAt(0));
  const ids = new Int32Array(256);
  order.forEach((b, rank) => (ids[b] = specialCount + rank));
  return ids;
}

/** Lexicographic comparison of byte strings (a shorter prefix is smaller). */
function compareBytes(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function latin1Key(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function grownInt32(a: Int32Array, min: number, fill = 0): Int32Array<ArrayBuffer> {
  let n = a.length;
  while (n < min) n *= 2;
  const out = new Int32Array(n);
  out.set(a);
  if (fill !== 0) out.fill(fill, a.length);
  return out;
}

/**
 * Learns merges from word counts (word -> how often it occurs). Words are UTF-8 encoded.
 *
 * @example
 * runMergeLoop(new Map([['low', 5], ['lower', 2]]), { vocabSize: 258, specialCount: 0, minFrequency: 1, maxTokenLength: 1 << 30 })
 * // (l,o) and (o,w) both occur 7 times; 'o' > 'l', so 'o'+'w' comes first:
 * // merges [[78, 86, 256], [75, 256, 257]]: tokenBytes[256] = 'ow', tokenBytes[257] = 'low'
 */
export function runMergeLoop(words: ReadonlyMap<string, number>, opts: MergeLoopOptions): MergeLoopResult {
  const { vocabSize, specialCount, minFrequency, maxTokenLength } = opts;
  const ids = byteIds(specialCount);
  const tokenBytes: Uint8Array[] = [];
  for (let i = 0; i < specialCount; i++) tokenBytes.push(new Uint8Array(0));
  for (let r = 0; r < 256; r++) tokenBytes.push(new Uint8Array(0));
  for (let b = 0; b < 256; b++) tokenBytes[ids[b]!] = Uint8Array.of(b);
  const idOfBytes = new Map<string, number>();
  for (let b = 0; b < 256; b++) idOfBytes.set(String.fromCharCode(b), ids[b]!);

  // ---- words -> flat symbol lists ----
  const encoder = new TextEncoder();
  let total = 0;
  let nWords = 0;
  for (const w of words.keys()) {
    // UTF-8 length bound: 3 bytes per UTF-16 unit.
    total += w.length * 3;
    nWords++;
  }
  const tok = new Int32Array(total);
  const wordStart = new Int32Array(nWords);
  const wordCount = new Float64Array(nWords);
  let pos = 0;
  let nw = 0;
  let buf = new Uint8Array(1024);
  for (const [w, c] of words) {
    if (c <= 0) continue;
    if (buf.length < w.length * 3) buf = new Uint8Array(w.length * 3);
    const { written } = encoder.encodeInto(w, buf);
    if (written < 2) continue; // a single byte has no pair
    wordStart[nw] = pos;
    wordCount[nw++] = c;
    for (let i = 0; i < written; i++) tok[pos++] = ids[buf[i]!]!;
  }
  const nxt = new Int32Array(pos);
  const prv = new Int32Array(pos);
  const wordOf = new Int32Array(pos);
  for (let w = 0; w < nw; w++) {
    const s = wordStart[w]!;
    const e = w + 1 < nw ? wordStart[w + 1]! : pos;
    for (let i = s; i < e; i++) {
      prv[i] = i === s ? -1 : i - 1;
      nxt[i] = i + 1 === e ? -1 : i + 1;
      wordOf[i] = w;
    }
  }

  // ---- per-pair state ----
  const table = new PairIdTable(1 << 16);
  let cap = 1 << 16;
  let count = new Float64Array(cap);
  let head = new Int32Array(cap).fill(-1); // first entry of the pair's position list
  let touched = new Int32Array(cap).fill(-1); // merge step that last raised the count
  let occPos = new Int32Array(Math.max(1024, pos));
  let occNext = new Int32Array(Math.max(1024, pos));
  let nOcc = 0;
  const ensurePairs = (n: number): void => {
    if (n <= cap) return;
    let c2 = cap;
    while (c2 < n) c2 *= 2;
    const cnt = new Float64Array(c2);
    cnt.set(count);
    count = cnt;
    head = grownInt32(head, c2, -1);
    touched = grownInt32(touched, c2, -1);
    cap = c2;
  };
  const addOcc = (pid: number, i: number): void => {
    if (nOcc === occPos.length) {
      occPos = grownInt32(occPos, nOcc + 1);
      occNext = grownInt32(occNext, nOcc + 1);
    }
    occPos[nOcc] = i;
    occNext[nOcc] = head[pid]!;
    head[pid] = nOcc++;
  };

  // Initial pair counts: the only full pass over the words.
  for (let i = 0; i < pos; i++) {
    const j = nxt[i]!;
    if (j === -1) continue;
    const pid = table.getOrAdd(tok[i]!, tok[j]!);
    if (pid >= cap) ensurePairs(pid + 1);
    count[pid] += wordCount[wordOf[i]!]!;
    addOcc(pid, i);
  }

  const first = (): Int32Array => table.first;
  const second = (): Int32Array => table.second;
  const preferBytes = (p: number, q: number): number => {
    const f = first();
    const s = second();
    const d = compareBytes(tokenBytes[f[p]!]!, tokenBytes[f[q]!]!);
    return d !== 0 ? d : compareBytes(tokenBytes[s[p]!]!, tokenBytes[s[q]!]!);
  };
  const preferIds = (p: number, q: number): number => {
    const f = first();
    const d = f[q]! - f[p]!;
    return d !== 0 ? d : second()[q]! - second()[p]!;
  };
  const prefer = opts.tieBreak === 'ids' ? preferIds : preferBytes;
  const fits = (pid: number): boolean => tokenBytes[table.first[pid]!]!.length + tokenBytes[table.second[pid]!]!.length <= maxTokenLength;
  const heap = new PairHeap(prefer, Math.max(1024, table.size * 2));
  for (let pid = 0; pid < table.size; pid++) if (count[pid]! > 0 && fits(pid)) heap.push(pid, count[pid]!);

  // ---- merges ----
  const merges: Array<[number, number, number]> = [];
  let todo = new Int32Array(1024);
  const raised: number[] = []; // pairs whose count went up in this merge
  let step = 0;
  let best = -1;
  const dec = (x: number, y: number, c: number): void => {
    const pid = table.get(x, y);
    if (pid !== best) count[pid] -= c;
  };
  const inc = (x: number, y: number, c: number, at: number): void => {
    const pid = table.getOrAdd(x, y);
    if (pid >= cap) ensurePairs(pid + 1);
    count[pid] += c;
    addOcc(pid, at);
    if (touched[pid] !== step) {
      touched[pid] = step;
      raised.push(pid);
    }
  };
  /** Rewrites every occurrence of (a, b) as z and updates the pair counts around it. */
  const applyMerge = (a: number, b: number, z: number): void => {
    // The positions where (a, b) may start, in increasing order.
    let k = 0;
    for (let e = head[best]!; e !== -1; e = occNext[e]!) {
      if (k === todo.length) todo = grownInt32(todo, k + 1);
      todo[k++] = occPos[e]!;
    }
    head[best] = -1;
    const order = todo.subarray(0, k).sort();
    for (let t = 0; t < k; t++) {
      const i = order[t]!;
      const j = nxt[i]!;
      if (tok[i] !== a || j === -1 || tok[j] !== b) continue; // stale entry (or a duplicate)
      const c = wordCount[wordOf[i]!]!;
      const p = prv[i]!;
      const n = nxt[j]!;
      if (p !== -1) {
        dec(tok[p]!, a, c);
        inc(tok[p]!, z, c, p);
      }
      if (n !== -1) {
        dec(b, tok[n]!, c);
        inc(z, tok[n]!, c, i);
        prv[n] = i;
      }
      tok[i] = z;
      nxt[i] = n;
      tok[j] = -1;
    }
  };

  let nTokens = specialCount + 256;
  const wanted = Math.max(0, vocabSize - nTokens);
  while (nTokens < vocabSize) {
    best = -1;
    while (heap.size > 0) {
      const pid = heap.topPair();
      const cur = count[pid]!;
      if (cur === heap.topCount()) {
        best = pid;
        break;
      }
      heap.pop();
      if (cur > 0) heap.push(pid, cur);
    }
    if (best < 0 || count[best]! < minFrequency || count[best]! <= 0) break;
    heap.pop();
    const a = table.first[best]!;
    const b = table.second[best]!;
    const ab = new Uint8Array(tokenBytes[a]!.length + tokenBytes[b]!.length);
    ab.set(tokenBytes[a]!);
    ab.set(tokenBytes[b]!, tokenBytes[a]!.length);
    const key = latin1Key(ab);
    let z = idOfBytes.get(key);
    if (z === undefined) {
      z = tokenBytes.length;
      tokenBytes.push(ab);
      idOfBytes.set(key, z);
      nTokens++;
    }
    merges.push([a, b, z]);
    count[best] = 0;
    raised.length = 0;
    applyMerge(a, b, z);
    for (const pid of raised) if (count[pid]! > 0 && fits(pid)) heap.push(pid, count[pid]!);
    step++;
    if (opts.onProgress && (step & 255) === 0) opts.onProgress(step, wanted);
  }
  opts.onProgress?.(step, wanted);
  return { tokenBytes, merges };
}
