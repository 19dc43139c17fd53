/**
 * WordPiece vocabulary training, as Hugging Face's `WordPieceTrainer`: it counts the words
 * that the BERT normalizer and pre-tokenizer produce, then runs HF's BPE trainer with the
 * `##` continuing-subword prefix over them and keeps the resulting vocabulary (the merges
 * are dropped: WordPiece encodes by greedy longest match).
 *
 * Algorithm (HF `BpeTrainer::do_train`, step for step): special tokens get the first ids,
 * then every character seen (sorted by code point), then `##c` for each character seen
 * inside a word; pairs are counted once, kept in a max-heap (count, then the smaller
 * (id, id) pair first) with lazily refreshed counts, and each merge updates only the words
 * that held the pair. The merged token is `a + b` without b's `##`.
 *
 * Determinism: HF gives the `##c` tokens ids in the iteration order of a Rust HashMap
 * (random per run), and ties between equal counts are broken by those ids, so HF's own
 * output can vary between runs when counts tie. Here words are visited in order of first
 * appearance, so the same corpus always gives the same vocabulary; given the `##c` order of
 * a HF run (`continuingOrder`), the result equals that run id for id (tested at 30000 ids).
 *
 * @example
 * const { tokenizer } = trainWordPiece(['the cat sat', 'the cat ran'], { vocabSize: 60 });
 * tokenizer.encode('the rat')  // ids of 'the', 'ra', '##t'
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import { bertNormalize, forEachBertWord, type BertNormalizerOptions } from './bert-pretokenizer.ts';
import { bertTemplate } from './post-process.ts';
import { WordPieceTokenizer } from './wordpiece.ts';
import { BinaryHeap } from '../util/heap.ts';

/** Options of `trainWordPiece` (HF `WordPieceTrainer` names, camelCase). */
export interface WordPieceTrainerOptions {
  /** Stop when the vocabulary has this many tokens (specials included). Default 30000. */
  vocabSize?: number;
  /** Pairs seen fewer times are not merged. Default 0. */
  minFrequency?: number;
  /** Default: [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0-4). */
  specialTokens?: string[];
  /** Keep only the this many most frequent characters. Default: all. */
  limitAlphabet?: number;
  /** Characters always in the vocabulary, seen or not. */
  initialAlphabet?: string[];
  /** Default '##'. */
  continuingSubwordPrefix?: string;
  /**
   * `##c` tokens to create first, in this order, before the others (which follow in order
   * of first appearance). HF creates them in a random order; passing the order of a HF
   * run (its `##c` ids) reproduces that run id for id, ties included.
   */
  continuingOrder?: readonly string[];
  /** Token for unknown words. Default '[UNK]', or the first special token containing "unk". */
  unkToken?: string;
  /** Normalizer used on the corpus and saved in tokenizer.json. Default: uncased BERT. */
  normalizer?: BertNormalizerOptions | null;
  /** Called now and then: stage name, work done, work total. */
  onProgress?: (stage: 'count' | 'merge', done: number, total: number) => void;
}

/** What training returns. */
export interface WordPieceTrainResult {
  tokenizer: WordPieceTokenizer;
  /** Tokens in id order. */
  vocab: string[];
  /** Number of merges performed (duplicates included, as HF counts them). */
  merges: number;
}

/** Counts BERT pre-tokenized words, in order of first appearance. */
export class WordCounter {
  readonly counts = new Map<string, number>();
  constructor(private readonly normalizer: BertNormalizerOptions | null = { lowercase: true }) {}

  /** Adds the words of one chunk of text (a line, a document). */
  add(text: string): void {
    const norm = this.normalizer ? bertNormalize(text, this.normalizer) : text;
    forEachBertWord(norm, (w) => { this.counts.set(w, (this.counts.get(w) ?? 0) + 1); });
  }
}

/**
 * Counts the BERT words of UTF-8 files, read in 4 MiB blocks cut at whitespace, so
 * memory holds one block plus the distinct words. `onProgress(bytesRead, bytesTotal)`.
 */
export function countWordPieceFiles(files: readonly string[], normalizer: BertNormalizerOptions | null = { lowercase: true },
  onProgress?: (done: number, total: number) => void): Map<string, number> {
  const sizes = files.map((f) => {
    try {
      return statSync(f).size;
    } catch (err) {
      throw new LlmtsError('E_TRAIN', `cannot read training file ${f}`, { where: f, hint: 'check the path', cause: err });
    }
  });
  const total = sizes.reduce((x, y) => x + y, 0);
  const counter = new WordCounter(normalizer);
  const buf = Buffer.alloc(4 << 20);
  let done = 0;
  for (const f of files) {
    const fd = openSync(f, 'r');
    const dec = new TextDecoder('utf-8');
    let carry = '';
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        const text = carry + dec.decode(buf.subarray(0, n), { stream: n > 0 });
        if (n === 0) { counter.add(text); break; }
        // Cut at the last newline or space: BERT splits words there anyway.
        const cut = Math.max(text.lastIndexOf('\n'), text.lastIndexOf(' '));
        if (cut < 0) { carry = text; } else { counter.add(text.slice(0, cut)); carry = text.slice(cut + 1); }
        done += n;
        onProgress?.(done, total);
      }
    } finally {
      closeSync(fd);
    }
  }
  return counter.counts;
}

const PAIR_BASE = 4194304; // 2^22: ids stay below this, so a * PAIR_BASE + b is exact.

interface HeapEntry { a: number; b: number; count: number; pos: Set<number> }

/** Max-heap order on (count, then smaller pair), as HF's `Merge` ordering. */
function mergeBefore(x: HeapEntry, y: HeapEntry): boolean {
  if (x.count !== y.count) return x.count > y.count;
  return x.a !== y.a ? x.a < y.a : x.b < y.b;
}

/**
 * Merges every (a, b) in `word` into `c`, left to right, and reports the pair changes
 * exactly as HF's `Word::merge` (the merged pair itself is not decremented).
 */
function mergeWord(word: number[], a: number, b: number, c: number, onChange: (x: number, y: number, delta: number) => void): void {
  let i = 0;
  while (i < word.length) {
    if (word[i] === a && i + 1 < word.length && word[i + 1] === b) {
      if (i > 0) {
        onChange(word[i - 1], a, -1);
        onChange(word[i - 1], c, 1);
      }
      word.splice(i, 2, c);
      if (i < word.length - 1) {
        onChange(b, word[i + 1], -1);
        onChange(c, word[i + 1], 1);
      }
    }
    i++;
  }
}

/**
 * Trains a WordPiece vocabulary from word counts (see `WordCounter`), HF's way.
 * Returns the tokens in id order and the number of merges.
 */
export function trainWordPieceFromCounts(counts: ReadonlyMap<string, number>, opts: WordPieceTrainerOptions = {}): { vocab: string[]; merges: number } {
  const vocabSize = opts.vocabSize ?? 30000;
  const minFrequency = opts.minFrequency ?? 0;
  const prefix = opts.continuingSubwordPrefix ?? '##';
  const specials = opts.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new LlmtsError('E_TRAIN', `vocab size must be a positive integer, got ${vocabSize}`, { where: 'vocabSize', hint: 'e.g. 30000' });
  }
  const idToWord: string[] = [];
  const wordToId = new Map<string, number>();
  const add = (t: string) => {
    if (!wordToId.has(t)) { wordToId.set(t, idToWord.length); idToWord.push(t); }
  };
  for (const s of specials) add(s);

  // Alphabet: every char seen (weighted by word count), plus the initial alphabet.
  const alphabet = new Map<string, number>();
  for (const [w, n] of counts) for (const ch of w) alphabet.set(ch, (alphabet.get(ch) ?? 0) + n);
  for (const ch of opts.initialAlphabet ?? []) alphabet.set(ch, Number.MAX_SAFE_INTEGER);
  let kept = [...alphabet];
  if (opts.limitAlphabet !== undefined && kept.length > opts.limitAlphabet) {
    kept.sort((x, y) => x[1] - y[1]);
    kept = kept.slice(kept.length - opts.limitAlphabet);
  }
  kept.sort((x, y) => x[0].codePointAt(0)! - y[0].codePointAt(0)!);
  for (const [ch] of kept) add(ch);

  // Words as symbol ids; '##c' for non-initial chars.
  for (const t of opts.continuingOrder ?? []) {
    if (t.startsWith(prefix) && wordToId.has(t.slice(prefix.length))) add(t);
  }
  const words: number[][] = [];
  const wordCounts: number[] = [];
  for (const [w, n] of counts) {
    const syms: number[] = [];
    let first = true;
    for (const ch of w) {
      if (wordToId.has(ch)) {
        const s = first ? ch : prefix + ch;
        add(s);
        syms.push(wordToId.get(s)!);
      }
      first = false;
    }
    words.push(syms);
    wordCounts.push(n);
  }
  if (idToWord.length >= PAIR_BASE || vocabSize >= PAIR_BASE) {
    throw new LlmtsError('E_TRAIN', `too many symbols (${idToWord.length}) for the trainer`, { where: 'limitAlphabet', hint: 'set limitAlphabet' });
  }

  // Pair counts and where each pair occurs.
  const pairCounts = new Map<number, number>();
  let where = new Map<number, Set<number>>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i], n = wordCounts[i];
    for (let j = 0; j + 1 < w.length; j++) {
      const key = w[j] * PAIR_BASE + w[j + 1];
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + n);
      let set = where.get(key);
      if (!set) where.set(key, (set = new Set()));
      set.add(i);
    }
  }
  const heap = new BinaryHeap<HeapEntry>(mergeBefore);
  const flush = () => {
    for (const [key, pos] of where) {
      const count = pairCounts.get(key)!;
      if (count > 0) heap.push({ a: Math.floor(key / PAIR_BASE), b: key % PAIR_BASE, count, pos });
    }
    where = new Map();
  };
  flush();

  let merges = 0;
  const target = Math.max(1, vocabSize - idToWord.length);
  for (;;) {
    if (wordToId.size >= vocabSize || heap.size === 0) break;
    const top = heap.pop()!;
    const key = top.a * PAIR_BASE + top.b;
    const current = pairCounts.get(key)!;
    if (top.count !== current) {
      top.count = current;
      heap.push(top);
      continue;
    }
    if (top.count < 1 || minFrequency > top.count) break;
    const partB = idToWord[top.b].startsWith(prefix) ? idToWord[top.b].slice(prefix.length) : idToWord[top.b];
    const token = idToWord[top.a] + partB;
    add(token);
    const newId = wordToId.get(token)!;
    merges++;
    const positions = [...top.pos].sort((x, y) => x - y);
    for (const wi of positions) {
      const n = wordCounts[wi];
      mergeWord(words[wi], top.a, top.b, newId, (x, y, delta) => {
        const k = x * PAIR_BASE + y;
        pairCounts.set(k, (pairCounts.get(k) ?? 0) + delta * n);
        if (delta > 0) {
          let set = where.get(k);
          if (!set) where.set(k, (set = new Set()));
          set.add(wi);
        }
      });
    }
    flush();
    if (opts.onProgress && merges % 256 === 0) opts.onProgress('merge', Math.min(target, wordToId.size), vocabSize);
  }
  opts.onProgress?.('merge', vocabSize, vocabSize);
  return { vocab: idToWord, merges };
}

/**
 * Trains a WordPiece tokenizer on texts (each a line or a document), with uncased BERT
 * normalization by default; the result has `[CLS] A [SEP]` post-processing when those
 * tokens are among the specials, and saves as vocab.txt and tokenizer.json.
 */
export function trainWordPiece(texts: Iterable<string>, opts: WordPieceTrainerOptions = {}): WordPieceTrainResult {
  const normalizer = opts.normalizer === undefined ? { lowercase: true } : opts.normalizer;
  const counter = new WordCounter(normalizer);
  for (const t of texts) counter.add(t);
  return wordPieceFromCounts(counter.counts, { ...opts, normalizer });
}

/** `trainWordPiece` from word counts already made (e.g. streamed from large files). */
export function wordPieceFromCounts(counts: ReadonlyMap<string, number>, opts: WordPieceTrainerOptions = {}): WordPieceTrainResult {
  const { vocab, merges } = trainWordPieceFromCounts(counts, opts);
  const map = new Map<string, number>(vocab.map((t, i) => [t, i]));
  const specials = opts.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const cls = map.get('[CLS]'), sep = map.get('[SEP]');
  const tokenizer = new WordPieceTokenizer({
    vocab: map,
    model: { unkToken: opts.unkToken ?? (specials.includes('[UNK]') ? '[UNK]' : specials.find((t) => /unk/i.test(t)) ?? '[UNK]'), continuingSubwordPrefix: opts.continuingSubwordPrefix ?? '##', maxInputCharsPerWord: 100 },
    normalizer: opts.normalizer === undefined ? { lowercase: true } : opts.normalizer,
    preTokenizer: 'bert',
    postProcessor: cls !== undefined && sep !== undefined && specials.includes('[CLS]') && specials.includes('[SEP]')
      ? bertTemplate(['[CLS]', cls], ['[SEP]', sep]) : null,
    decoder: { prefix: opts.continuingSubwordPrefix ?? '##', cleanup: true },
    addedTokens: specials.map((s) => ({ content: s, id: map.get(s)!, special: true })),
  });
  return { tokenizer, vocab, merges };
}
