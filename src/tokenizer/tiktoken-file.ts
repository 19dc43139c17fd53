/**
 * tiktoken `.tiktoken` rank files: one line per token, `base64(token bytes) rank`, where
 * the rank is also the token id. Special tokens and the split pattern are not in the
 * file and are passed separately.
 *
 * @example
 * const tok = loadTiktoken('data/tokenizers/cl100k_base.tiktoken', { pattern: 'cl100k', specialTokens: { '<|endoftext|>': 100257 } });
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import { BpeTokenizer } from './bpe.ts';

/** Options for building a tokenizer from ranks. */
export interface TiktokenOptions {
  /** Split pattern name or source (default 'gpt2'). */
  pattern?: string;
  /** Special tokens: content -> id. */
  specialTokens?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
}

/**
 * Parses `.tiktoken` text into token bytes by rank. Ranks run about 0..n-1 for a file of n
 * lines (OpenAI's files have at most a few gaps); a rank far beyond that (which would make
 * a huge sparse vocabulary), or a token of no bytes, is an error.
 */
export function parseTiktoken(text: string, where = '.tiktoken'): (Uint8Array | undefined)[] {
  const vocab: (Uint8Array | undefined)[] = [];
  const lines = text.split('\n');
  const count = lines.filter((l) => l.length > 0).length;
  let lineNo = 0;
  for (const line of lines) {
    lineNo++;
    if (line.length === 0) continue;
    const bad = (what: string): LlmtsError => new LlmtsError('E_TIKTOKEN', `line ${lineNo} ${what}: ${JSON.stringify(line.slice(0, 60))}`, {
      where: `${where}: line ${lineNo}`, hint: 'a .tiktoken file has one "base64(bytes) rank" pair per line, ranks about 0..n-1' });
    const sp = line.indexOf(' ');
    const rank = sp > 0 ? Number(line.slice(sp + 1)) : NaN;
    if (!Number.isInteger(rank) || rank < 0) throw bad('is not "base64 rank"');
    if (rank >= 2 * count + 1024) throw bad(`has rank ${rank}, far beyond the ${count} tokens of the file`);
    const bytes = new Uint8Array(Buffer.from(line.slice(0, sp), 'base64'));
    if (bytes.length === 0) throw bad('has a token of no bytes');
    vocab[rank] = bytes;
  }
  return vocab;
}

/** Builds a tokenizer from `.tiktoken` text. */
export function tiktokenFromText(text: string, opts: TiktokenOptions = {}, where?: string): BpeTokenizer {
  return new BpeTokenizer({ vocab: parseTiktoken(text, where), specialTokens: opts.specialTokens, pattern: opts.pattern ?? 'gpt2' });
}

/** Loads a `.tiktoken` rank file. */
export function loadTiktoken(path: string, opts: TiktokenOptions = {}): BpeTokenizer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LlmtsError('E_TIKTOKEN', `cannot read ${path}`, { where: path, hint: 'check the path of the .tiktoken file', cause: err });
  }
  return tiktokenFromText(text, opts, path);
}

/**
 * `.tiktoken` text for a tokenizer: every non-special token with its id as rank.
 * Exact for tokenizers built from ranks; for merges-based vocabularies tiktoken's rule
 * (any split merges) can differ from the merges list on rare pieces.
 */
export function toTiktokenText(tok: BpeTokenizer): string {
  const lines: string[] = [];
  tok.vocabBytes().forEach((b, id) => {
    if (b !== undefined) lines.push(`${Buffer.from(b).toString('base64')} ${id}`);
  });
  return lines.join('\n') + '\n';
}

/** Writes `tok` as a `.tiktoken` file. */
export function saveTiktoken(tok: BpeTokenizer, path: string): void {
  writeFileSync(path, toTiktokenText(tok));
}
