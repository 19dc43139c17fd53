/**
 * Word (pre-token) counting for the BPE trainer: text -> Map<piece, count>, where the
 * pieces are what the split pattern cuts out of the text, and special tokens are cut out
 * of the text first (they separate documents and never take part in merges, as in the
 * CS336 reference trainer).
 *
 * Large inputs are counted in parallel worker threads (`node:worker_threads`), and files
 * are read in blocks, so memory holds one block, not the corpus. The result is identical
 * to the single-threaded count of the whole text because the text is only ever cut at
 * places where every match of the serial run ends:
 * - at special tokens (the serial run splits there too), and
 * - for the built-in patterns (gpt2, r50k, cl100k, o200k), just before a letter that
 *   follows '\n' (and not inside a special token). No alternative of those patterns can
 *   match '\n' followed by a letter (the only alternatives that match '\n' end in
 *   whitespace, or in '/' for o200k), none uses look-behind or '^', so a match always
 *   ends at such a place and the serial run restarts there exactly as a fresh run would.
 *   Each piece of text is matched with its next character appended as context (for
 *   `(?!\S)` and `$`), and matches starting in that context are not counted.
 * Custom patterns are only cut at special tokens (and files are then read whole).
 *
 * @example
 * countWords(['the cat<|endoftext|>the'], { pattern: 'gpt2', specialTokens: ['<|endoftext|>'] })
 * // Map { 'the' => 2, ' cat' => 1 }
 */
import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { LlmtsError } from '../util/errors.ts';
import { resolvePattern, splitText, toJsPatternSource, toJsRegExp, SPLIT_PATTERNS } from './split-patterns.ts';
import { scannerFor, type PieceScanner } from './split-scanners.ts';
import { WORD_COUNT_WORKER_SOURCE } from './word-count-worker.ts';

/** Options shared by the serial and the parallel word counters. */
export interface WordCountOptions {
  /** Split pattern: 'gpt2' | 'r50k' | 'cl100k' | 'o200k' or a pattern source. Default 'gpt2'. */
  pattern?: string;
  /** Special tokens: the text is split on them and they are not counted. */
  specialTokens?: readonly string[];
  /** Threads (this one included) for the parallel counters. Default: available cores (at most 8). */
  threads?: number;
  /** Below this many UTF-16 units (or bytes, for files) in total, count on this thread only. Default 1 MiB. */
  minParallelChars?: number;
  /** Files are read in blocks of about this many UTF-16 units. Default 32 Mi. */
  blockChars?: number;
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

/** A unit of work: count the pieces starting in [0, limit) of `text` (the rest is context). */
interface WorkItem {
  text: string;
  limit: number;
}

/** Regex that matches any of the special tokens, longest first; null when there are none. */
function specialSplitter(specialTokens: readonly string[]): RegExp | null {
  if (specialTokens.length === 0) return null;
  const alts = [...specialTokens].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(alts.join('|'), 'gu');
}

/** Calls `onSegment(start, end)` for each stretch of `text[0, limit)` between special tokens. */
function forEachSegment(text: string, limit: number, special: RegExp | null, onSegment: (start: number, end: number) => void): void {
  let pos = 0;
  if (special !== null) {
    special.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = special.exec(text)) !== null && m.index < limit) {
      if (m.index > pos) onSegment(pos, m.index);
      pos = m.index + m[0].length;
    }
  }
  if (pos < limit) onSegment(pos, limit);
}

/**
 * Adds the pieces of `text` whose start is before `limit` to `counts`. The part of `text`
 * after `limit` is look-ahead context (see the file comment). `split` is the pattern's
 * regex, or its hand-written scanner (split-scanners.ts: the same pieces, about twice as
 * fast; workers use the regex, and the tests check that both agree).
 */
export function countPiecesInto(counts: Map<string, number>, text: string, split: RegExp | PieceScanner, limit = text.length): void {
  if (typeof split === 'function') {
    for (let i = 0; i < limit;) {
      const end = split(text, i);
      if (end <= i) throw new Error(`pre-tokenizer scanner made no progress at ${i}`);
      const piece = text.slice(i, end);
      counts.set(piece, (counts.get(piece) ?? 0) + 1);
      i = end;
    }
    return;
  }
  splitText(text, split, (start, end) => {
    if (start >= limit) return;
    const piece = text.slice(start, end);
    counts.set(piece, (counts.get(piece) ?? 0) + 1);
  });
}

/** The fastest exact splitter for a pattern: its scanner if there is one, else its regex. */
function splitterFor(pattern: string): RegExp | PieceScanner {
  return scannerFor(resolvePattern(pattern)) ?? toJsRegExp(pattern);
}

const LETTER = /\p{L}/u;
/** True when a letter starts at `text[i]`: a cheap test for ASCII, a regex otherwise. */
function isLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return LETTER.test(String.fromCodePoint(text.codePointAt(i)!));
}

/** The first cut ('\n' then a letter) in `text[from, end)` after `from`, or -1. */
function nextCut(text: string, from: number, end: number): number {
  let probe = from;
  while (probe < end) {
    const nl = text.indexOf('\n', probe);
    if (nl < 0 || nl + 1 >= end) return -1;
    if (isLetterAt(text, nl + 1)) return nl + 1;
    probe = nl + 1;
  }
  return -1;
}

/**
 * Cuts `text[0, limit)` (context after it) into work items of about `target` units: at
 * special tokens, and for built-in patterns at '\n' + letter.
 */
function makeItems(text: string, limit: number, special: RegExp | null, cuttable: boolean, target: number, out: WorkItem[]): void {
  forEachSegment(text, limit, special, (start, end) => {
    // A segment that ends at `limit` (not at a special token) may look past it.
    const ctxEnd = end === limit ? Math.min(limit + 2, text.length) : end;
    let from = start;
    while (cuttable && end - from > target * 1.5) {
      const cut = nextCut(text, from + target, end);
      if (cut < 0) break;
      out.push({ text: text.slice(from, Math.min(cut + 2, ctxEnd)), limit: cut - from });
      from = cut;
    }
    out.push({ text: text.slice(from, Math.min(end + 2, ctxEnd)), limit: end - from });
  });
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

/**
 * Counts text fed to it piece by piece (`add`), on this thread and `threads - 1`
 * workers that take work items from a shared queue; `finish` returns the total counts.
 */
class WordCounter {
  private readonly split: RegExp | PieceScanner;
  private readonly special: RegExp | null;
  private readonly cuttable: boolean;
  private readonly counts = new Map<string, number>();
  private readonly queue: WorkItem[] = [];
  private readonly idle: Worker[] = [];
  private readonly results: Promise<WordCountReply>[] = [];
  private readonly workers: Worker[] = [];
  private finishing = false;

  constructor(private readonly opts: WordCountOptions, private readonly threads: number) {
    const pattern = opts.pattern ?? 'gpt2';
    this.split = splitterFor(pattern);
    this.special = specialSplitter(opts.specialTokens ?? []);
    this.cuttable = Object.prototype.hasOwnProperty.call(SPLIT_PATTERNS, pattern);
    const source = toJsPatternSource(resolvePattern(pattern));
    for (let t = 1; t < threads; t++) this.startWorker(source);
  }

  private startWorker(regexSource: string): void {
    const worker = new Worker(WORD_COUNT_WORKER_SOURCE, { eval: true, workerData: regexSource });
    this.workers.push(worker);
    this.results.push(new Promise((resolve, reject) => {
      worker.on('message', (msg: WordCountMessage) => {
        if ('ready' in msg) this.feed(worker);
        else {
          resolve(msg.result);
          void worker.terminate();
        }
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`word-count worker exited with code ${code}`));
      });
    }));
  }

  /** Gives a waiting worker its next item, or `done` when finishing, or parks it. */
  private feed(worker: Worker): void {
    const item = this.queue.shift();
    if (item !== undefined) worker.postMessage(item);
    else if (this.finishing) worker.postMessage({ done: true });
    else this.idle.push(worker);
  }

  /** Counts the pieces starting in `text[0, limit)`; `text[limit..]` is look-ahead only. */
  async add(text: string, limit = text.length): Promise<void> {
    if (this.threads === 1) {
      forEachSegment(text, limit, this.special, (start, end) => {
        const ctxEnd = end === limit ? Math.min(limit + 2, text.length) : end;
        countPiecesInto(this.counts, start === 0 && ctxEnd === text.length ? text : text.slice(start, ctxEnd), this.split, end - start);
      });
      return;
    }
    const target = Math.max(1 << 16, Math.ceil(limit / (this.threads * 8)));
    makeItems(text, limit, this.special, this.cuttable, target, this.queue);
    while (this.idle.length > 0 && this.queue.length > 0) this.feed(this.idle.pop()!);
    // This thread takes items too, yielding between them so that workers get served.
    let item: WorkItem | undefined;
    while ((item = this.queue.shift()) !== undefined) {
      countPiecesInto(this.counts, item.text, this.split, item.limit);
      await yieldToEventLoop();
    }
  }

  /** Waits for the workers and returns all counts. */
  async finish(): Promise<Map<string, number>> {
    this.finishing = true;
    while (this.idle.length > 0) this.feed(this.idle.pop()!);
    for (const r of await Promise.all(this.results)) mergeReply(this.counts, r);
    return this.counts;
  }

  /** Stops the workers (after an error). */
  abort(): void {
    for (const w of this.workers) void w.terminate();
  }

  /**
   * The last place in `text` where it may be cut into independently counted parts, or -1:
   * '\n' + letter, not inside or next to a special token.
   */
  lastCut(text: string): number {
    if (!this.cuttable || (this.opts.specialTokens ?? []).some((t) => t.includes('\n'))) return -1;
    const spans: number[] = [];
    if (this.special !== null) {
      this.special.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = this.special.exec(text)) !== null) spans.push(m.index, m.index + m[0].length);
    }
    let s = spans.length - 2;
    for (let nl = text.lastIndexOf('\n', text.length - 3); nl > 0; nl = text.lastIndexOf('\n', nl - 1)) {
      const cut = nl + 1;
      if (!isLetterAt(text, cut)) continue;
      while (s >= 0 && spans[s]! > cut + 1) s -= 2;
      if (s >= 0 && spans[s + 1]! > nl) continue; // a special token touches [nl, cut + 2)
      return cut;
    }
    return -1;
  }
}

function threadCount(opts: WordCountOptions, total: number): number {
  const threads = Math.max(1, Math.min(opts.threads ?? Math.min(availableParallelism(), 8), 64));
  return total < (opts.minParallelChars ?? 1 << 20) ? 1 : threads;
}

/**
 * Counts the pre-tokens of `texts` on this thread.
 *
 * @example
 * countWords(['hello hello world'])  // Map { 'hello' => 1, ' hello' => 1, ' world' => 1 }
 */
export function countWords(texts: readonly string[], opts: WordCountOptions = {}): Map<string, number> {
  const split = splitterFor(opts.pattern ?? 'gpt2');
  const special = specialSplitter(opts.specialTokens ?? []);
  const counts = new Map<string, number>();
  for (const text of texts) {
    forEachSegment(text, text.length, special, (start, end) => {
      countPiecesInto(counts, start === 0 && end === text.length ? text : text.slice(start, end), split);
    });
  }
  return counts;
}

/**
 * Counts the pre-tokens of `texts` using worker threads and this thread; the result
 * equals `countWords` (same words, same counts). Small inputs are counted on this thread.
 * Work is handed out in small items, so slow-starting workers do not hold things up.
 */
export async function countWordsParallel(texts: readonly string[], opts: WordCountOptions = {}): Promise<Map<string, number>> {
  const threads = threadCount(opts, texts.reduce((n, t) => n + t.length, 0));
  if (threads === 1) return countWords(texts, opts);
  const counter = new WordCounter(opts, threads);
  try {
    for (const text of texts) await counter.add(text);
    return await counter.finish();
  } catch (err) {
    counter.abort();
    throw err;
  }
}

/**
 * Counts the pre-tokens of UTF-8 files, each file counted as one text (the result equals
 * `countWords` on the files' contents). Files are read in blocks of about
 * `opts.blockChars`, cut at safe places (see the file comment), so memory holds about one
 * block, not the corpus; `sizeBytes` (the files' total size) decides whether to use workers.
 */
export async function countWordsInFiles(files: readonly string[], sizeBytes: number, opts: WordCountOptions = {}): Promise<Map<string, number>> {
  const counter = new WordCounter(opts, threadCount(opts, sizeBytes));
  const block = opts.blockChars ?? 1 << 25;
  try {
    for (const file of files) {
      let pending = '';
      try {
        for await (const part of createReadStream(file, { encoding: 'utf8', highWaterMark: Math.min(block, 1 << 24) })) {
          pending += part as string;
          if (pending.length < block) continue;
          const cut = counter.lastCut(pending);
          if (cut <= 0) continue;
          await counter.add(pending, cut);
          pending = pending.slice(cut);
        }
      } catch (err) {
        throw new LlmtsError('E_BPE_TRAIN', `cannot read training file ${file}`, { where: file, hint: 'check the path and that it is a readable UTF-8 text file', cause: err });
      }
      if (pending.length > 0) await counter.add(pending);
    }
    return await counter.finish();
  } catch (err) {
    counter.abort();
    throw err;
  }
}
