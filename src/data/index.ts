/**
 * The data layer: ingest, clean, filter, deduplicate, split and write text corpora
 * (`prepare`, `corpusStats`), and the pieces for use on their own.
 */
export { prepare, corpusStats, DEFAULT_PREPARE, type PrepareOptions } from './prepare.ts';
export { cleanText, normalizeWhitespace, DEFAULT_CLEAN, newCleanCounts, type CleanOptions, type CleanCounts } from './clean.ts';
export { fixMojibake } from './mojibake.ts';
export { scrubPii, newPiiCounts, type PiiCounts } from './pii.ts';
export { runFilters, DEFAULT_FILTERS, LanguageId, ProfanityList, type FilterNotes, type FilterOptions } from './filters/index.ts';
export { MinHasher, estimateJaccard, exactJaccard, type MinHashOptions } from './dedup/minhash.ts';
export { Deduper, DEFAULT_DEDUP, type DedupOptions, type DedupVerdict } from './dedup/dedup.ts';
export { splitOf, type Split } from './split.ts';
export { expandInputs, formatOf, type InputFile, type InputFormat } from './ingest/files.ts';
export { readInput, type IngestEvent, type IngestOptions } from './ingest/readers.ts';
export { ShardWriter, abortAllShards, removePartialShards, listShards, type ShardFormat, type ShardInfo } from './output.ts';
export { formatSummary, type DataReport } from './report.ts';
export { normalizedWordHashes, wordTokens } from './words.ts';
export { loadStopwords, defaultProfanityList, loadWordListFile } from './wordlists.ts';
export { shardTexts } from './read-shards.ts';
export { writeShard, readShard, dtypeFor, SHARD_MAGIC, SHARD_VERSION, type Shard, type ShardIds } from './shards.ts';
export { TokenLoader, type LoaderOptions, type Batch } from './loader.ts';
export { tokenizeFiles, loadTokenData, saveTokenizer, type TokenizeOptions, type TokensMeta, type TokenData } from './tokenize.ts';
export { counterfactual, loadFirstNames, GENDER_PAIRS, type CdaOptions, type CdaResult } from './cda.ts';
export { readConversations, parseConversations, toConversation, type Conversation, type Turn } from './sft-data.ts';
export { readLabelled, parseLabelled, labelSet, type LabelledText } from './classify-data.ts';
