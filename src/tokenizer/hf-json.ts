/**
 * Hugging Face `tokenizer.json` for byte-level BPE: read (BPE model, ByteLevel
 * pre-tokenizer/decoder, Split regex, added tokens). Writing is in bpe-json-write.ts
 * (which bpe.ts imports, so this reader can import bpe.ts without a cycle).
 *
 * @example
 * const tok = bpeFromTokenizerJson(JSON.parse(readFileSync('tokenizer.json', 'utf8')));
 * writeFileSync('copy.json', JSON.stringify(tok.toTokenizerJson()));
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import { byteLevelToBytes } from './byte-level.ts';
import { BpeTokenizer } from './bpe.ts';
import { GPT2_PATTERN, fromOnigPattern } from './split-patterns.ts';

type Json = Record<string, unknown>;

function isObj(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Finds ByteLevel / Split settings in a pre_tokenizer (plain or Sequence). */
function readPreTokenizer(pre: unknown, where: string): { pattern?: string; byteLevel: boolean; addPrefixSpace: boolean } {
  const list = isObj(pre) && pre.type === 'Sequence' && Array.isArray(pre.pretokenizers) ? (pre.pretokenizers as unknown[]) : pre === null || pre === undefined ? [] : [pre];
  let pattern: string | undefined;
  let byteLevel = false;
  let addPrefixSpace = false;
  for (const p of list) {
    if (!isObj(p)) continue;
    if (p.type === 'ByteLevel') {
      byteLevel = true;
      addPrefixSpace = p.add_prefix_space === true;
      if (p.use_regex !== false) {
        if (pattern !== undefined) throw new LlmtsError('E_HF_UNSUPPORTED', 'both a Split regex and ByteLevel use_regex are set', { where });
        pattern = GPT2_PATTERN;
      }
    } else if (p.type === 'Split') {
      const pat = p.pattern;
      if (!isObj(pat) || typeof pat.Regex !== 'string' || p.behavior !== 'Isolated' || p.invert === true) {
        throw new LlmtsError('E_HF_UNSUPPORTED', `unsupported Split pre-tokenizer ${JSON.stringify(p)}`, { where, hint: 'only Split { pattern: { Regex }, behavior: "Isolated", invert: false } is supported' });
      }
      pattern = fromOnigPattern(pat.Regex);
    } else {
      throw new LlmtsError('E_HF_UNSUPPORTED', `unsupported pre-tokenizer type ${String(p.type)}`, { where, hint: 'byte-level BPE supports ByteLevel and Split(Regex) pre-tokenizers' });
    }
  }
  return { pattern, byteLevel, addPrefixSpace };
}

/** Builds a BpeTokenizer from a parsed tokenizer.json (BPE model with ByteLevel). */
export function bpeFromTokenizerJson(json: unknown, where = 'tokenizer.json'): BpeTokenizer {
  if (!isObj(json) || !isObj(json.model)) throw new LlmtsError('E_HF_JSON', 'not a tokenizer.json: no "model" object', { where });
  const model = json.model;
  if (model.type !== 'BPE') throw new LlmtsError('E_HF_UNSUPPORTED', `model.type is ${String(model.type)}, not BPE`, { where: `${where}: model.type`, hint: 'load WordPiece tokenizers with the WordPiece loader' });
  if (json.normalizer !== null && json.normalizer !== undefined) {
    throw new LlmtsError('E_HF_UNSUPPORTED', `normalizer ${JSON.stringify((json.normalizer as Json).type)} is not supported for byte-level BPE`, { where: `${where}: normalizer`, hint: 'byte-level BPE tokenizers (GPT-2, cl100k) use no normalizer' });
  }
  const pre = readPreTokenizer(json.pre_tokenizer, `${where}: pre_tokenizer`);
  const decoderIsByteLevel = isObj(json.decoder) && json.decoder.type === 'ByteLevel';
  if (!pre.byteLevel && !decoderIsByteLevel) {
    throw new LlmtsError('E_HF_UNSUPPORTED', 'this BPE tokenizer is not byte-level (no ByteLevel pre-tokenizer or decoder)', { where, hint: 'only byte-level BPE (GPT-2 style) is supported' });
  }
  if (!isObj(model.vocab) || !Array.isArray(model.merges)) throw new LlmtsError('E_HF_JSON', 'model.vocab must be an object and model.merges an array', { where: `${where}: model` });
  const specialTokens = new Map<string, number>();
  for (const t of Array.isArray(json.added_tokens) ? (json.added_tokens as unknown[]) : []) {
    if (isObj(t) && typeof t.content === 'string' && typeof t.id === 'number') specialTokens.set(t.content, t.id);
  }
  const vocab: (Uint8Array | undefined)[] = [];
  for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new LlmtsError('E_HF_JSON', `vocab entry ${JSON.stringify(token)} has id ${String(id)}`, { where: `${where}: model.vocab` });
    if (specialTokens.has(token)) continue;
    const bytes = byteLevelToBytes(token, false);
    if (bytes === null) throw new LlmtsError('E_HF_JSON', `vocab token ${JSON.stringify(token)} is not a byte-level string and not an added token`, { where: `${where}: model.vocab` });
    vocab[id] = bytes;
  }
  const merges = (model.merges as unknown[]).map((m, i): [Uint8Array, Uint8Array] => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new LlmtsError('E_HF_JSON', `merge #${i} is ${JSON.stringify(m)}`, { where: `${where}: model.merges`, hint: 'merges are "left right" strings or [left, right] pairs' });
    }
    return [byteLevelToBytes(pair[0]), byteLevelToBytes(pair[1])];
  });
  if (pre.byteLevel && pre.pattern === undefined) {
    throw new LlmtsError('E_HF_UNSUPPORTED', 'ByteLevel pre-tokenizer with use_regex: false and no Split pattern (no pre-tokenization) is not supported', { where: `${where}: pre_tokenizer`, hint: 'add a Split { Regex } pre-tokenizer or set use_regex: true' });
  }
  return new BpeTokenizer({
    vocab, merges, specialTokens, pattern: pre.pattern ?? GPT2_PATTERN,
    ignoreMerges: model.ignore_merges === true, addPrefixSpace: pre.addPrefixSpace,
  });
}

/** Reads a byte-level BPE tokenizer.json file. */
export function loadBpeTokenizerJson(path: string): BpeTokenizer {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LlmtsError('E_HF_JSON', `cannot read ${path} as JSON`, { where: path, hint: 'pass a Hugging Face tokenizer.json file', cause: err });
  }
  return bpeFromTokenizerJson(json, path);
}

/** Writes `tok` as a tokenizer.json file. */
export function saveBpeTokenizerJson(tok: BpeTokenizer, path: string): void {
  writeFileSync(path, JSON.stringify(tok.toTokenizerJson()));
}
