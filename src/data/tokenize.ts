/**
 * Text files -> token shards (shards.ts) + meta.json, with a deterministic train/val split.
 *
 * Inputs: plain text files (one document each), or JSONL files with a "text" field per
 * line (one document per line, as `llmts data prepare` writes). Documents are separated
 * by the tokenizer's `<|endoftext|>` when it has one.
 *
 * Split (deterministic, no randomness at all):
 * - a file named like prepare's output, `train-NNNNN.jsonl` / `val-NNNNN.jsonl`, goes
 *   wholly to that split;
 * - any other file: its last `valFraction` of tokens go to val, the rest to train
 *   (nanoGPT's rule for Tiny Shakespeare: the first 90% trains, the last 10% validates).
 *
 * Output folder: train-000.bin, val-000.bin, ... (at most `shardTokens` ids each),
 * tokenizer.json (the tokenizer used, so the folder is self-contained) and meta.json.
 *
 * @example
 * const meta = tokenizeFiles(['data/tinyshakespeare/input.txt'], CharTokenizer.fromText(text), 'runs/sh/data');
 * meta.train[0].tokens; // 1,003,854
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadTokenizer, type AnyTokenizer } from '../tokenizer/load.ts';
import { saveTokenizer } from '../tokenizer/save.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkInputFiles } from './ingest/files.ts';
import { makeOutputDir } from './out-dir.ts';
import { dataFilePath, dtypeFor, readShard, writeShard, type ShardIds } from './shards.ts';

export const TOKENS_META_FORMAT = 'llmts-token-shards';

export interface ShardEntry {
  file: string;
  tokens: number;
}

/** Contents of meta.json. */
export interface TokensMeta {
  format: string;
  version: number;
  /** The tokenizer file in the same folder. */
  tokenizer: string;
  /** What the user passed as tokenizer (name or path), for the record. */
  tokenizerSource: string;
  vocabSize: number;
  dtype: 'uint16' | 'uint32';
  /** Id of the document separator, or null when the tokenizer has none. */
  eot: number | null;
  valFraction: number;
  train: ShardEntry[];
  val: ShardEntry[];
  sources: { path: string; bytes: number; documents: number; trainTokens: number; valTokens: number }[];
}

export interface TokenizeOptions {
  /** Fraction of each plain file's tokens that goes to val. Default 0.1. */
  valFraction?: number;
  /** Most ids per shard file. Default 100M. */
  shardTokens?: number;
  /** Recorded in meta.json. Default 'char' or 'custom'. */
  tokenizerSource?: string;
  /** Called after each input file. */
  onFile?: (done: number, total: number, path: string) => void;
}

export { saveTokenizer } from '../tokenizer/save.ts';

/** The documents of one input file. */
function readDocuments(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LlmtsError('E_NOFILE', `cannot read ${path}`, { where: path, hint: 'pass existing UTF-8 text or JSONL files', cause: err });
  }
  if (!/\.jsonl$/i.test(path)) return [text];
  const docs: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      throw new LlmtsError('E_JSONL', `line ${i + 1} is not valid JSON`, { where: `${path}:${i + 1}`, hint: 'one JSON object per line', cause: err });
    }
    const t = (rec as { text?: unknown } | null)?.text;
    if (typeof t !== 'string') throw new LlmtsError('E_JSONL', `line ${i + 1} has no string "text" field`, { where: `${path}:${i + 1}`, hint: 'each line needs {"text": "..."}' });
    docs.push(t);
  });
  return docs;
}

/** 'train' / 'val' for prepare's shard names, else null (split by position). */
function fixedSplit(path: string): 'train' | 'val' | null {
  const m = /^(train|val)-\d{5}\.jsonl$/.exec(basename(path));
  return m ? (m[1] as 'train' | 'val') : null;
}

/** Accumulates ids and cuts them into shard files. */
class ShardSink {
  private buf: number[] = [];
  readonly entries: ShardEntry[] = [];
  constructor(private readonly dir: string, private readonly split: string, private readonly max: number, private readonly vocabSize: number) {}

  push(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      this.buf.push(ids[i]!);
      if (this.buf.length >= this.max) this.flush();
    }
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const file = `${this.split}-${String(this.entries.length).padStart(3, '0')}.bin`;
    writeShard(join(this.dir, file), this.buf, { vocabSize: this.vocabSize });
    this.entries.push({ file, tokens: this.buf.length });
    this.buf = [];
  }
}

/** Deletes the temporary files (`train-000.bin.tmp-PID`, `.meta.json.tmp-PID`) an interrupted run left in `dir`. */
function removeStaleTemps(dir: string): void {
  for (const n of readdirSync(dir)) {
    if (/^(train|val)-\d+\.bin\.tmp-\d+$|^\.meta\.json\.tmp-\d+$/.test(n)) rmSync(join(dir, n), { force: true });
  }
}

/** Tokenizes `files` with `tok` into `outDir`; returns what it wrote to meta.json. */
export function tokenizeFiles(files: readonly string[], tok: Tokenizer, outDir: string, opts: TokenizeOptions = {}): TokensMeta {
  const valFraction = opts.valFraction ?? 0.1;
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new LlmtsError('E_FLAG', `validation fraction must be in [0, 1), got ${valFraction}`, { where: '--val-fraction', hint: 'e.g. 0.1' });
  }
  const shardTokens = opts.shardTokens ?? 100_000_000;
  if (files.length === 0) throw new LlmtsError('E_FLAG', 'no input files', { where: 'llmts data tokenize', hint: 'pass one or more text or JSONL files' });
  checkInputFiles(files, 'FILES');
  makeOutputDir(outDir, '--out');
  removeStaleTemps(outDir);
  const eot = tok.specialTokens().get('<|endoftext|>') ?? null;
  const train = new ShardSink(outDir, 'train', shardTokens, tok.vocabSize);
  const val = new ShardSink(outDir, 'val', shardTokens, tok.vocabSize);
  const sources: TokensMeta['sources'] = [];
  files.forEach((path, fi) => {
    const docs = readDocuments(path);
    const ids: number[] = [];
    for (const d of docs) {
      for (const id of tok.encode(d)) ids.push(id);
      if (eot !== null) ids.push(eot);
    }
    const fixed = fixedSplit(path);
    const nVal = fixed === 'val' ? ids.length : fixed === 'train' ? 0 : Math.round(ids.length * valFraction);
    const nTrain = ids.length - nVal;
    train.push(ids.slice(0, nTrain));
    val.push(ids.slice(nTrain));
    sources.push({ path, bytes: Buffer.byteLength(docs.join('')), documents: docs.length, trainTokens: nTrain, valTokens: nVal });
    opts.onFile?.(fi + 1, files.length, path);
  });
  train.flush();
  val.flush();
  saveTokenizer(tok, join(outDir, 'tokenizer.json'));
  const meta: TokensMeta = {
    format: TOKENS_META_FORMAT, version: 1, tokenizer: 'tokenizer.json',
    tokenizerSource: opts.tokenizerSource ?? (tok.kind === 'char' ? 'char' : 'custom'),
    vocabSize: tok.vocabSize, dtype: dtypeFor(tok.vocabSize) === 2 ? 'uint16' : 'uint32', eot, valFraction,
    train: train.entries, val: val.entries, sources,
  };
  const tmp = join(outDir, `.meta.json.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(meta, null, 2) + '\n');
  renameSync(tmp, join(outDir, 'meta.json'));
  return meta;
}

/** A tokenized folder in memory: its meta, tokenizer and shards. */
export interface TokenData {
  dir: string;
  meta: TokensMeta;
  tokenizer: AnyTokenizer;
  train: ShardIds[];
  val: ShardIds[];
}

/** Loads a folder written by `tokenizeFiles`; errors name the file at fault. */
export function loadTokenData(dir: string): TokenData {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) {
    throw new LlmtsError('E_NO_TOKENS', `${metaPath} not found: ${dir} is not a tokenized data folder`, { where: metaPath, hint: 'make one with `llmts data tokenize --tokenizer T --out DIR FILES...`' });
  }
  let meta: TokensMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as TokensMeta;
  } catch (err) {
    throw new LlmtsError('E_NO_TOKENS', `${metaPath} is not valid JSON`, { where: metaPath, hint: 're-run `llmts data tokenize`', cause: err });
  }
  if (meta?.format !== TOKENS_META_FORMAT || meta.version !== 1 || !Array.isArray(meta.train) || !Array.isArray(meta.val)) {
    throw new LlmtsError('E_NO_TOKENS', `${metaPath} is not an llmts token meta.json (format ${JSON.stringify(meta?.format)})`, { where: metaPath, hint: 're-run `llmts data tokenize`' });
  }
  const tokPath = dataFilePath(dir, meta.tokenizer, '"tokenizer"');
  const tokenizer = loadTokenizer(tokPath);
  if (tokenizer.vocabSize !== meta.vocabSize) {
    throw new LlmtsError('E_NO_TOKENS', `tokenizer has ${tokenizer.vocabSize} ids, meta.json says ${meta.vocabSize}`, { where: tokPath, hint: 're-run `llmts data tokenize`' });
  }
  const read = (split: 'train' | 'val') => (e: ShardEntry, i: number): ShardIds => {
    const field = `${split}[${i}]`;
    if (e === null || typeof e !== 'object' || !Number.isSafeInteger(e.tokens) || e.tokens < 0) {
      throw new LlmtsError('E_NO_TOKENS', `meta.json ${field} must be {"file": NAME, "tokens": COUNT}`, { where: metaPath, hint: 're-run `llmts data tokenize`' });
    }
    const path = dataFilePath(dir, e.file, `${field}.file`);
    const { ids } = readShard(path);
    if (ids.length !== e.tokens) {
      throw new LlmtsError('E_SHARD', `${path} holds ${ids.length} ids, meta.json says ${e.tokens}`, { where: path, hint: 're-run `llmts data tokenize`' });
    }
    return ids;
  };
  return { dir, meta, tokenizer, train: meta.train.map(read('train')), val: meta.val.map(read('val')) };
}
