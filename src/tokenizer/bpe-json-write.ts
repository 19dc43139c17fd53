/**
 * Writes a byte-level BPE tokenizer as a Hugging Face `tokenizer.json` object (loadable by
 * the HF `tokenizers` library and transformers): BPE model, ByteLevel pre-tokenizer (or a
 * Split regex + ByteLevel), ByteLevel decoder, added tokens. It reads the tokenizer through
 * `BpeJsonSource`, so it does not import bpe.ts (bpe.ts imports it; the reader, hf-json.ts,
 * imports bpe.ts).
 *
 * @example
 * writeFileSync('tokenizer.json', JSON.stringify(bpeToTokenizerJson(builtinTokenizer('gpt2'))));
 */
import { BYTE_TO_UNICODE, bytesToByteLevel } from './byte-level.ts';
import { postProcessorToJson, type PostProcessor } from './post-process.ts';
import { GPT2_PATTERN, R50K_PATTERN, toOnigPattern } from './split-patterns.ts';

type Json = Record<string, unknown>;

/** What the writer reads from a byte-level BPE tokenizer (`BpeTokenizer` has all of it). */
export interface BpeJsonSource {
  readonly pattern: string;
  readonly addPrefixSpace: boolean;
  readonly ignoreMerges: boolean;
  /** BPE token bytes by id (special ids and holes are undefined). */
  vocabBytes(): ReadonlyArray<Uint8Array | undefined>;
  specialTokens(): ReadonlyMap<string, number>;
  /** Merges as id pairs in rank order, or undefined for tiktoken ranks. */
  merges(): ReadonlyArray<readonly [number, number]> | undefined;
  /** Rank of merging tokens a and b, or -1. */
  pairRank(a: number, b: number): number;
  tokenToId(token: string): number | undefined;
  /** The template `addSpecialTokens` applies, or null. */
  readonly postProcessor: PostProcessor | null;
}

/**
 * Merges in rank order for a tokenizer built from tiktoken ranks: each token splits into
 * the two parts that BPE restricted to lower ranks produces (as HF's tiktoken converter
 * does). Tokens that no merge produces are left out (reachable via `ignore_merges`).
 */
export function mergesFromRanks(tok: BpeJsonSource): [number, number][] {
  const vocab = tok.vocabBytes();
  const byteId = (b: number): number => tok.tokenToId(BYTE_TO_UNICODE[b]!)!;
  const out: [number, number][] = [];
  for (let t = 0; t < vocab.length; t++) {
    const b = vocab[t];
    if (b === undefined || b.length < 2) continue;
    const parts = Array.from(b, byteId);
    while (parts.length > 2) {
      let best = -1;
      let at = -1;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = tok.pairRank(parts[i]!, parts[i + 1]!);
        if (r >= 0 && r < t && (best < 0 || r < best)) {
          best = r;
          at = i;
        }
      }
      if (at < 0) break;
      parts.splice(at, 2, best);
    }
    if (parts.length === 2 && tok.pairRank(parts[0]!, parts[1]!) === t) out.push([parts[0]!, parts[1]!]);
  }
  return out;
}

/** The tokenizer.json object for a byte-level BPE tokenizer. */
export function bpeToTokenizerJson(tok: BpeJsonSource): Record<string, unknown> {
  const vocabBytes = tok.vocabBytes();
  const vocab: Record<string, number> = {};
  vocabBytes.forEach((b, id) => {
    if (b !== undefined) vocab[bytesToByteLevel(b)] = id;
  });
  // Special tokens are in model.vocab too, as HF writes them: HF gives an added token
  // missing from the model's vocabulary a new id after it (moving e.g. id 0 to id V).
  for (const [content, id] of tok.specialTokens()) vocab[content] = id;
  const mergeIds = tok.merges() ?? mergesFromRanks(tok);
  const merges = mergeIds.map(([a, b]) => `${bytesToByteLevel(vocabBytes[a]!)} ${bytesToByteLevel(vocabBytes[b]!)}`);
  const added_tokens = [...tok.specialTokens()].sort((x, y) => x[1] - y[1]).map(([content, id]) => ({
    id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const gpt2Regex = tok.pattern === GPT2_PATTERN || tok.pattern === R50K_PATTERN;
  const byteLevel = (useRegex: boolean): Json => ({ type: 'ByteLevel', add_prefix_space: tok.addPrefixSpace, trim_offsets: true, use_regex: useRegex });
  const pre_tokenizer = gpt2Regex
    ? byteLevel(true)
    : { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: toOnigPattern(tok.pattern) }, behavior: 'Isolated', invert: false }, byteLevel(false)] };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens,
    normalizer: null,
    pre_tokenizer,
    post_processor: tok.postProcessor === null ? null : postProcessorToJson(tok.postProcessor),
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: tok.ignoreMerges, vocab, merges,
    },
  };
}
