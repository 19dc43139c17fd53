/**
 * Character-level tokenizer: each distinct character (Unicode code point) of a training
 * text is one token, ids in sorted code-point order (as nanoGPT's shakespeare_char:
 * Tiny Shakespeare gives 65 ids, '\n' = 0, ' ' = 1).
 *
 * Saved as a Hugging Face tokenizer.json (`toTokenizerJson`): a BPE model over these
 * characters with no merges, no normalizer or pre-tokenizer and a Fuse decoder, which HF
 * `tokenizers` encodes to the same ids (tested). Unknown characters: HF, with no unk
 * token, drops them; `encode` here refuses them (E_CHAR_UNKNOWN) rather than drop text.
 * `loadTokenizer` recognises that form (`isCharLevelTokenizerJson`) and still reads the
 * file older llmts versions wrote (`{"format": "llmts-char-tokenizer", "version": 1,
 * "chars": [...]}`).
 *
 * @example
 * const tok = CharTokenizer.fromText('hello world');
 * tok.encode('hold');          // [3, 6, 4, 2]  (' ' = 0, 'd' = 1, 'e' = 2, 'h' = 3, ...)
 * tok.decode([3, 2, 4, 4, 6]); // 'hello'
 * saveTokenizer(tok, 'out/tokenizer.json');
 */
import { LlmtsError } from '../util/errors.ts';
import { isJsonObject } from './json-fields.ts';
import { addBosEos, NO_SPECIAL_IDS } from './specials.ts';
import type { DecodeOptions, EncodeOptions, SpecialIds, Tokenizer } from './types.ts';

/** The `format` field of the char tokenizer file of older llmts versions. */
export const CHAR_TOKENIZER_FORMAT = 'llmts-char-tokenizer';

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  /** A char tokenizer has no special tokens. */
  readonly specialIds: SpecialIds = NO_SPECIAL_IDS;
  /** The characters, in id order. */
  readonly chars: readonly string[];
  private readonly index: Map<string, number>;

  /** A tokenizer over exactly these characters (ids in the given order); no duplicates. */
  constructor(chars: readonly string[], where = 'CharTokenizer') {
    this.chars = chars.slice();
    this.index = new Map();
    chars.forEach((c, i) => {
      if ([...c].length !== 1) {
        throw new LlmtsError('E_CHAR_TOKENIZER', `entry ${i} (${JSON.stringify(c)}) is not a single character`, { where, hint: 'list one code point per entry' });
      }
      if (this.index.has(c)) throw new LlmtsError('E_CHAR_TOKENIZER', `character ${JSON.stringify(c)} is listed twice`, { where, hint: 'list each character once' });
      this.index.set(c, i);
    });
  }

  /** The sorted distinct code points of `text` (nanoGPT's `sorted(set(text))`). */
  static fromText(text: string): CharTokenizer {
    const set = new Set<string>();
    for (const c of text) set.add(c);
    return new CharTokenizer([...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** Reads the char tokenizer file of older llmts versions (see the module comment). */
  static fromJson(json: unknown, where = 'char tokenizer'): CharTokenizer {
    const o = json as { format?: unknown; version?: unknown; chars?: unknown } | null;
    if (o?.format !== CHAR_TOKENIZER_FORMAT) {
      throw new LlmtsError('E_CHAR_TOKENIZER', `not a char tokenizer file (format is ${JSON.stringify(o?.format)})`, { where, hint: 'pass a tokenizer.json written by llmts (saveTokenizer)' });
    }
    if (o.version !== 1) throw new LlmtsError('E_CHAR_TOKENIZER', `unsupported char tokenizer version ${JSON.stringify(o.version)}`, { where, hint: 'this llmts reads version 1' });
    if (!Array.isArray(o.chars) || !o.chars.every((c) => typeof c === 'string')) {
      throw new LlmtsError('E_CHAR_TOKENIZER', '"chars" must be an array of strings', { where: `${where}: chars` });
    }
    return new CharTokenizer(o.chars as string[], where);
  }

  get vocabSize(): number {
    return this.chars.length;
  }

  /**
   * A tokenizer.json in the form `toTokenizerJson` writes (check it with
   * `isCharLevelTokenizerJson` first): the characters in id order.
   */
  static fromTokenizerJson(json: Record<string, unknown>, where = 'tokenizer.json'): CharTokenizer {
    if (!isCharLevelTokenizerJson(json)) {
      throw new LlmtsError('E_CHAR_TOKENIZER', `${where} is not a char-level tokenizer.json`, { where, hint: 'pass a tokenizer.json written by llmts for a char tokenizer' });
    }
    const vocab = (json.model as { vocab: Record<string, number> }).vocab;
    const chars = new Array<string>(Object.keys(vocab).length);
    for (const [c, id] of Object.entries(vocab)) chars[id] = c;
    return new CharTokenizer(chars, where);
  }

  /** Text -> ids; a character outside the vocabulary is an error naming it. A char tokenizer has no bos/eos to add. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    for (const c of text) {
      const id = this.index.get(c);
      if (id === undefined) {
        throw new LlmtsError('E_CHAR_UNKNOWN', `character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in the ${this.chars.length}-character vocabulary`, {
          where: 'CharTokenizer.encode', hint: 'use only characters of the training text' });
      }
      out.push(id);
    }
    return opts.addBos || opts.addEos ? addBosEos(out, this.specialIds, opts, false) : out;
  }

  /** Ids -> text; an id out of range is an error. */
  decode(ids: ArrayLike<number>, _opts?: DecodeOptions): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]!];
      if (c === undefined) throw new LlmtsError('E_TOKEN_ID', `id ${ids[i]} is out of range [0, ${this.chars.length})`, { where: 'CharTokenizer.decode' });
      s += c;
    }
    return s;
  }

  tokenToId(token: string): number | undefined {
    return this.index.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.chars[id];
  }

  specialTokens(): ReadonlyMap<string, number> {
    return new Map();
  }

  /** A Hugging Face tokenizer.json: BPE over these characters with no merges, Fuse decoder. */
  toTokenizerJson(): Record<string, unknown> {
    return {
      version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
      pre_tokenizer: null, post_processor: null, decoder: { type: 'Fuse' },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
        fuse_unk: false, byte_fallback: false, vocab: Object.fromEntries(this.chars.map((c, i) => [c, i])), merges: [] },
    };
  }

}

/**
 * True when a parsed tokenizer.json is a char-level tokenizer as `toTokenizerJson` writes
 * it: model BPE without byte fallback and with no merges, no normalizer, pre-tokenizer,
 * post-processor or added tokens, and a vocabulary of single characters with ids 0..n-1.
 */
export function isCharLevelTokenizerJson(json: unknown): boolean {
  if (!isJsonObject(json) || !isJsonObject(json.model)) return false;
  const m = json.model;
  const none = (x: unknown): boolean => x === null || x === undefined;
  if (m.type !== 'BPE' || m.byte_fallback === true || !Array.isArray(m.merges) || m.merges.length !== 0 || !isJsonObject(m.vocab)) return false;
  if (!none(json.normalizer) || !none(json.pre_tokenizer) || !none(json.post_processor)) return false;
  if (!(none(json.added_tokens) || (Array.isArray(json.added_tokens) && json.added_tokens.length === 0))) return false;
  const entries = Object.entries(m.vocab);
  const seen = new Uint8Array(entries.length);
  for (const [c, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length || seen[id] === 1) return false;
    if (c.length === 0 || c.length > 2 || [...c].length !== 1) return false;
    seen[id] = 1;
  }
  return entries.length > 0;
}

/** True when a parsed JSON object is the char tokenizer file of older llmts versions. */
export function isCharTokenizerJson(json: unknown): boolean {
  return (json as { format?: unknown } | null)?.format === CHAR_TOKENIZER_FORMAT;
}
