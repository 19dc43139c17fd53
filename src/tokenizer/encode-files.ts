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

/**
 * Encodes every file with `tokenizer` using worker threads; returns the ids per file,
 * identical to `tokenizer.encode(readFileSync(path, 'utf8'), opts)`.
 */
export async function encodeFiles(paths: readonly string[], tokenizer: BpeTokenizer, opts: EncodeFilesOptions = {}): Promise<Uint32Array[]> {
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  const target = Math.max(1024, opts.chunkChars ?? 1 << 20);
  const specials = opts.allowedSpecial === undefined ? [] : opts.allowedSpecial === 'all' ? [...tokenizer.specialTokens().keys()] : [...opts.allowedSpecial];
  const canCut = Object.values(SPLIT_PATTERNS).includes(tokenizer.pattern) && !tokenizer.addPrefixSpace && !specials.some((s) => s.includes('\n'));
  const tasks: { file: number; text: string }[] = [];
  const chunksPerFile: number[] = [];
  for (let f = 0; f < paths.length; f++) {
    let text: string;
    try {
      text = readFileSync(paths[f]!, 'utf8');
    } catch (err) {
      throw new LlmtsError('E_ENCODE_FILES', `cannot read ${paths[f]}`, { where: paths[f], hint: 'check the file path', cause: err });
    }
    const chunks = canCut ? chunkText(text, target) : [text];
    chunksPerFile.push(chunks.length);
    for (const c of chunks) tasks.push({ file: f, text: c });
  }
  const totalChars = tasks.reduce((n, t) => n + t.text.length, 0);
  const results: Uint32Array[] = new Array<Uint32Array>(tasks.length);
  const nWorkers = Math.min(threads, tasks.length);
  if (nWorkers > 0) {
    const spec = packSpec(tokenizer);
    let next = 0;
    let done = 0;
    let doneChars = 0;
    await Promise.all(Array.from({ length: nWorkers }, () => new Promise<void>((resolve, reject) => {
      const w = startWorker({ spec, allowedSpecial: opts.allowedSpecial });
      const feed = (): void => {
        if (next < tasks.length) {
          const id = next++;
          w.postMessage({ id, text: tasks[id]!.text });
        } else {
          void w.terminate();
          resolve();
        }
      };
      w.on('message', (msg: { ready: true } | { id: number; ids: Uint32Array }) => {
        if ('id' in msg) {
          results[msg.id] = msg.ids;
          done++;
          doneChars += tasks[msg.id]!.text.length;
          opts.onProgress?.(doneChars, totalChars);
        }
        feed();
      });
      w.on('error', reject);
    })));
    if (done !== tasks.length) throw new LlmtsError('E_ENCODE_FILES', `only ${done} of ${tasks.length} chunks were encoded`);
  }
  const out: Uint32Array[] = [];
  let t = 0;
  for (let f = 0; f < paths.length; f++) {
    const parts = results.slice(t, t + chunksPerFile[f]!);
    t += chunksPerFile[f]!;
    const ids = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      ids.set(p, off);
      off += p.length;
    }
    out.push(ids);
  }
  return out;
}
