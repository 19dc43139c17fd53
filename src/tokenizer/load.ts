/**
 * One entry point to get a tokenizer from a name or a file:
 * - 'gpt2' | 'r50k' | 'cl100k': the built-in byte-level BPE tokenizers;
 * - 'bert-base-uncased': the bundled BERT WordPiece vocabulary (uncased defaults);
 * - a HF `tokenizer.json` (byte-level BPE, WordPiece, byte-fallback BPE as Llama 2's, or
 *   the char-level form llmts writes), or a folder that holds one;
 * - a tiktoken `.tiktoken` rank file (split pattern and specials guessed from its name:
 *   r50k_base / p50k_base / cl100k_base / o200k_base; otherwise the GPT-2 pattern);
 * - a BERT `vocab.txt` (uncased BERT defaults: lowercase, strip accents, [CLS]/[SEP]);
 * - a llama2.c `tokenizer.bin`.
 * Files are recognised by content (format.ts); anything else is E_NOT_TOKENIZER, "X is not
 * a tokenizer file (...)".
 *
 * @example
 * loadTokenizer('gpt2').encode('hello world')                  // [31373, 995]
 * loadTokenizer('runs/tok/tokenizer.json').kind                // 'bpe' or 'wordpiece'
 * loadTokenizer('data/bert-base-uncased/vocab.txt').encode('Hello!')  // [7592, 999]
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmtsError } from '../util/errors.ts';
import type { BpeTokenizer } from './bpe.ts';
import { BUILTIN_BPE_NAMES, builtinTokenizer, isBuiltinBpe } from './builtin.ts';
import { CharTokenizer, isCharLevelTokenizerJson, isCharTokenizerJson } from './char.ts';
import { Llama2cTokenizer } from './llama2c.ts';
import { detectTokenizerFormat, notTokenizerFile } from './format.ts';
import { bpeFromTokenizerJson } from './hf-json.ts';
import { isJsonObject, objectField, shownJson } from './json-fields.ts';
import { tiktokenFromText } from './tiktoken-file.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

/** Any tokenizer `loadTokenizer` can return. */
export type AnyTokenizer = BpeTokenizer | WordPieceTokenizer | CharTokenizer | Llama2cTokenizer;

/** Bundled WordPiece vocabularies, by name. */
export const BUILTIN_WORDPIECE_NAMES = ['bert-base-uncased'] as const;

/** Known tiktoken encodings: split pattern and special tokens. */
const TIKTOKEN_FILES: Record<string, { pattern: string; specials: Record<string, number> }> = {
  r50k_base: { pattern: 'r50k', specials: { '<|endoftext|>': 50256 } },
  p50k_base: { pattern: 'r50k', specials: { '<|endoftext|>': 50256 } },
  cl100k_base: {
    pattern: 'cl100k',
    specials: { '<|endoftext|>': 100257, '<|fim_prefix|>': 100258, '<|fim_middle|>': 100259, '<|fim_suffix|>': 100260, '<|endofprompt|>': 100276 },
  },
  o200k_base: { pattern: 'o200k', specials: { '<|endoftext|>': 199999, '<|endofprompt|>': 200018 } },
};

/** The package's data/ folder (found from this module's location). */
function dataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'data', 'bert-base-uncased', 'vocab.txt'))) return join(dir, 'data');
    dir = dirname(dir);
  }
  throw new LlmtsError('E_BUILTIN', 'cannot find data/bert-base-uncased/vocab.txt', { hint: 'reinstall llmts; the package ships data/' });
}

const hint = `use one of ${[...BUILTIN_BPE_NAMES, ...BUILTIN_WORDPIECE_NAMES].join(', ')}, or a path to a tokenizer.json, .tiktoken or vocab.txt file`;

/** Parses a tokenizer.json object into the matching tokenizer (byte-level BPE, WordPiece, byte-fallback BPE, char-level). */
export function tokenizerFromJson(json: unknown, where = 'tokenizer.json'): AnyTokenizer {
  if (isCharTokenizerJson(json)) return CharTokenizer.fromJson(json, where); // the old llmts char-level file (char.ts)
  if (!isJsonObject(json)) throw notTokenizerFile(where, `it is a JSON value (${shownJson(json)}), not an object with a "model" field`);
  if (!('model' in json)) throw notTokenizerFile(where, 'it is a JSON object without a "model" field');
  const model = objectField(json, 'model', where);
  if (model.type === 'WordPiece') return WordPieceTokenizer.fromTokenizerJson(json, where);
  // SentencePiece-style BPE with byte fallback (llama2.c vocabularies, as saved in checkpoints).
  if (model.type === 'BPE' && model.byte_fallback === true) return Llama2cTokenizer.fromTokenizerJson(json, where);
  if (isCharLevelTokenizerJson(json)) return CharTokenizer.fromTokenizerJson(json, where); // what saveTokenizer writes for a char tokenizer
  if (model.type === 'BPE') return bpeFromTokenizerJson(json, where);
  throw new LlmtsError('E_TOKENIZER_JSON', `model.type is ${JSON.stringify(model.type)}; llmts reads BPE and WordPiece tokenizer.json files`, {
    where: `${where}: model.type`, hint: 'pass a tokenizer.json whose model.type is "BPE" or "WordPiece"' });
}

/** Loads a tokenizer by built-in name or from a file / folder; see the module comment. */
export function loadTokenizer(nameOrPath: string): AnyTokenizer {
  if (isBuiltinBpe(nameOrPath)) return builtinTokenizer(nameOrPath);
  if ((BUILTIN_WORDPIECE_NAMES as readonly string[]).includes(nameOrPath)) {
    const path = join(dataDir(), nameOrPath, 'vocab.txt');
    return WordPieceTokenizer.fromVocabTxt(readFileSync(path, 'utf8'), { where: path });
  }
  if (!existsSync(nameOrPath)) {
    throw new LlmtsError('E_TOKENIZER_NOT_FOUND', `no built-in tokenizer or file named ${JSON.stringify(nameOrPath)}`, { where: nameOrPath, hint });
  }
  let path = nameOrPath;
  if (statSync(path).isDirectory()) {
    const inside = ['tokenizer.json', 'vocab.txt'].map((f) => join(path, f)).find((f) => existsSync(f));
    if (!inside) throw new LlmtsError('E_TOKENIZER_NOT_FOUND', `folder ${path} has no tokenizer.json or vocab.txt`, { where: path, hint });
    path = inside;
  }
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new LlmtsError('E_TOKENIZER_NOT_FOUND', `cannot read ${path}`, { where: path, hint, cause: err });
  }
  const format = detectTokenizerFormat(buf, path);
  if (format === 'llama2c-bin') return Llama2cTokenizer.fromBytes(buf, path); // llama2.c tokenizer.bin (llama2c.ts)
  const text = buf.toString('utf8');
  if (format === 'json') {
    let json: unknown;
    try {
      json = JSON.parse(text.replace(/^\ufeff/, ''));
    } catch (err) {
      throw new LlmtsError('E_TOKENIZER_JSON', `${path} is not valid JSON: ${(err as Error).message}`, { where: path, hint: 'pass a Hugging Face tokenizer.json', cause: err });
    }
    return tokenizerFromJson(json, path);
  }
  if (format === 'tiktoken') {
    const name = basename(path).replace(/\.tiktoken$/, '');
    const known = Object.hasOwn(TIKTOKEN_FILES, name) ? TIKTOKEN_FILES[name] : undefined;
    return tiktokenFromText(text, known ? { pattern: known.pattern, specialTokens: known.specials } : {}, path);
  }
  return WordPieceTokenizer.fromVocabTxt(text, { where: path });
}
