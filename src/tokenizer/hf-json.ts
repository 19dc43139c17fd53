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
import {
  addedTokensAt, arrayAt, isJsonObject, mergesAt, objectAt, optBooleanAt, optObjectAt, vocabAt,
} from './json-fields.ts';
import { postProcessorFromJson } from './post-process.ts';
import { GPT2_PATTERN, fromOnigPattern, toJsRegExp } from './split-patterns.ts';

/** Finds ByteLevel / Split settings in a pre_tokenizer (plain or Sequence). */
function readPreTokenizer(pre: unknown, where: string): { pattern?: string; byteLevel: boolean; addPrefixSpace: boolean } {
  const top = optObjectAt(pre, 'pre_tokenizer', where);
  const list: [unknown, string][] = top === null ? []
    : top.type === 'Sequence' ? arrayAt(top.pretokenizers, 'pre_tokenizer.pretokenizers', where).map((p, i) => [p, `pre_tokenizer.pretokenizers[${i}]`])
      : [[top, 'pre_tokenizer']];
  let pattern: string | undefined;
  let byteLevel = false;
  let addPrefixSpace = false;
  for (const [item, path] of list) {
    const p = objectAt(item, path, where);
    if (p.type === 'ByteLevel') {
      byteLevel = true;
      addPrefixSpace = optBooleanAt(p.add_prefix_space, `${path}.add_prefix_space`, where, false);
      if (optBooleanAt(p.use_regex, `${path}.use_regex`, where, true)) {
        if (pattern !== undefined) throw new LlmtsError('E_HF_UNSUPPORTED', 'both a Split regex and ByteLevel use_regex are set', { where: `${where}: ${path}` });
        pattern = GPT2_PATTERN;
      }
    } else if (p.type === 'Split') {
      const pat = p.pattern;
      if (!isJsonObject(pat) || typeof pat.Regex !== 'string' || p.behavior !== 'Isolated' || p.invert === true) {
        throw new LlmtsError('E_HF_UNSUPPORTED', `unsupported Split pre-tokenizer ${JSON.stringify(p).slice(0, 200)}`, { where: `${where}: ${path}`, hint: 'only Split { pattern: { Regex }, behavior: "Isolated", invert: false } is supported' });
      }
      pattern = fromOnigPattern(pat.Regex);
      try {
        toJsRegExp(pattern);
      } catch (err) {
        throw new LlmtsError('E_TOKENIZER_JSON', `${where}: ${path}.pattern.Regex does not compile: ${(err as Error).message}`, {
          where: `${where}: ${path}.pattern.Regex`, hint: 'fix the regex, or use a ByteLevel pre-tokenizer with use_regex: true', cause: err });
      }
    } else {
      throw new LlmtsError('E_HF_UNSUPPORTED', `unsupported pre-tokenizer type ${JSON.stringify(p.type)}`, { where: `${where}: ${path}.type`, hint: 'byte-level BPE supports ByteLevel and Split(Regex) pre-tokenizers' });
    }
  }
  return { pattern, byteLevel, addPrefixSpace };
}

/** Byte-level bytes of a vocabulary or merge token, or an error naming the field. */
function byteLevelAt(token: string, path: string, where: string): Uint8Array {
  const bytes = byteLevelToBytes(token, false);
  if (bytes === null) {
    throw new LlmtsError('E_HF_JSON', `${where}: ${path}: token ${JSON.stringify(token.slice(0, 40))} is not a byte-level string and not an added token`, {
      where: `${where}: ${path}`, hint: 'only byte-level BPE (GPT-2 style) vocabularies are supported' });
  }
  return bytes;
}

/** Builds a BpeTokenizer from a parsed tokenizer.json (BPE model with ByteLevel); errors name the field at fault. */
export function bpeFromTokenizerJson(json: unknown, where = 'tokenizer.json'): BpeTokenizer {
  if (!isJsonObject(json) || !isJsonObject(json.model)) throw new LlmtsError('E_HF_JSON', 'not a tokenizer.json: no "model" object', { where });
  const model = json.model;
  if (model.type !== 'BPE') throw new LlmtsError('E_HF_UNSUPPORTED', `model.type is ${String(model.type)}, not BPE`, { where: `${where}: model.type`, hint: 'load WordPiece tokenizers with the WordPiece loader' });
  const normalizer = optObjectAt(json.normalizer, 'normalizer', where);
  if (normalizer !== null) {
    throw new LlmtsError('E_HF_UNSUPPORTED', `normalizer ${JSON.stringify(normalizer.type)} is not supported for byte-level BPE`, { where: `${where}: normalizer`, hint: 'byte-level BPE tokenizers (GPT-2, cl100k) use no normalizer' });
  }
  const pre = readPreTokenizer(json.pre_tokenizer, where);
  const decoder = optObjectAt(json.decoder, 'decoder', where);
  if (!pre.byteLevel && decoder?.type !== 'ByteLevel') {
    throw new LlmtsError('E_HF_UNSUPPORTED', 'this BPE tokenizer is not byte-level (no ByteLevel pre-tokenizer or decoder)', { where, hint: 'only byte-level BPE (GPT-2 style) is supported' });
  }
  const specialTokens = new Map<string, number>();
  for (const t of addedTokensAt(json.added_tokens, where)) specialTokens.set(t.content, t.id);
  const vocab: (Uint8Array | undefined)[] = [];
  for (const [token, id] of vocabAt(model.vocab, 'model.vocab', where)) {
    if (specialTokens.has(token)) continue;
    vocab[id] = byteLevelAt(token, `model.vocab[${JSON.stringify(token)}]`, where);
  }
  const merges = mergesAt(model.merges, 'model.merges', where)
    .map(([a, b], i): [Uint8Array, Uint8Array] => [byteLevelAt(a, `model.merges[${i}]`, where), byteLevelAt(b, `model.merges[${i}]`, where)]);
  if (pre.byteLevel && pre.pattern === undefined) {
    throw new LlmtsError('E_HF_UNSUPPORTED', 'ByteLevel pre-tokenizer with use_regex: false and no Split pattern (no pre-tokenization) is not supported', { where: `${where}: pre_tokenizer`, hint: 'add a Split { Regex } pre-tokenizer or set use_regex: true' });
  }
  // A template (Llama 3's <|begin_of_text|>, BART's RobertaProcessing) is what addSpecialTokens applies; ByteLevel and
  // other post-processors add no tokens to byte-level BPE (GPT-2) and are not read.
  const pp = optObjectAt(json.post_processor, 'post_processor', where);
  const postProcessor = pp?.type === 'TemplateProcessing' || pp?.type === 'BertProcessing' || pp?.type === 'RobertaProcessing' ? postProcessorFromJson(pp, where) : null;
  return new BpeTokenizer({
    vocab, merges, specialTokens, pattern: pre.pattern ?? GPT2_PATTERN,
    ignoreMerges: optBooleanAt(model.ignore_merges, 'model.ignore_merges', where, false), addPrefixSpace: pre.addPrefixSpace, postProcessor,
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
