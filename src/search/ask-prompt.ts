/**
 * The prompt of `llmts ask`: retrieved chunks numbered [1], [2], ... as context, and an
 * instruction to answer from them only and cite them by number (retrieval-augmented
 * generation, as in Lewis et al. 2020). Chunks are cut to `maxChars` each so the prompt
 * fits a small model's context.
 *
 * @example
 * askMessages('How do I resume?', results);
 * // [{ role: 'system', content: 'Answer the question using only the numbered sources...' },
 * //  { role: 'user', content: '[1] (README.md) ...\n\nQuestion: How do I resume?' }]
 */
import type { SearchResult } from './index-search.ts';

/** A chat message (the shape src/infer's chat templates take). */
export interface AskMessage {
  role: 'system' | 'user';
  content: string;
}

export const ASK_SYSTEM = 'Answer the question using only the numbered sources below. Cite the sources you use as [1], [2]. If they do not hold the answer, say so.';

/** The numbered context block: '[n] (source) text' per chunk. */
export function contextBlock(results: readonly SearchResult[], maxChars = 800): string {
  return results.map((r, i) => {
    const t = r.chunk.text.replace(/\s+/g, ' ').trim();
    return `[${i + 1}] (${r.chunk.source}) ${t.length > maxChars ? `${t.slice(0, maxChars)}...` : t}`;
  }).join('\n\n');
}

/** The system and user messages for `question` over `results` (see the module comment). */
export function askMessages(question: string, results: readonly SearchResult[], maxChars = 800): AskMessage[] {
  return [
    { role: 'system', content: ASK_SYSTEM },
    { role: 'user', content: `Sources:\n\n${contextBlock(results, maxChars)}\n\nQuestion: ${question.trim()}` },
  ];
}
