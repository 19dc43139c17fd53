/**
 * The contract every tokenizer of llm.ts meets (byte-level BPE, WordPiece), so that data,
 * training, generation and the CLI work with any of them.
 */

/** Options for `Tokenizer.encode`. */
export interface EncodeOptions {
  /**
   * Special tokens that may be matched in the text. Default: none, so a special-token
   * string in user text (e.g. "<|endoftext|>") is encoded as plain text.
   */
  allowedSpecial?: 'all' | ReadonlySet<string> | readonly string[];
  /** Add the post-processor's tokens ([CLS] ... [SEP] for BERT). Default false. */
  addSpecialTokens?: boolean;
}

/** Options for `Tokenizer.decode`. */
export interface DecodeOptions {
  /** Drop special/added tokens from the output. Default false. */
  skipSpecialTokens?: boolean;
}

/** A model-agnostic tokenizer. */
export interface Tokenizer {
  /** 'bpe' (the BPE family as HF names it: byte-level, SentencePiece-style with byte fallback, char-level = BPE without merges) or 'wordpiece'. */
  readonly kind: 'bpe' | 'wordpiece';
  /** Number of ids, added/special tokens included (max id + 1). */
  readonly vocabSize: number;
  /** Text -> ids. */
  encode(text: string, opts?: EncodeOptions): number[];
  /** Ids -> text (byte-level BPE: exact bytes, invalid UTF-8 replaced by U+FFFD). */
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  /** Token string (as stored in the vocabulary) -> id, or undefined. */
  tokenToId(token: string): number | undefined;
  /** Id -> token string (as stored in the vocabulary), or undefined. */
  idToToken(id: number): string | undefined;
  /** Special/added tokens and their ids. */
  specialTokens(): ReadonlyMap<string, number>;
  /** The Hugging Face tokenizer.json object describing this tokenizer. */
  toTokenizerJson(): Record<string, unknown>;
}
