/**
 * Character-level tokenizer: each distinct character (Unicode code point) of a training
 * text is one token, ids in sorted code-point order (as nanoGPT's shakespeare_char:
 * Tiny Shakespeare gives 65 ids, '\n' = 0, ' ' = 1). It is a BPE with no merges, so it
 * reports `kind: 'bpe'`; `toTokenizerJson()` writes it that way (Hugging Face BPE, empty
 * merges, Fuse decoder).
 *
 * Saved as its own small JSON file (`{"format": "llmts-char-tokenizer", "version": 1,
 * "chars": [...]}`), which `loadTokenizer` recognises.
 *
 * @example
 * const tok = CharTokenizer.fromText('hello world');
 * tok.encode('hold');          // [3, 6, 4, 2]  (' ' = 0, 'd' = 1, 'e' = 2, 'h' = 3, ...)
 * tok.decode([3, 2, 4, 4, 6]); // 'hello'
 * saveCharTokenizer(tok, 'out/tokenizer.json');
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import type { DecodeOptions, Tokenizer } from './types.ts';

/** The `format` field of a saved char tokenizer. */
export const CHAR_TOKENIZER_FORMAT = 'llmts-char-tokenizer';

export class CharTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
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

  /** Parses the saved JSON object (see the module comment). */
  static fromJson(json: unknown, where = 'char tokenizer'): CharTokenizer {
    const o = json as { format?: unknown; version?: unknown; chars?: unknown } | null;
    if (o?.format !== CHAR_TOKENIZER_FORMAT) {
      throw new LlmtsError('E_CHAR_TOKENIZER', `not a char tokenizer file (format is ${JSON.stringify(o?.format)})`, { where, hint: 'pass a file written by saveCharTokenizer' });
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

  /** Text -> ids; a character outside the vocabulary is an error naming it. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const c of text) {
      const id = this.index.get(c);
      if (id === undefined) {
        throw new LlmtsError('E_CHAR_UNKNOWN', `character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in the ${this.chars.length}-character vocabulary`, {
          where: 'CharTokenizer.encode', hint: 'use only characters of the training text' });
      }
      out.push(id);
    }
    return out;
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

  /** The object `saveCharTokenizer` writes. */
  toJson(): { format: string; version: number; chars: string[] } {
    return { format: CHAR_TOKENIZER_FORMAT, version: 1, chars: this.chars.slice() };
  }
}

/** True when a parsed JSON object is a saved char tokenizer. */
export function isCharTokenizerJson(json: unknown): boolean {
  return (json as { format?: unknown } | null)?.format === CHAR_TOKENIZER_FORMAT;
}

/** Writes the tokenizer's JSON file. */
export function saveCharTokenizer(tok: CharTokenizer, path: string): void {
  writeFileSync(path, JSON.stringify(tok.toJson()));
}

/** Reads a file written by `saveCharTokenizer`; errors name the file. */
export function loadCharTokenizer(path: string): CharTokenizer {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LlmtsError('E_CHAR_TOKENIZER', `cannot read ${path} as JSON`, { where: path, hint: 'pass a file written by saveCharTokenizer', cause: err });
  }
  return CharTokenizer.fromJson(json, path);
}
