/**
 * Byte-level BPE trainer: learns a vocabulary and ordered merges from text, and returns a
 * ready `BpeTokenizer` that saves as a Hugging Face `tokenizer.json` or a `.tiktoken` file.
 *
 * Steps:
 * 1. Word counting (word-count.ts): the text is split on the special tokens (which are
 *    removed, so no merge ever crosses a document boundary), then cut into pieces by the
 *    split pattern; each distinct piece is counted. Large inputs are counted in worker
 *    threads, with exactly the serial result.
 * 2. Merge loop (bpe-merge-loop.ts): pieces become UTF-8 byte sequences; pair counts are
 *    computed once and then updated incrementally, only at the places where the merged
 *    pair occurs (never a recount), with a lazy max-heap picking the next pair.
 *
 * Vocabulary layout (the layout of HF's trainer and of the CS336 reference):
 * ids 0 .. s-1 are the special tokens in the order given; the next 256 ids are the single
 * bytes in the order of their GPT-2 byte-level characters ('!' is id s, '"' is s + 1, ...,
 * 'Ā' (byte 0) is s + 188); then one id per merge, in merge order. When a merge produces
 * bytes that are already a token (possible when two different pairs spell the same
 * string), the merge is recorded and reuses that token's id, as HF's trainer does.
 *
 * Tie-breaking (documented and deterministic; the same for any thread count or input
 * order): the most frequent pair is merged; among pairs with equal counts, the one whose
 * byte strings are lexicographically greatest, comparing the left token's bytes first and
 * then the right token's (Python `max` over `(count, (left_bytes, right_bytes))`, exactly
 * as the Stanford CS336 reference). This reproduces the CS336 reference merges and
 * vocabulary exactly (test/tokenizer/bpe-trainer.test.ts). HF's trainer breaks ties by the
 * smallest (left id, right id) instead; with `tieBreak: 'ids'` ours does the same and its
 * merges equal HF's BpeTrainer's (tested; HF's list runs on longer only because its
 * initial alphabet holds just the bytes that occur, ours all 256).
 *
 * Stopping: when the vocabulary reaches `vocabSize`, when no pair occurs at least
 * `minFrequency` times, or when no pair is left (tiny corpora).
 *
 * @example
 * const { tokenizer, specialTokens } = await trainBpe(['low lower lowest'], { vocabSize: 260, specialTokens: ['<|endoftext|>'] });
 * // merges: 'o'+'w', 'l'+'ow', 'low'+'e' (ids 257, 258, 259; '<|endoftext|>' is id 0)
 * tokenizer.encode('lowest');          // [259, 83, 84]  ('lowe', 's', 't')
 * saveTrainedBpe({ tokenizer, specialTokens }, 'out/tokenizer.json');
 * saveTiktoken(tokenizer, 'out/trained.tiktoken');   // tiktoken-file.ts
 */
import { statSync, writeFileSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import { BpeTokenizer } from './bpe.ts';
import { runMergeLoop } from './bpe-merge-loop.ts';
import { toJsRegExp } from './split-patterns.ts';
import { countWords, countWordsInFiles, countWordsParallel } from './word-count.ts';

/** Options of `trainBpe`. */
export interface BpeTrainerOptions {
  /** Total number of ids wanted: special tokens + 256 bytes + merges. */
  vocabSize: number;
  /** Merge only pairs that occur at least this many times (weighted by word counts). Default 0 (any pair that occurs). */
  minFrequency?: number;
  /** Special tokens, given ids 0, 1, ... in this order; removed from the training text. Default none. */
  specialTokens?: readonly string[];
  /** Split pattern: 'gpt2' (default) | 'r50k' | 'cl100k' | 'o200k' | a custom regex source (Rust/HF syntax). */
  pattern?: string;
  /** Never create a token longer than this many bytes. Default unlimited. */
  maxTokenLength?: number;
  /**
   * Tie-breaking among pairs with equal counts: 'bytes' (default) = lexicographically
   * greatest (left bytes, right bytes), as CS336; 'ids' = smallest (left id, right id),
   * the rule of HF's BpeTrainer heap.
   */
  tieBreak?: 'bytes' | 'ids';
  /** Worker threads for word counting. Default: available cores (at most 8); 1 counts on this thread. */
  threads?: number;
  /** Progress: phase 'count' is reported once when counting ends; 'merge' every 256 merges. */
  onProgress?: (phase: 'count' | 'merge', done: number, total: number) => void;
}

/** What `trainBpe` returns. */
export interface BpeTrainResult {
  /** The trained tokenizer (merges in rank order, the special tokens registered). */
  tokenizer: BpeTokenizer;
  /** Bytes of every id; a special token's entry is its UTF-8 encoding. */
  vocab: Uint8Array[];
  /** The merges in order, as (left bytes, right bytes). */
  merges: Array<[Uint8Array, Uint8Array]>;
  /** The merges in order, as (left id, right id, merged id). */
  mergeIds: Array<[number, number, number]>;
  /** Special token -> id. */
  specialTokens: Map<string, number>;
  /** Number of distinct words (pre-tokens) that were counted. */
  wordCount: number;
}

/** Training input: texts, or paths of UTF-8 text files. */
export type BpeTrainInput = readonly string[] | { files: readonly string[] };

function checkOptions(opts: BpeTrainerOptions): Required<Omit<BpeTrainerOptions, 'onProgress' | 'threads' | 'tieBreak'>> {
  const specials = opts.specialTokens ?? [];
  const where = 'bpe trainer options';
  if (new Set(specials).size !== specials.length) throw new LlmtsError('E_BPE_TRAIN', 'a special token is listed twice', { where: `${where}.specialTokens`, hint: 'list each special token once' });
  if (specials.some((s) => s.length === 0)) throw new LlmtsError('E_BPE_TRAIN', 'a special token is the empty string', { where: `${where}.specialTokens`, hint: 'remove it' });
  const min = specials.length + 256;
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < min) {
    throw new LlmtsError('E_BPE_TRAIN', `vocabSize ${opts.vocabSize} is too small: the ${specials.length} special tokens and 256 bytes alone need ${min} ids`, {
      where: `${where}.vocabSize`, hint: `use an integer >= ${min}`,
    });
  }
  const minFrequency = opts.minFrequency ?? 0;
  if (!(minFrequency >= 0)) throw new LlmtsError('E_BPE_TRAIN', `minFrequency ${minFrequency} is negative`, { where: `${where}.minFrequency`, hint: 'use 0 or more' });
  const maxTokenLength = opts.maxTokenLength ?? Number.POSITIVE_INFINITY;
  if (!(maxTokenLength >= 2)) throw new LlmtsError('E_BPE_TRAIN', `maxTokenLength ${maxTokenLength} allows no merge`, { where: `${where}.maxTokenLength`, hint: 'use 2 or more (bytes), or leave it unset' });
  const pattern = opts.pattern ?? 'gpt2';
  toJsRegExp(pattern); // throws E_PATTERN with a hint when it does not compile
  return { vocabSize: opts.vocabSize, minFrequency, specialTokens: specials, pattern, maxTokenLength };
}

/**
 * Builds the result (tokenizer included) from word counts: the part of training after
 * counting. `counts` maps each pre-token to how often it occurs.
 */
export function trainBpeFromCounts(counts: ReadonlyMap<string, number>, opts: BpeTrainerOptions): BpeTrainResult {
  const o = checkOptions(opts);
  const s = o.specialTokens.length;
  const { tokenBytes, merges } = runMergeLoop(counts, {
    vocabSize: o.vocabSize,
    specialCount: s,
    minFrequency: o.minFrequency,
    maxTokenLength: o.maxTokenLength,
    tieBreak: opts.tieBreak,
    onProgress: opts.onProgress ? (d, t) => opts.onProgress!('merge', d, t) : undefined,
  });
  const specialTokens = new Map<string, number>(o.specialTokens.map((t, i) => [t, i]));
  const vocab = tokenBytes.slice();
  const encoder = new TextEncoder();
  o.specialTokens.forEach((t, i) => (vocab[i] = encoder.encode(t)));
  const mergeBytes = merges.map(([a, b]): [Uint8Array, Uint8Array] => [tokenBytes[a]!, tokenBytes[b]!]);
  const tokenizer = new BpeTokenizer({
    vocab: tokenBytes.map((b, id) => (id < s ? undefined : b)),
    merges: mergeBytes,
    specialTokens: specialTokens,
    pattern: o.pattern,
  });
  return { tokenizer, vocab, merges: mergeBytes, mergeIds: merges, specialTokens, wordCount: counts.size };
}

/**
 * Trains a byte-level BPE tokenizer on texts (or on UTF-8 files: `{ files: [...] }`, read
 * in blocks, so a corpus larger than memory only needs memory for its distinct words).
 * Word counting runs in worker threads for inputs over 1 MiB; the result does not depend
 * on the number of threads.
 *
 * @example
 * const r = await trainBpe({ files: ['corpus.txt'] }, { vocabSize: 30000, specialTokens: ['<|endoftext|>'] });
 * saveTrainedBpe(r, 'tokenizer.json');
 */
export async function trainBpe(input: BpeTrainInput, opts: BpeTrainerOptions): Promise<BpeTrainResult> {
  const o = checkOptions(opts);
  const countOpts = { pattern: o.pattern, specialTokens: o.specialTokens, threads: opts.threads };
  let counts: Map<string, number>;
  if (Array.isArray(input)) {
    const texts = input as readonly string[];
    counts = opts.threads === 1 ? countWords(texts, countOpts) : await countWordsParallel(texts, countOpts);
  } else {
    const files = (input as { files: readonly string[] }).files;
    let bytes = 0;
    for (const f of files) {
      try {
        bytes += statSync(f).size;
      } catch (err) {
        throw new LlmtsError('E_BPE_TRAIN', `cannot read training file ${f}`, { where: f, hint: 'check the path', cause: err });
      }
    }
    counts = await countWordsInFiles(files, bytes, countOpts);
  }
  opts.onProgress?.('count', counts.size, counts.size);
  return trainBpeFromCounts(counts, opts);
}

/** Writes the trained tokenizer as a Hugging Face `tokenizer.json` (special tokens keep their ids in HF). */
export function saveTrainedBpe(result: Pick<BpeTrainResult, 'tokenizer'>, path: string): void {
  writeFileSync(path, JSON.stringify(result.tokenizer.toTokenizerJson()));
}
