/**
 * The data stages in front of training, for a bundled corpus (or the user's text files):
 * prepare (clean, filter, dedup, split with `llmts data prepare`'s pipeline) ->
 * tokenizer (char-level, a BPE or WordPiece trained here, or a named one) -> tokenize (token shards
 * + meta.json). The result is a data folder `loadTokenData` reads; an existing one built
 * with the same corpus and tokenizer is reused.
 *
 * Corpora: 'shakespeare' (data/tinyshakespeare, used as is with nanoGPT's split: the last
 * 10% validates), 'tinystories' (data/tinystories, paragraphs cleaned and split 95/5 by
 * document hash), or comma-separated paths of the user's text/JSONL files (cleaned like
 * TinyStories).
 *
 * @example
 * const dir = await prepareBundledData({ corpus: 'tinystories', tokenizer: 'bpe:1024', dir: 'runs/x/data', log: console.log });
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { DEFAULT_FILTERS, prepare } from '../data/index.ts';
import { tokenizeFiles, type TokensMeta } from '../data/tokenize.ts';
import { trainBpe } from '../tokenizer/bpe-trainer.ts';
import { CharTokenizer } from '../tokenizer/char.ts';
import { loadTokenizer } from '../tokenizer/load.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { trainWordPiece } from '../tokenizer/wordpiece-trainer.ts';
import { LlmtsError } from '../util/errors.ts';

/** A file of the package's data/ folder (works from src/ and from dist/). */
export function bundledFile(rel: string): string {
  return fileURLToPath(new URL(`../../data/${rel}`, import.meta.url));
}

const CORPORA: Record<string, { files: string[]; label: string; clean: boolean }> = {
  shakespeare: { files: ['tinyshakespeare/input.txt'], label: 'Tiny Shakespeare', clean: false },
  tinystories: { files: ['tinystories/tinystories_val_head.txt'], label: 'TinyStories (head of the validation split)', clean: true },
};

export interface BundledDataOptions {
  /** 'shakespeare' | 'tinystories' | comma-separated file paths. */
  corpus: string;
  /** 'char' | 'bpe:N' | 'wordpiece:N' (trained on the corpus) | a tokenizer name or file. */
  tokenizer: string;
  /** Folder to fill (meta.json, shards, tokenizer.json; clean/ for prepared text). */
  dir: string;
  log: (line: string) => void;
  /** Worker threads of the prepare stage (default 1: small corpora). */
  threads?: number;
}

/** Text of the documents in prepared JSONL shards. */
function jsonlTexts(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    for (const line of readFileSync(p, 'utf8').split('\n')) if (line.trim()) out.push((JSON.parse(line) as { text: string }).text);
  }
  return out;
}

/** Builds the tokenizer named by `spec` from the training texts. */
async function makeTokenizer(spec: string, texts: () => string[], log: (l: string) => void): Promise<Tokenizer> {
  const t0 = performance.now();
  if (spec === 'char') {
    const tok = CharTokenizer.fromText(texts().join(''));
    log(`tokenizer: char-level, ${tok.vocabSize} characters`);
    return tok;
  }
  const m = /^bpe:(\d+)$/.exec(spec);
  if (m) {
    const vocabSize = Number(m[1]);
    const { tokenizer } = await trainBpe([texts().join('<|endoftext|>')], { vocabSize, specialTokens: ['<|endoftext|>'], threads: 1 });
    log(`tokenizer: byte-level BPE trained to ${tokenizer.vocabSize} ids in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return tokenizer;
  }
  const wp = /^wordpiece:(\d+)$/.exec(spec);
  if (wp) {
    const { tokenizer } = trainWordPiece(texts(), { vocabSize: Number(wp[1]) }); // uncased BERT normalizer, [PAD] [UNK] [CLS] [SEP] [MASK]
    log(`tokenizer: WordPiece trained to ${tokenizer.vocabSize} ids in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return tokenizer;
  }
  const tok = loadTokenizer(spec);
  log(`tokenizer: ${spec} (${tok.vocabSize} ids)`);
  return tok;
}

/** Runs the data stages into `o.dir` (see the module comment); returns `o.dir`. */
export async function prepareBundledData(o: BundledDataOptions): Promise<string> {
  const key = JSON.stringify({ corpus: o.corpus, tokenizer: o.tokenizer });
  const stamp = join(o.dir, 'source.json');
  if (existsSync(join(o.dir, 'meta.json')) && existsSync(stamp)) {
    if (readFileSync(stamp, 'utf8').trim() === key) {
      o.log(`data: reusing ${o.dir} (${o.corpus}, tokenizer ${o.tokenizer})`);
      return o.dir;
    }
    throw new LlmtsError('E_CONFIG', `${o.dir} holds data made from ${readFileSync(stamp, 'utf8').trim()}, not ${key}`, { where: o.dir, hint: 'use another --out, or delete that folder' });
  }
  const known = CORPORA[o.corpus];
  const files = known ? known.files.map(bundledFile) : o.corpus.split(',').filter(Boolean);
  for (const f of files) {
    if (!existsSync(f)) throw new LlmtsError('E_NOFILE', `corpus file not found: ${f}`, { where: 'corpus', hint: 'use shakespeare, tinystories, or comma-separated paths of text/JSONL files' });
  }
  mkdirSync(o.dir, { recursive: true });
  let inputs = files;
  let trainTexts: () => string[];
  if (known && !known.clean) {
    o.log(`prepare: ${known.label} is used as is (the last 10% of the text validates, as in nanoGPT)`);
    trainTexts = () => files.map((f) => readFileSync(f, 'utf8'));
  } else {
    const clean = join(o.dir, 'clean');
    rmSync(clean, { recursive: true, force: true });
    const t0 = performance.now();
    // paragraphs are the documents: the length and repetition rules are for web pages, not short stories
    const report = await prepare(files, {
      out: clean, overwrite: true, ingest: { field: 'text', docSep: '\n\n' }, valRatio: 0.05, threads: o.threads ?? 1,
      filters: { ...DEFAULT_FILTERS, length: false, repetition: false },
    });
    const drops = Object.values(report.drops).reduce((a, d) => a + d.docs, 0);
    o.log(`prepare: ${known?.label ?? files.join(', ')}: ${report.in.docs.toLocaleString('en-US')} paragraphs -> ${report.out.train.docs.toLocaleString('en-US')} train + ${report.out.val.docs.toLocaleString('en-US')} val (${drops} dropped or duplicate; mojibake repaired) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    inputs = report.out.shards.map((s) => join(clean, s.path));
    const trainShards = inputs.filter((p) => /train-\d{5}\.jsonl$/.test(p));
    trainTexts = () => jsonlTexts(trainShards);
  }
  const tok = await makeTokenizer(o.tokenizer, trainTexts, o.log);
  const t1 = performance.now();
  const meta: TokensMeta = tokenizeFiles(inputs, tok, o.dir, { tokenizerSource: o.tokenizer, valFraction: 0.1 });
  const count = (e: { tokens: number }[]) => e.reduce((a, x) => a + x.tokens, 0).toLocaleString('en-US');
  o.log(`tokenize: ${count(meta.train)} train + ${count(meta.val)} val tokens -> ${o.dir} in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  writeFileSync(stamp, key + '\n');
  return o.dir;
}
