/**
 * Word (pre-token) counting for the BPE trainer: text -> Map<piece, count>, where the
 * pieces are what the split pattern cuts out of the text, and special tokens are cut out
 * of the text first (they separate documents and never take part in merges, as in the
 * cs336 reference trainer).
 *
 * Large inputs are counted in parallel worker threads (`node:worker_threads`). The result
 * is identical to the single-threaded count because the text is only ever cut at places
 * where every match of the serial run ends:
 * - at special tokens (the serial run splits there too), and
 * - for the built-in patterns (gpt2, r50k, cl100k, o200k), just before a letter that
 *   follows '\n'. No alternative of those patterns can match '\n' followed by a letter
 *   (the only alternatives that match '\n' end in whitespace, or in '/' for o200k), none
 *   uses look-behind or '^', so a match always ends at such a place and the serial run
 *   restarts there exactly as a fresh run would. Each chunk is matched with its next
 *   character appended as context (for `(?!\S)` and `$`), and matches starting in that
 *   context character are not counted.
 * Custom patterns are only cut at special tokens.
 *
 * @example
 * countWords(['the cat<|endoftext|>the'], { pattern: 'gpt2', specialTokens: ['<|endoftext|>'] })
 * // Map { 'the' => 2, ' cat' => 1 }
 */
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { resolvePattern, splitText, toJsPatternSource, toJsRegExp, SPLIT_PATTERNS } from './split-patterns.ts';
import { WORD_COUNT_WORKER_SOURCE } from './word-count-worker.ts';

/** Options shared by the serial and the parallel word counter. */
export interface WordCountOptions {
  /** Split pattern: 'gpt2' | 'r50k' | 'cl100k' | 'o200k' or a pattern source. Default 'gpt2'. */
  pattern?: string;
  /** Special tokens: the text is split on them and they are not counted. */
  specialTokens?: readonly string[];
  /** Worker threads for `countWordsParallel`. Default: available cores (at most 8). */
  threads?: number;
  /** Below this many UTF-16 units in total, `countWordsParallel` counts on this thread. Default 1 MiB. */
  minParallelChars?: number;
}

/** One unit of work: `text[start, end)`, inside the special-token segment ending at `segEnd`. */
interface Chunk {
  text: string;
  start: number;
  end: number;
  segEnd: number;
}

/** Messages from the main thread to a word-count worker: a chunk to count, or the end. */
export type WordCountRequest = { text: string; limit: number } | { done: true };

/** Messages from a word-count worker: ready for a chunk, or its final counts. */
export type WordCountMessage = { ready: true } | { result: WordCountReply };

/** A worker's counts: the words concatenated, their lengths and counts. */
export interface WordCountReply {
  words: string;
  lengths: Uint32Array;
  counts: Float64Array;
}

/** Regex that matches any of the special tokens, longest first; null when there are none. */
function specialSplitter(specialTokens: readonly string[]): RegExp | null {
  if (specialTokens.length === 0) return null;
  const alts = [...specialTokens].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(alts.join('|'), 'gu');
}

/** Calls `onSegment(start, end)` for each stretch of `text` between special tokens. */
function forEachSegment(text: string, special: RegExp | null, onSegment: (start: number, end: number) => void): void {
  if (special === null) {
    onSegment(0, text.length);
    return;
  }
  special.lastIndex = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = special.exec(text)) !== null) {
    if (m.index > pos) onSegment(pos, m.index);
    pos = m.index + m[0].length;
  }
  if (pos < text.length) onSegment(pos, text.length);
}

/**
 * Adds the pieces of `text` whose start is before `limit` to `counts`. The part of `text`
 * after `limit` is look-ahead context (see the file comment).
 */
export function countPiecesInto(counts: Map<string, number>, text: string, re: RegExp, limit = text.length): void {
  splitText(text, re, (start, end) => {
    if (start >= limit) return;
    const piece = text.slice(start, end);
    counts.set(piece, (counts.get(piece) ?? 0) + 1);
  });
}

/** True when `code` (a UTF-16 unit) starts a letter: a cheap test for ASCII, a regex otherwise. */
const LETTER = /\p{L}/u;
function isLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return LETTER.test(String.fromCodePoint(text.codePointAt(i)!));
}

/** Cuts `text[start, end)` into chunks of about `target` units at safe places ('\n' + letter). */
function cutAtNewlines(text: string, start: number, end: number, target: number, out: Chunk[]): void {
  let from = start;
  while (end - from > target * 1.5) {
    let cut = -1;
    let probe = from + target;
    while (probe < end) {
      const nl = text.indexOf('\n', probe);
      if (nl < 0 || nl + 1 >= end) break;
      if (isLetterAt(text, nl + 1)) {
        cut = nl + 1;
        break;
      }
      probe = nl + 1;
    }
    if (cut < 0) break;
    out.push({ text, start: from, end: cut, segEnd: end });
    from = cut;
  }
  out.push({ text, start: from, end, segEnd: end });
}

/** Splits the input into independent chunks whose counts add up to the serial count. */
function makeChunks(texts: readonly string[], opts: WordCountOptions, target: number): Chunk[] {
  const special = specialSplitter(opts.specialTokens ?? []);
  const pattern = opts.pattern ?? 'gpt2';
  const cuttable = Object.prototype.hasOwnProperty.call(SPLIT_PATTERNS, pattern);
  const chunks: Chunk[] = [];
  for (const text of texts) {
    forEachSegment(text, special, (start, end) => {
      if (cuttable) cutAtNewlines(text, start, end, target, chunks);
      else chunks.push({ text, start, end, segEnd: end });
    });
  }
  return chunks;
}

/**
 * The chunk's text with one character (two UTF-16 units) of look-ahead, never past its
 * segment, and the number of units whose pieces are counted.
 */
function chunkText(c: Chunk): { text: string; limit: number } {
  const stop = Math.min(c.end + 2, c.segEnd);
  return { text: c.text.slice(c.start, stop), limit: c.end - c.start };
}

/**
 * Counts the pre-tokens of `texts` on this thread.
 *
 * @example
 * countWords(['hello hello world'])  // Map { 'hello' => 1, ' hello' => 1, ' world' => 1 }
 */
export function countWords(texts: readonly string[], opts: WordCountOptions = {}): Map<string, number> {
  const re = toJsRegExp(opts.pattern ?? 'gpt2');
  const special = specialSplitter(opts.specialTokens ?? []);
  const counts = new Map<string, number>();
  for (const text of texts) {
    forEachSegment(text, special, (start, end) => {
      countPiecesInto(counts, start === 0 && end === text.length ? text : text.slice(start, end), re);
    });
  }
  return counts;
}

/** Adds a worker's reply into `counts`. */
function mergeReply(counts: Map<string, number>, reply: WordCountReply): void {
  let pos = 0;
  for (let i = 0; i < reply.lengths.length; i++) {
    const len = reply.lengths[i]!;
    const w = reply.words.slice(pos, pos + len);
    pos += len;
    counts.set(w, (counts.get(w) ?? 0) + reply.counts[i]!);
  }
}

/** Starts a word-count worker for a JS regex source (see word-count-worker.ts). */
function startWorker(regexSource: string): Worker {
  return new Worker(WORD_COUNT_WORKER_SOURCE, { eval: true, workerData: regexSource });
}

/**
 * Runs one worker: hands it chunks from `queue` (shared with the other workers and the
 * main thread) until none is left, then resolves with its counts.
 */
function runWorker(regexSource: string, queue: { next: number; items: { text: string; limit: number }[] }): Promise<WordCountReply> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(regexSource);
    worker.on('message', (msg: WordCountMessage) => {
      if ('ready' in msg) {
        const item = queue.items[queue.next];
        if (item !== undefined) queue.next++;
        worker.postMessage(item ?? { done: true });
      } else {
        resolve(msg.result);
        void worker.terminate();
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`word-count worker exited with code ${code}`));
    });
  });
}

/**
 * Counts the pre-tokens of `texts` using worker threads and this thread; the result
 * equals `countWords` (same words, same counts). Small inputs are counted on this thread.
 * Chunks are handed out one at a time, so slow-starting workers do not hold things up.
 */
export async function countWordsParallel(texts: readonly string[], opts: WordCountOptions = {}): Promise<Map<string, number>> {
  const total = texts.reduce((n, t) => n + t.length, 0);
  const threads = Math.max(1, Math.min(opts.threads ?? Math.min(availableParallelism(), 8), 64));
  if (threads === 1 || total < (opts.minParallelChars ?? 1 << 20)) return countWords(texts, opts);
  const pattern = opts.pattern ?? 'gpt2';
  const chunks = makeChunks(texts, opts, Math.max(1 << 16, Math.ceil(total / (threads * 16))));
  const queue = { next: 0, items: chunks.map(chunkText) };
  const workers = Array.from({ length: threads - 1 }, () => runWorker(toJsPatternSource(resolvePattern(pattern)), queue));
  // This thread takes chunks too, yielding between them so workers get served.
  const counts = new Map<string, number>();
  const re = toJsRegExp(pattern);
  while (queue.next < queue.items.length) {
    const item = queue.items[queue.next++]!;
    countPiecesInto(counts, item.text, re, item.limit);
    await yieldToEventLoop();
  }
  for (const r of await Promise.all(workers)) mergeReply(counts, r);
  return counts;
}
