/**
 * Reads the documents back from the shards `prepare` writes (`.jsonl` with a "text"
 * field per line, or `.parquet` with a "text" column; either optionally `.gz`), one
 * document at a time, for the stages that consume prepared corpora (tokenizer
 * training, `data tokenize`). Plain text files are passed through whole.
 *
 * @example
 * for await (const text of shardTexts(['clean/train-00000.jsonl', 'clean/train-00001.parquet'])) use(text);
 */
import { formatOf } from './ingest/files.ts';
import { readInput } from './ingest/readers.ts';
import { LlmtsError } from '../util/errors.ts';
import { statSync } from 'node:fs';

/** Texts of the documents in `paths`, in order; a bad record throws an LlmtsError naming file and line. */
export async function* shardTexts(paths: string[], field = 'text'): AsyncGenerator<string> {
  const ctx = { bytesRead: 0, invalidUtf8: 0 };
  for (const path of paths) {
    const f = formatOf(path) ?? { format: 'text' as const, gzip: false };
    let size = 0;
    try { size = statSync(path).size; } catch { /* reported by the reader */ }
    for await (const ev of readInput({ path, format: f.format, gzip: f.gzip, size }, { field }, ctx)) {
      if (ev.kind === 'bad') {
        throw new LlmtsError('E_SHARD', `${path}${ev.loc ? `:${ev.loc}` : ''}: ${ev.reason}`, { where: path, hint: 'give shards written by `llmts data prepare` (JSON lines or Parquet with a "text" field)' });
      }
      yield ev.text;
    }
  }
}
