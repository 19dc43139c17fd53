/**
 * `llmts search`: the best chunks of an index for a query: BM25, dense (cosine of the
 * index model's embeddings) or hybrid (reciprocal-rank fusion of both, the default).
 *
 *   llmts search --index runs/idx --query "how do I resume training?" --k 5
 */
import { SEARCH_MODES, SearchIndex, type SearchMode, type SearchResult } from '../search/index-search.ts';
import { embed } from '../tasks/embed.ts';
import { loadTaskModel } from '../tasks/model-kind.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts search --index DIR --query Q [--k N] [--mode hybrid|bm25|dense] [--json]

Prints the best chunks of an index (llmts index build) for a query, best first.

options:
  --index DIR      the index folder
  --query Q        what to look for
  --k N            results (default 5)
  --mode M         hybrid (BM25 + dense by reciprocal-rank fusion, default), bm25, dense
  --dense-weight W the dense list's weight in the hybrid's fusion, BM25's being 1 (default 1)
  --model M        embed the query with M instead of the index's model (same vectors needed)
  --json           one JSON object per result: rank, score, source, start, end, text
  -h, --help       this help`;

/** The index, the query's embedding when the mode needs one, and the ranked chunks. */
export function searchIndex(dir: string, query: string, o: { k: number; mode: SearchMode; model?: string; denseWeight?: number }): { index: SearchIndex; results: SearchResult[] } {
  if (query.trim() === '') throw new LlmtsError('E_USAGE', 'the query is empty', { where: '--query', hint: 'e.g. --query "resume training"' });
  const index = SearchIndex.open(dir);
  let vector: Float32Array | null = null;
  if (o.mode !== 'bm25') {
    const m = loadTaskModel(o.model ?? index.manifest.model);
    vector = embed(m, [query], { caller: 'llmts search' })[0]!;
    if (vector.length !== index.manifest.dim) {
      throw new LlmtsError('E_INDEX', `the model gives ${vector.length}-dimensional vectors; the index holds ${index.manifest.dim}`, { where: '--model', hint: 'use the model the index was built with' });
    }
  }
  return { index, results: index.search(query, vector, { k: o.k, mode: o.mode, denseWeight: o.denseWeight }) };
}

/** Parses --mode. */
export function modeFlag(v: string | undefined): SearchMode {
  const mode = v ?? 'hybrid';
  if (!(SEARCH_MODES as readonly string[]).includes(mode)) throw new LlmtsError('E_FLAG', `--mode must be one of ${SEARCH_MODES.join(', ')}, got '${mode}'`, { where: '--mode', hint: 'e.g. --mode hybrid' });
  return mode as SearchMode;
}

/** Runs `llmts search`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('search', argv, {
    index: { type: 'string' }, query: { type: 'string' }, k: { type: 'string' }, mode: { type: 'string' }, model: { type: 'string' }, 'dense-weight': { type: 'string' },
    json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.index) throw new LlmtsError('E_USAGE', 'llmts search needs --index', { where: '--index', hint: 'build one with llmts index build --model M --out DIR FILES...' });
  if (values.query === undefined) throw new LlmtsError('E_USAGE', 'llmts search needs --query', { where: '--query', hint: 'e.g. --query "resume training"' });
  const k = numberFlag(values.k, '--k', 5, { int: true, min: 1, max: 10000 });
  const denseWeight = numberFlag(values['dense-weight'], '--dense-weight', 1, { min: 0 });
  const { results } = searchIndex(values.index, values.query, { k, mode: modeFlag(values.mode), model: values.model, denseWeight });
  for (const r of results) {
    const c = r.chunk;
    if (values.json) console.log(JSON.stringify({ rank: r.rank, score: r.score, source: c.source, start: c.start, end: c.end, text: c.text }));
    else console.log(`[${r.rank}] ${c.source}:${c.start}-${c.end} (${r.score.toPrecision(4)})\n    ${c.text.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
  if (results.length === 0 && !values.json) console.log('no results');
  return 0;
}
