/**
 * `llmts data tokenize`: text / JSONL files -> token shards (.bin) + meta.json +
 * tokenizer.json, with a deterministic train/val split (see src/data/tokenize.ts).
 *
 *   llmts data tokenize --tokenizer char --out runs/sh-data data/tinyshakespeare/input.txt
 *   llmts data tokenize --tokenizer runs/tok/tokenizer.json --out runs/ts clean/train-00000.jsonl clean/val-00000.jsonl
 */
import { readFileSync } from 'node:fs';
import { checkInputFiles } from '../data/ingest/files.ts';
import { tokenizeFiles } from '../data/tokenize.ts';
import { CharTokenizer } from '../tokenizer/char.ts';
import { loadTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { ProgressBar } from '../util/progress.ts';

const HELP = `usage: llmts data tokenize --tokenizer T --out DIR [options] FILES...

Tokenizes text files (one document each) or JSONL files ("text" per line) into token
shards DIR/train-NNN.bin, DIR/val-NNN.bin, DIR/meta.json and DIR/tokenizer.json.
Split: prepare's train-NNNNN.jsonl / val-NNNNN.jsonl go wholly to their split; any other
file gives its last --val-fraction of tokens to val (deterministic).

options:
  --tokenizer T       char (a char-level vocabulary built from FILES), a built-in name
                      (gpt2, r50k, cl100k), or a tokenizer.json / .tiktoken / vocab.txt
  --out DIR           output folder
  --val-fraction X    fraction of each plain file that validates (default 0.1)
  --shard-tokens N    most ids per shard file (default 100000000)
  -h, --help          this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data tokenize', argv, {
    tokenizer: { type: 'string' }, out: { type: 'string' }, 'val-fraction': { type: 'string' }, 'shard-tokens': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, { allowPositionals: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.tokenizer) throw new LlmtsError('E_FLAG', '--tokenizer is required', { where: 'llmts data tokenize', hint: 'e.g. --tokenizer char or --tokenizer gpt2' });
  if (!values.out) throw new LlmtsError('E_FLAG', '--out is required', { where: 'llmts data tokenize', hint: 'e.g. --out runs/data' });
  if (positionals.length === 0) throw new LlmtsError('E_FLAG', 'no input files', { where: 'llmts data tokenize', hint: 'pass one or more text or JSONL files' });
  const valFraction = numberFlag(values['val-fraction'], '--val-fraction', 0.1, { min: 0, max: 1, maxExclusive: true });
  const shardTokens = numberFlag(values['shard-tokens'], '--shard-tokens', undefined, { int: true, min: 1 });
  checkInputFiles(positionals, 'FILES'); // before reading any (a FIFO would block)
  const tok = values.tokenizer === 'char'
    ? CharTokenizer.fromText(positionals.map((f) => readFileSync(f, 'utf8')).join(''))
    : loadTokenizer(values.tokenizer);
  const bar = new ProgressBar('tokenize', positionals.length, { unit: 'items' });
  const t0 = performance.now();
  const meta = tokenizeFiles(positionals, tok, values.out, { valFraction, shardTokens, tokenizerSource: values.tokenizer, onFile: (d) => bar.update(d) });
  bar.done();
  const sum = (e: { tokens: number }[]) => e.reduce((a, x) => a + x.tokens, 0).toLocaleString('en-US');
  console.log(`tokenized ${positionals.length} file(s) with ${values.tokenizer} (${meta.vocabSize} ids, ${meta.dtype}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`train: ${sum(meta.train)} tokens in ${meta.train.length} shard(s); val: ${sum(meta.val)} tokens in ${meta.val.length} shard(s)`);
  console.log(`wrote ${values.out}/meta.json`);
  return 0;
}
