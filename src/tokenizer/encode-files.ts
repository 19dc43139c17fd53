/**
 * Parallel encoding of text files for datasets: files are cut into ~1 MB chunks at points
 * where cutting cannot change the pre-tokenization, and the chunks are encoded by worker
 * threads on all cores. The ids are the same as `tokenizer.encode(fileText)`.
 *
 * Safe cut points: just after a '\n' that follows a non-whitespace character and precedes
 * an ASCII letter or digit. There every built-in split pattern (gpt2, r50k, cl100k, o200k)
 * ends one piece and starts the next, whether or not the text continues. Custom patterns,
 * `addPrefixSpace`, or allowed special tokens containing '\n' disable cutting inside a file
 * (files are still spread over the workers).
 *
 * @example
 * const ids = await encodeFiles(['a.txt', 'b.txt'], builtinTokenizer('gpt2'));
 * ids[0];  // Uint32Array, the ids of a.txt
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LlmtsError } from '../util/errors.ts';
import type { BpeSpec, BpeTokenizer } from './bpe.ts';
import { SPLIT_PATTERNS } from './split-patterns.ts';
import type { EncodeOptions } from './types.ts';

/** Options of `encodeFiles`. */
export interface EncodeFilesOptions {
  /** Worker threads. Default: all cores (`os.availableParallelism()`). */
  threads?: number;
  /** Target chunk size in UTF-16 units. Default 1 << 20. */
  chunkChars?: number;
  /** Special tokens that may be matched (as in `encode`). Default none. */
  allowedSpecial?: EncodeOptions['allowedSpecial'];
  /** Called after each finished chunk with the characters done so far and the total. */
  onProgress?: (doneChars: number, totalChars: number) => void;
}

function isSafeCut(text: string, i: number): boolean {
  // text[i - 1] === '\n'
  const before = text.charCodeAt(i - 2);
  const after = text.charCodeAt(i);
  const beforeOk = !(before <= 32 || before === 0x85 || before === 0xa0 || (before >= 0x2000 && before <= 0x200a) || before === 0x1680 || before === 0x2028 || before === 0x2029 || before === 0x202f || before === 0x205f || before === 0x3000);
  const afterOk = (after >= 48 && after <= 57) || (after >= 65 && after <= 90) || (after >= 97 && after <= 122);
  return beforeOk && afterOk;
}

/** Cuts `text` into chunks of about `target` characters at safe points (see module doc). */
export function chunkText(text: string, target: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (text.length - start > target) {
    let cut = -1;
    for (let i = text.indexOf('\n', start + target); i >= 0 && i + 1 < text.length; i = text.indexOf('\n', i + 1)) {
      if (isSafeCut(text, i + 1)) {
        cut = i + 1;
        break;
      }
    }
    if (cut < 0) break;
    out.push(text.slice(start, cut));
    start = cut;
  }
  out.push(text.slice(start));
  return out;
}

/** A BpeSpec packed into a few flat arrays: cloning 100k small Uint8Arrays to a worker is slow. */
export interface PackedBpeSpec {
  bytes: Uint8Array;
  /** offsets[i]..offsets[i + 1] are the bytes of id i; -1 marks a hole. */
  offsets: Int32Array;
  /** Merges as id pairs (a0, b0, a1, b1, ...), or null for tiktoken ranks. */
  merges: Int32Array | null;
  specials: [string, number][];
  pattern: string;
  ignoreMerges: boolean;
  addPrefixSpace: boolean;
}

/** Packs a tokenizer's spec for a worker (see `unpackSpec`). */
export function packSpec(tok: BpeTokenizer): PackedBpeSpec {
  const vocab = tok.vocabBytes();
  const offsets = new Int32Array(vocab.length + 1);
  let total = 0;
  for (const b of vocab) total += b?.length ?? 0;
  const bytes = new Uint8Array(total);
  let off = 0;
  vocab.forEach((b, i) => {
    offsets[i] = b === undefined ? -1 : off;
    if (b !== undefined) {
      bytes.set(b, off);
      off += b.length;
    }
  });
  offsets[vocab.length] = off;
  const m = tok.merges();
  return {
    bytes, offsets, merges: m === undefined ? null : Int32Array.from(m.flat()), specials: [...tok.specialTokens()],
    pattern: tok.pattern, ignoreMerges: tok.ignoreMerges, addPrefixSpace: tok.addPrefixSpace,
  };
}

/** Rebuilds the BpeSpec packed by `packSpec`. */
export function unpackSpec(p: PackedBpeSpec): BpeSpec {
  const n = p.offsets.length - 1;
  const vocab: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(n);
  for (let i = 0; i < n; i++) {
    if (p.offsets[i]! < 0) continue;
    let end = i + 1;
    while (p.offsets[end]! < 0) end++;
    vocab[i] = p.bytes.subarray(p.offsets[i]!, p.offsets[end]!);
  }
  let merges: [Uint8Array, Uint8Array][] | undefined;
  if (p.merges !== null) {
    merges = [];
    for (let i = 0; i < p.merges.length; i += 2) merges.push([vocab[p.merges[i]!]!, vocab[p.merges[i + 1]!]!]);
  }
  return { vocab, merges, specialTokens: new Map(p.specials), pattern: p.pattern, ignoreMerges: p.ignoreMerges, addPrefixSpace: p.addPrefixSpace };
}

/**
 * Starts a worker. From the compiled package the worker is plain JS; from TypeScript
 * sources (tsx) a tiny CommonJS bootstrap registers tsx's loader first, since Node 20 does
 * not pass the parent's loader hooks to workers.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./encode-files-worker.js', import.meta.url), { workerData });
  const url = new URL('./encode-files-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

type WorkerReply = { ready: true } | { id: number; ids: Uint32Array };

/**
 * A pool of encoding workers for one tokenizer, for callers that encode several batches
 * (start-up - rebuilding the tokenizer in each worker - is paid once).
 *
 * @example
 * const pool = await EncodePool.start(builtinTokenizer('gpt2'));
 * const ids = await pool.encodeFiles(['a.txt', 'b.txt']);
 * await pool.close();
 */
export class EncodePool {
  private readonly idle: Worker[] = [];
  private waiting: (() => void)[] = [];
  private failure: unknown;

  private constructor(private readonly tokenizer: BpeTokenizer, private readonly workers: Worker[], private readonly allowedSpecial: EncodeOptions['allowedSpecial']) {}

  /** Starts `threads` workers (default: all cores) and waits until each has built the tokenizer. */
  static async start(tokenizer: BpeTokenizer, opts: { threads?: number; allowedSpecial?: EncodeOptions['allowedSpecial'] } = {}): Promise<EncodePool> {
    const threads = Math.max(1, opts.threads ?? availableParallelism());
    const spec = packSpec(tokenizer);
    const workers = Array.from({ length: threads }, () => startWorker({ spec, allowedSpecial: opts.allowedSpecial }));
    const pool = new EncodePool(tokenizer, workers, opts.allowedSpecial);
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    })));
    for (const w of workers) {
      w.on('error', (err) => {
        pool.failure = err;
        for (const f of pool.waiting) f();
      });
    }
    pool.idle.push(...workers);
    return pool;
  }

  /** Encodes one text on a free worker. */
  private async run(text: string, id: number): Promise<Uint32Array> {
    while (this.idle.length === 0) {
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const w = this.idle.pop()!;
    try {
      return await new Promise<Uint32Array>((resolve, reject) => {
        const onError = (err: unknown): void => reject(err);
        w.once('error', onError);
        w.once('message', (msg: WorkerReply) => {
          w.off('error', onError);
          if ('id' in msg && msg.id === id) resolve(msg.ids);
          else reject(new LlmtsError('E_ENCODE_FILES', 'a worker answered out of turn'));
        });
        w.postMessage({ id, text });
      });
    } finally {
      this.idle.push(w);
      const wake = this.waiting;
      this.waiting = [];
      for (const f of wake) f();
    }
  }

  /**
   * Encodes every file; returns the ids per file, identical to
   * `tokenizer.encode(readFileSync(path, 'utf8'), { allowedSpecial })`.
   */
  async encodeFiles(paths: readonly string[], opts: { chunkChars?: number; onProgress?: (doneChars: number, totalChars: number) => void } = {}): Promise<Uint32Array[]> {
    const tok = this.tokenizer;
    const target = Math.max(1024, opts.chunkChars ?? 1 << 20);
    const allowed = this.allowedSpecial;
    const specials = allowed === undefined ? [] : allowed === 'all' ? [...tok.specialTokens().keys()] : [...allowed];
    const canCut = Object.values(SPLIT_PATTERNS).includes(tok.pattern) && !tok.addPrefixSpace && !specials.some((s) => s.includes('\n'));
    const chunks: string[][] = paths.map((path) => {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw new LlmtsError('E_ENCODE_FILES', `cannot read ${path}`, { where: path, hint: 'check the file path', cause: err });
      }
      return canCut ? chunkText(text, target) : [text];
    });
    const totalChars = chunks.reduce((n, cs) => n + cs.reduce((m, c) => m + c.length, 0), 0);
    let doneChars = 0;
    let nextId = 0;
    const perFile = await Promise.all(chunks.map((cs) => Promise.all(cs.map(async (c) => {
      const ids = await this.run(c, nextId++);
      doneChars += c.length;
      opts.onProgress?.(doneChars, totalChars);
      return ids;
    }))));
    return perFile.map((parts) => {
      const ids = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
      let off = 0;
      for (const p of parts) {
        ids.set(p, off);
        off += p.length;
      }
      return ids;
    });
  }

  /** Empties every worker's piece cache (to time cold-cache runs). Call while idle. */
  async clearCaches(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      w.once('message', () => resolve());
      w.postMessage({ clear: true });
    })));
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Encodes every file with `tokenizer` using worker threads; returns the ids per file,
 * identical to `tokenizer.encode(readFileSync(path, 'utf8'), opts)`.
 */
export async function encodeFiles(paths: readonly string[], tokenizer: BpeTokenizer, opts: EncodeFilesOptions = {}): Promise<Uint32Array[]> {
  const pool = await EncodePool.start(tokenizer, { threads: opts.threads, allowedSpecial: opts.allowedSpecial });
  try {
    return await pool.encodeFiles(paths, opts);
  } finally {
    await pool.close();
  }
}
