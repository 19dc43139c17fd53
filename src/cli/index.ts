/**
 * `llmts index build`: a search index of text files: chunks (sentence windows with
 * overlap), one embedding per chunk from an encoder (or any model `llmts embed` takes),
 * BM25 at search time, and an HNSW graph for large collections. The folder is written
 * atomically (src/search/index-dir.ts).
 *
 *   llmts index build --model runs/embed/model --out runs/idx docs/*.md
 */
import { readFileSync } from 'node:fs';
import { checkInputFiles } from '../data/ingest/files.ts';
import { buildIndex } from '../search/index-search.ts';
import { writeIndexDir } from '../search/index-dir.ts';
import { embed } from '../tasks/embed.ts';
import { loadTaskModel } from '../tasks/model-kind.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { progressFor } from './task-common.ts';

const HELP = `usage: llmts index build --model M --out DIR [options] FILES...

Builds a search index of text files for llmts search and llmts ask.

options:
  --model M            the embedding model (llmts recipe embed, a BERT directory, or any model llmts embed takes)
  --out DIR            the index folder (created; an older index there is replaced)
  --chunk-words N      most words in a chunk (default 120)
  --chunk-overlap N    sentences a chunk repeats from the one before (default 1)
  --ann MODE           auto (HNSW from 10,000 chunks), on, off (exact search) (default auto)
  --batch-size N       chunks per forward pass (default 32)
  -h, --help           this help`;

/** Runs `llmts index <sub>`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(HELP);
    return sub === undefined ? 1 : 0;
  }
  if (sub !== 'build') throw new LlmtsError('E_USAGE', `unknown subcommand 'index ${sub}'`, { where: 'llmts index', hint: 'use llmts index build --model M --out DIR FILES...' });
  const { values, positionals } = parseFlags('index build', rest, {
    model: { type: 'string' }, out: { type: 'string' }, 'chunk-words': { type: 'string' }, 'chunk-overlap': { type: 'string' },
    ann: { type: 'string' }, 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, { allowPositionals: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts index build needs --model', { where: '--model', hint: 'e.g. --model runs/embed/model (llmts recipe embed)' });
  if (!values.out) throw new LlmtsError('E_USAGE', 'llmts index build needs --out', { where: '--out', hint: 'e.g. --out runs/idx' });
  if (positionals.length === 0) throw new LlmtsError('E_USAGE', 'llmts index build needs the files to index', { where: 'FILES', hint: 'e.g. llmts index build --model M --out DIR docs/*.md' });
  const ann = values.ann ?? 'auto';
  if (ann !== 'auto' && ann !== 'on' && ann !== 'off') throw new LlmtsError('E_FLAG', `--ann must be auto, on or off, got '${ann}'`, { where: '--ann', hint: 'e.g. --ann off' });
  const maxWords = numberFlag(values['chunk-words'], '--chunk-words', 120, { int: true, min: 1, max: 100000 });
  const overlap = numberFlag(values['chunk-overlap'], '--chunk-overlap', 1, { int: true, min: 0, max: 1000 });
  const batchSize = numberFlag(values['batch-size'], '--batch-size', 32, { int: true, min: 1 });
  checkInputFiles(positionals, 'FILES');
  const files = positionals.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const m = loadTaskModel(values.model);
  let bar: ((done: number, total: number) => void) | undefined;
  const content = buildIndex(files, (texts) => embed(m, texts, { batchSize, caller: 'llmts index build' }), {
    model: values.model, maxWords, overlap, ann,
    onProgress: (done, total) => {
      bar ??= progressFor('index build', total, 256);
      bar?.(done, total);
    },
  });
  writeIndexDir(values.out, content);
  const m2 = content.manifest;
  console.log(`index ${values.out}: ${m2.chunks} chunks of ${files.length} file(s), ${m2.dim}-dimensional vectors, ${content.ann ? 'HNSW graph' : 'exact search'}`);
  return 0;
}
