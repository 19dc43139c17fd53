/**
 * Retrieval: chunking, BM25, exact and HNSW dense search, reciprocal-rank fusion, index
 * directories and recall evaluation (what `llmts index build`, `search` and `ask` use).
 * Embeddings come from the caller (e.g. tasks' `embed`).
 *
 * @example
 * import { search } from 'llmts';
 * const ix = search.SearchIndex.open('runs/idx');
 * ix.search('resume training', null, { k: 5, mode: 'bm25' });
 */
export { chunkText, paragraphs, sentences, type Chunk, type ChunkOptions } from './chunk.ts';
export { terms } from './terms.ts';
export { Bm25, topK, type Bm25Params, type Hit } from './bm25.ts';
export { rrf } from './rrf.ts';
export { ExactIndex } from './exact.ts';
export { AnnIndex, annAvailable, DEFAULT_ANN, type AnnParams } from './ann.ts';
export { readIndexDir, writeIndexDir, parseManifest, INDEX_FORMAT, INDEX_VERSION, type IndexManifest, type IndexFiles, type IndexContent } from './index-dir.ts';
export { buildIndex, SearchIndex, SEARCH_MODES, ANN_MIN_CHUNKS, type BuildIndexOptions, type SearchMode, type SearchResult } from './index-search.ts';
export { askMessages, contextBlock, ASK_SYSTEM, type AskMessage } from './ask-prompt.ts';
export { evaluateRetrieval, maxByDocument, packVectors, FUSION_DEPTH, type RetrievalTask, type RetrievalReport, type RetrievalMode, type EmbedTexts } from './recall.ts';
