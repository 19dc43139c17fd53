/**
 * Public API of the tokenizer layer: byte-level BPE (GPT-2, cl100k, trained), WordPiece
 * (BERT), their trainers, file formats (tokenizer.json, .tiktoken, vocab.txt, GPT-2
 * encoder.json + vocab.bpe), post-processing and streaming decode.
 *
 * @example
 * import { loadTokenizer } from './tokenizer/index.ts';
 * const tok = loadTokenizer('gpt2');
 * tok.decode(tok.encode('hello world'));  // 'hello world'
 */
export type { DecodeOptions, EncodeOptions, SpecialIds, Tokenizer } from './types.ts';
export { saveTokenizer } from './save.ts';
export { detectTokenizerFormat, type TokenizerFileFormat } from './format.ts';
export { specialIdsFromTokens } from './specials.ts';
export { CharTokenizer } from './char.ts';
export { Llama2cTokenizer } from './llama2c.ts';
export { loadTokenizer, tokenizerFromJson, BUILTIN_WORDPIECE_NAMES, type AnyTokenizer } from './load.ts';

// Byte-level BPE.
export { BpeTokenizer, type BpeSpec } from './bpe.ts';
export { builtinTokenizer, isBuiltinBpe, BUILTIN_BPE_NAMES, type BuiltinBpeName } from './builtin.ts';
export { bpeFromTokenizerJson, loadBpeTokenizerJson, saveBpeTokenizerJson } from './hf-json.ts';
export { bpeToTokenizerJson, mergesFromRanks, type BpeJsonSource } from './bpe-json-write.ts';
export { loadTiktoken, parseTiktoken, saveTiktoken, tiktokenFromText, toTiktokenText, type TiktokenOptions } from './tiktoken-file.ts';
export { gpt2FromFiles, loadGpt2Files } from './gpt2-files.ts';
export { trainBpe, trainBpeFromCounts, saveTrainedBpe, type BpeTrainerOptions, type BpeTrainResult, type BpeTrainInput } from './bpe-trainer.ts';
export { encodeFiles, type EncodeFilesOptions } from './encode-files.ts';
export { StreamingDecoder, type BytesDecoder } from './streaming.ts';
export { SPLIT_PATTERNS, GPT2_PATTERN, R50K_PATTERN, CL100K_PATTERN, O200K_PATTERN, resolvePattern, toJsRegExp } from './split-patterns.ts';
export { BYTE_TO_UNICODE, bytesToByteLevel, byteLevelToBytes } from './byte-level.ts';

// WordPiece.
export {
  WordPieceTokenizer, WordPieceModel, parseVocabTxt, wordPieceConfigFromJson, wordPieceCleanup,
  type WordPieceConfig, type WordPieceModelOptions, type AddedToken,
} from './wordpiece.ts';
export { bertNormalize, bertPreTokenize, forEachBertWord, isBertPunctuation, type BertNormalizerOptions } from './bert-pretokenizer.ts';
export {
  trainWordPiece, trainWordPieceFromCounts, wordPieceFromCounts, countWordPieceFiles, WordCounter,
  type WordPieceTrainerOptions, type WordPieceTrainResult,
} from './wordpiece-trainer.ts';

// Post-processing (templates, truncation, padding), shared by all tokenizers.
export {
  bertTemplate, encodeIds, padEncodings, truncateIds, addedTokenCount, postProcessorFromJson, postProcessorToJson,
  type Encoding, type PaddingOptions, type PostProcessor, type TemplatePiece, type TruncationOptions,
} from './post-process.ts';
