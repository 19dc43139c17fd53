/**
 * The contract every tokenizer of llm.ts meets (byte-level BPE, WordPiece, char-level,
 * llama2.c), so that data, training, generation and the CLI work with any of them without
 * knowing which it is: code outside src/tokenizer uses this contract, never the classes.
 */

/** Options for `Tokenizer.encode`. */
export interface EncodeOptions {
  /**
   * Special tokens that may be matched in the text. Default: none, so a special-token
   * string in user text (e.g. "<|endoftext|>") is encoded as plain text.
   */
  allowedSpecial?: 'all' | ReadonlySet<string> | readonly string[];
  /**
   * Add the tokenizer's own special tokens, as HF's `add_special_tokens`: the template of
   * its post-processor (BERT: [CLS] ... [SEP]; llama2.c: BOS first; a byte-level BPE
   * tokenizer.json's TemplateProcessing, e.g. Llama 3's <|begin_of_text|>). GPT-2,
   * tiktoken and char-level tokenizers have no template and add nothing. Default false.
   */
  addSpecialTokens?: boolean;
  /** Put `specialIds.bos` first (unless `addSpecialTokens` already did); E_NO_SPECIAL_TOKEN when there is none. Default false. */
  addBos?: boolean;
  /** Put `specialIds.eos` last; E_NO_SPECIAL_TOKEN when there is none. Default false. */
  addEos?: boolean;
}

/**
 * The ids of the special tokens models use, `undefined` where the tokenizer has none.
 * From the tokenizer's own knowledge where it has it (llama2.c: <unk> 0, <s> 1, </s> 2;
 * WordPiece: its unk token), else from the usual names among its special tokens (see
 * specials.ts): GPT-2's <|endoftext|> is both bos and eos, as in Hugging Face's GPT-2.
 */
export interface SpecialIds {
  /** Begins a sequence: <s>, <|begin_of_text|>, <bos>, or GPT-2's <|endoftext|>. */
  readonly bos: number | undefined;
  /** Ends a sequence (or a document): </s>, <|endoftext|>, <|end_of_text|>, <eos>. */
  readonly eos: number | undefined;
  /** Fills batches to one length: [PAD], <pad>. */
  readonly pad: number | undefined;
  /** Stands for what the vocabulary cannot spell: [UNK], <unk>. */
  readonly unk: number | undefined;
  /** Masked-LM target: [MASK], <mask>. */
  readonly mask: number | undefined;
  /** Classification token at the start: [CLS], <cls>. */
  readonly cls: number | undefined;
  /** Separates and ends segments: [SEP], <sep>. */
  readonly sep: number | undefined;
}

/** Options for `Tokenizer.decode`. */
export interface DecodeOptions {
  /** Drop special/added tokens from the output. Default false. */
  skipSpecialTokens?: boolean;
}

/** A model-agnostic tokenizer. */
export interface Tokenizer {
  /**
   * Which tokenizer this is: 'bpe' (byte-level BPE: GPT-2, tiktoken, HF ByteLevel),
   * 'wordpiece' (BERT), 'char' (one token per character) or 'llama2c' (SentencePiece-style
   * BPE with byte fallback, encoded as llama2.c's run.c does). All but 'wordpiece' are
   * model.type "BPE" in their tokenizer.json.
   */
  readonly kind: 'bpe' | 'wordpiece' | 'char' | 'llama2c';
  /** Ids of bos/eos/pad/unk/mask/cls/sep, undefined where absent. */
  readonly specialIds: SpecialIds;
  /** Number of ids, added/special tokens included (max id + 1). */
  readonly vocabSize: number;
  /** Text -> ids; `opts` adds special tokens (see EncodeOptions). */
  encode(text: string, opts?: EncodeOptions): number[];
  /** Ids -> text (byte-level BPE: exact bytes, invalid UTF-8 replaced by U+FFFD). */
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  /** Token string (as stored in the vocabulary) -> id, or undefined. */
  tokenToId(token: string): number | undefined;
  /** Id -> token string (as stored in the vocabulary), or undefined. */
  idToToken(id: number): string | undefined;
  /** Special/added tokens and their ids. */
  specialTokens(): ReadonlyMap<string, number>;
  /** The Hugging Face tokenizer.json object describing this tokenizer (what `saveTokenizer` writes; loads in HF `tokenizers`). */
  toTokenizerJson(): Record<string, unknown>;
}
