/**
 * Tokenizers inside GGUF files (`tokenizer.ggml.*`), both ways, as llama.cpp reads them:
 * - byte-level BPE (`BpeTokenizer`) <-> model "gpt2": tokens in GPT-2's byte-level
 *   alphabet, merges "left right", token_type (1 normal, 3 control for special tokens,
 *   5 unused for `[PADi]` fillers up to the model's vocabulary), and `pre` naming the split
 *   pattern ("gpt-2" for GPT-2 / r50k, "llama-bpe" for cl100k, "gpt-4o" for o200k);
 * - llama2.c / sentencepiece vocabularies (`Llama2cTokenizer`) <-> model "llama": tokens
 *   with '▁' for spaces, scores, token_type (2 unknown, 3 control, 6 byte, 1 normal),
 *   `<unk>` 0, `<s>` 1, `</s>` 2, byte pieces `<0x00>`..`<0xFF>` at 3..258.
 *
 * @example
 * const meta = tokenizerToGguf(loadTokenizer('gpt2'), 50257); // Map of tokenizer.ggml.* values
 * const tok = tokenizerFromGguf(readGguf('m.gguf'));           // BpeTokenizer | Llama2cTokenizer
 */
import { BpeTokenizer } from '../tokenizer/bpe.ts';
import { mergesFromRanks } from '../tokenizer/bpe-json-write.ts';
import { bytesToByteLevel, byteLevelToBytes } from '../tokenizer/byte-level.ts';
import { Llama2cTokenizer } from '../tokenizer/llama2c.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { CL100K_PATTERN, GPT2_PATTERN, O200K_PATTERN, R50K_PATTERN } from '../tokenizer/split-patterns.ts';
import { LlmtsError } from '../util/errors.ts';
import { metaArray, metaString, type GgufFile, type GgufValue } from './gguf.ts';

/** llama.cpp's token types (llama_token_type). */
const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** Our split pattern <-> llama.cpp's pre-tokenizer name. */
const PRE_BY_PATTERN = new Map<string, string>([
  [GPT2_PATTERN, 'gpt-2'], [R50K_PATTERN, 'gpt-2'], [CL100K_PATTERN, 'llama-bpe'], [O200K_PATTERN, 'gpt-4o'],
]);
const PATTERN_BY_PRE = new Map<string, string>([['gpt-2', 'gpt2'], ['default', 'gpt2'], ['llama-bpe', 'cl100k'], ['gpt-4o', 'o200k']]);

const str = (value: string): GgufValue => ({ type: 'string', value });
const u32 = (value: number): GgufValue => ({ type: 'uint32', value });
const bool = (value: boolean): GgufValue => ({ type: 'bool', value });

function exportError(message: string, hint: string): LlmtsError {
  return new LlmtsError('E_GGUF_EXPORT', message, { where: '--tokenizer', hint });
}

/**
 * The `tokenizer.ggml.*` metadata for `tok`, padded with unused `[PADi]` tokens up to the
 * model's `vocabSize` (llama.cpp wants one token per embedding row).
 */
export function tokenizerToGguf(tok: AnyTokenizer, vocabSize: number): Map<string, GgufValue> {
  if (tok.vocabSize > vocabSize) {
    throw exportError(`the tokenizer has ${tok.vocabSize} ids but the model's vocabulary has ${vocabSize}`, 'pass the tokenizer the model was trained with');
  }
  if (tok.kind === 'llama2c') return spmToGguf(tok, vocabSize);
  if (tok.kind === 'bpe') return bpeToGguf(tok, vocabSize);
  throw exportError(`a ${tok.kind} tokenizer has no llama.cpp form`, 'GGUF carries byte-level BPE (GPT-2 style) and llama2.c / sentencepiece vocabularies; pass --tokenizer with one of those');
}

function bpeToGguf(tok: BpeTokenizer, vocabSize: number): Map<string, GgufValue> {
  const pre = PRE_BY_PATTERN.get(tok.pattern);
  if (!pre) throw exportError('the tokenizer\'s split pattern has no llama.cpp pre-tokenizer name', 'use a GPT-2, cl100k or o200k split pattern');
  const vocab = tok.vocabBytes();
  const specials = new Map([...tok.specialTokens()].map(([content, id]) => [id, content]));
  const tokens: string[] = [];
  const types: number[] = [];
  for (let id = 0; id < vocabSize; id++) {
    const special = specials.get(id);
    const bytes = vocab[id];
    if (special !== undefined) {
      tokens.push(special);
      types.push(TokenType.CONTROL);
    } else if (bytes) {
      tokens.push(bytesToByteLevel(bytes));
      types.push(TokenType.NORMAL);
    } else {
      tokens.push(`[PAD${id}]`);
      types.push(TokenType.UNUSED);
    }
  }
  const merges = (tok.merges() ?? mergesFromRanks(tok)).map(([a, b]) => `${bytesToByteLevel(vocab[a]!)} ${bytesToByteLevel(vocab[b]!)}`);
  const meta = new Map<string, GgufValue>([
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str(pre)],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', values: tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', values: types }],
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', values: merges }],
  ]);
  const eot = tok.specialTokens().get('<|endoftext|>');
  if (eot !== undefined) {
    meta.set('tokenizer.ggml.bos_token_id', u32(eot));
    meta.set('tokenizer.ggml.eos_token_id', u32(eot));
  }
  meta.set('tokenizer.ggml.add_bos_token', bool(false));
  if (tok.addPrefixSpace) meta.set('tokenizer.ggml.add_space_prefix', bool(true));
  return meta;
}

function spmToGguf(tok: Llama2cTokenizer, vocabSize: number): Map<string, GgufValue> {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const special = ['<unk>', '<s>', '</s>'];
  for (let id = 0; id < vocabSize; id++) {
    if (id >= tok.vocabSize) {
      tokens.push(`[PAD${id}]`);
      scores.push(0);
      types.push(TokenType.UNUSED);
      continue;
    }
    const piece = tok.idToToken(id)!;
    scores.push(tok.score(id));
    if (id < 3) {
      tokens.push(special[id]!);
      types.push(id === 0 ? TokenType.UNKNOWN : TokenType.CONTROL);
    } else if (id < 259) {
      tokens.push(piece);
      types.push(TokenType.BYTE);
    } else {
      tokens.push(piece.replaceAll(' ', '\u2581'));
      types.push(TokenType.NORMAL);
    }
  }
  return new Map<string, GgufValue>([
    ['tokenizer.ggml.model', str('llama')],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', values: tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'float32', values: scores }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', values: types }],
    ['tokenizer.ggml.unknown_token_id', u32(0)],
    ['tokenizer.ggml.bos_token_id', u32(1)],
    ['tokenizer.ggml.eos_token_id', u32(2)],
    ['tokenizer.ggml.add_bos_token', bool(true)],
    ['tokenizer.ggml.add_eos_token', bool(false)],
    ['tokenizer.ggml.add_space_prefix', bool(true)],
  ]);
}

function importError(g: GgufFile, field: string, message: string): LlmtsError {
  return new LlmtsError('E_GGUF', `${g.file}: ${field}: ${message}`, { where: `${g.file}: ${field}`, hint: 'llm.ts reads GGUF vocabularies of model "gpt2" (byte-level BPE) and "llama" laid out as Llama 2\'s; pass --tokenizer with the model\'s own tokenizer instead' });
}

/** The tokenizer stored in a GGUF file (see the module comment); E_GGUF naming the field when it is malformed. */
export function tokenizerFromGguf(g: GgufFile): BpeTokenizer | Llama2cTokenizer {
  const model = metaString(g, 'tokenizer.ggml.model');
  const tokens = metaArray(g, 'tokenizer.ggml.tokens', ['string']) as string[];
  const types = (metaArray(g, 'tokenizer.ggml.token_type', ['int32', 'uint32', 'int8', 'uint8', 'int16', 'uint16'], true) as number[] | undefined)
    ?? tokens.map(() => TokenType.NORMAL);
  if (types.length !== tokens.length) throw importError(g, 'tokenizer.ggml.token_type', `has ${types.length} entries for ${tokens.length} tokens`);
  if (model === 'gpt2') return bpeFromGguf(g, tokens, types);
  if (model === 'llama') return spmFromGguf(g, tokens, types);
  throw importError(g, 'tokenizer.ggml.model', `"${model}" is not supported`);
}

function bpeFromGguf(g: GgufFile, tokens: string[], types: number[]): BpeTokenizer {
  const pre = g.metadata.has('tokenizer.ggml.pre') ? metaString(g, 'tokenizer.ggml.pre') : 'default';
  const pattern = PATTERN_BY_PRE.get(pre);
  if (!pattern) throw importError(g, 'tokenizer.ggml.pre', `pre-tokenizer "${pre}" is not supported (gpt-2, llama-bpe and gpt-4o are)`);
  const vocab: (Uint8Array | undefined)[] = [];
  const specialTokens = new Map<string, number>();
  tokens.forEach((t, id) => {
    const type = types[id]!;
    if (type === TokenType.CONTROL || type === TokenType.USER_DEFINED) {
      specialTokens.set(t, id);
      vocab.push(undefined);
    } else if (type === TokenType.UNUSED) {
      vocab.push(undefined);
    } else {
      const bytes = byteLevelToBytes(t, false);
      if (!bytes) throw importError(g, `tokenizer.ggml.tokens[${id}]`, `${JSON.stringify(t)} is not in GPT-2's byte-level alphabet`);
      vocab.push(bytes);
    }
  });
  const merges = (metaArray(g, 'tokenizer.ggml.merges', ['string']) as string[]).map((m, i): [Uint8Array, Uint8Array] => {
    const parts = m.split(' ');
    const a = parts.length === 2 ? byteLevelToBytes(parts[0]!, false) : null;
    const b = parts.length === 2 ? byteLevelToBytes(parts[1]!, false) : null;
    if (!a || !b) throw importError(g, `tokenizer.ggml.merges[${i}]`, `${JSON.stringify(m)} is not "left right" in the byte-level alphabet`);
    return [a, b];
  });
  try {
    return new BpeTokenizer({ vocab, merges, specialTokens, pattern });
  } catch (err) {
    if (err instanceof LlmtsError) throw importError(g, 'tokenizer.ggml.tokens', err.message);
    throw err;
  }
}

function spmFromGguf(g: GgufFile, tokens: string[], types: number[]): Llama2cTokenizer {
  const scores = metaArray(g, 'tokenizer.ggml.scores', ['float32']) as number[];
  if (scores.length !== tokens.length) throw importError(g, 'tokenizer.ggml.scores', `has ${scores.length} entries for ${tokens.length} tokens`);
  if (tokens.length < 259) throw importError(g, 'tokenizer.ggml.tokens', `only ${tokens.length} tokens; a Llama vocabulary starts with <unk>, <s>, </s> and 256 byte pieces`);
  // llama2.c's own pieces for the specials (what Llama2cTokenizer decodes them to)
  const specialPieces = ['<unk>', '\n<s>\n', '\n</s>\n'];
  const pieces = tokens.map((t, id) => {
    if (id < 3) return Buffer.from(specialPieces[id]!, 'utf8');
    if (id < 259) {
      const want = `<0x${(id - 3).toString(16).toUpperCase().padStart(2, '0')}>`;
      if (t !== want || types[id] !== TokenType.BYTE) throw importError(g, `tokenizer.ggml.tokens[${id}]`, `is ${JSON.stringify(t)}, expected the byte piece ${want}`);
      return Buffer.from(t, 'utf8');
    }
    return Buffer.from(types[id] === TokenType.UNUSED ? '' : t.replaceAll('\u2581', ' '), 'utf8');
  });
  const maxLen = pieces.reduce((m, p) => Math.max(m, p.length), 1);
  return new Llama2cTokenizer(pieces, scores, maxLen);
}
