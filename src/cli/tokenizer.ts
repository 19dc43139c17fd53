/**
 * `llmts tokenizer`: train, encode and decode with byte-level BPE and WordPiece tokenizers.
 *
 *   llmts tokenizer train --type bpe --vocab-size 30000 --out tok/ corpus.txt
 *   llmts tokenizer encode --tokenizer gpt2 --text 'hello world' --json      # [31373,995]
 *   llmts tokenizer decode --tokenizer tok/tokenizer.json --ids '[31373,995]'
 */
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlmtsError } from '../util/errors.ts';
import { checkTokenIds } from '../util/token-ids.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { ProgressBar } from '../util/progress.ts';
import { trainBpe, saveTrainedBpe } from '../tokenizer/bpe-trainer.ts';
import { loadTokenizer, type AnyTokenizer } from '../tokenizer/load.ts';
import { countWordPieceFiles, wordPieceFromCounts } from '../tokenizer/wordpiece-trainer.ts';
import { checkInputFiles, formatOf } from '../data/ingest/files.ts';
import { shardTexts } from '../data/read-shards.ts';

const HELP = `usage: llmts tokenizer <train|encode|decode> [options]

  train    learn a BPE or WordPiece vocabulary from text files
  encode   text -> ids
  decode   ids -> text

Run \`llmts tokenizer <subcommand> --help\` for its options.`;

const TRAIN_HELP = `usage: llmts tokenizer train --type bpe|wordpiece --vocab-size N --out DIR FILES...

Trains a tokenizer on UTF-8 text files and writes DIR/tokenizer.json (Hugging Face format;
wordpiece also writes DIR/vocab.txt). Prints the vocabulary size and the time taken.

options:
  --type bpe|wordpiece   byte-level BPE (GPT-2 style) or WordPiece (BERT style); default bpe
  --vocab-size N         ids in the vocabulary, special tokens included (required)
  --out DIR              output folder, created if missing (required)
  --min-frequency N      merge only pairs seen at least N times (default 0)
  --special TOKEN        a special token; repeat for several. Default: none for bpe,
                         [PAD] [UNK] [CLS] [SEP] [MASK] for wordpiece (its unknown-word
                         token is [UNK], or the first special containing "unk")
  --pattern NAME|REGEX   bpe split pattern: gpt2 (default), r50k, cl100k, o200k or a regex
  --threads N            bpe word-counting threads (default: all cores)
  --cased                wordpiece: keep case and accents (default: uncased BERT)
  -h, --help             this help`;

const ENCODE_HELP = `usage: llmts tokenizer encode --tokenizer NAME|PATH (--text T | --file F) [--json] [--add-special]

Prints the ids of the text, space-separated (or one JSON array with --json).

options:
  --tokenizer NAME|PATH  gpt2, r50k, cl100k, bert-base-uncased, or a tokenizer.json,
                         .tiktoken or BERT vocab.txt file (or a folder holding one) (required)
  --text T               the text to encode
  --file F               encode the contents of a UTF-8 file
  --json                 print the ids as one JSON array
  --add-special          add the tokenizer's special tokens ([CLS] ... [SEP] for BERT) and
                         read special-token strings in the text (e.g. <|endoftext|>) as
                         their ids. Without it no special token is added or matched.
  -h, --help             this help`;

const DECODE_HELP = `usage: llmts tokenizer decode --tokenizer NAME|PATH (--ids JSON | --file F) [--skip-special]

Prints the text of the ids.

options:
  --tokenizer NAME|PATH  as for encode (required)
  --ids JSON             the ids as a JSON array, e.g. '[31373, 995]'
  --file F               a file with a JSON array of ids, or ids separated by whitespace
  --skip-special         leave special tokens out of the text
  -h, --help             this help`;

function need(v: string | undefined, flag: string, sub: string, what: string): string {
  if (v === undefined || v === '') {
    throw new LlmtsError('E_FLAG', `missing ${flag}`, { where: flag, hint: `give ${flag} ${what} (see llmts tokenizer ${sub} --help)` });
  }
  return v;
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new LlmtsError('E_FILE', `cannot read ${file}`, { where: `${flag} ${file}`, hint: 'check the path', cause: err });
  }
}

/** One progress bar per training stage (counting, merging), on stderr. */
class Progress {
  private bar: ProgressBar | null = null;
  private stage = '';
  private unit = '';

  update(stage: string, done: number, total: number, unit = ''): void {
    if (stage !== this.stage) {
      this.end();
      this.stage = stage;
      this.unit = unit.trim();
      this.bar = new ProgressBar(stage.padEnd(14), total, { unit: 'items' });
    }
    this.bar!.update(done, this.unit, total);
  }

  end(): void {
    this.bar?.done(this.unit);
    this.bar = null;
    this.stage = '';
  }
}

/**
 * Training inputs as plain text files. Shards written by `llmts data prepare` (.jsonl,
 * .parquet, ..., optionally .gz) are streamed document by document into one temporary
 * text file (documents separated by a blank line), so the trainers see the texts, not
 * the JSON around them; plain text files are used as they are.
 */
async function asTextFiles(paths: string[]): Promise<{ files: string[]; cleanup: () => void }> {
  const isText = (p: string): boolean => {
    const f = formatOf(p);
    return f === null || (f.format === 'text' && !f.gzip);
  };
  const structured = paths.filter((p) => !isText(p));
  if (structured.length === 0) return { files: paths, cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'llmts-tok-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const textFile = join(dir, 'documents.txt');
    const out = createWriteStream(textFile);
    let first = true;
    for await (const text of shardTexts(structured)) {
      if (!out.write(first ? text : `\n\n${text}`)) await once(out, 'drain');
      first = false;
    }
    out.end();
    await once(out, 'finish');
    return { files: [...paths.filter(isText), textFile], cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

async function train(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('tokenizer train', argv, {
    type: { type: 'string' }, 'vocab-size': { type: 'string' }, out: { type: 'string' },
    'min-frequency': { type: 'string' }, special: { type: 'string', multiple: true }, pattern: { type: 'string' },
    threads: { type: 'string' }, cased: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, { allowPositionals: true });
  if (values.help) { console.log(TRAIN_HELP); return 0; }
  const type = values.type ?? 'bpe';
  if (type !== 'bpe' && type !== 'wordpiece') {
    throw new LlmtsError('E_FLAG', `--type must be bpe or wordpiece, got '${type}'`, { where: '--type', hint: 'use --type bpe or --type wordpiece' });
  }
  const vocabSize = numberFlag(values['vocab-size'], '--vocab-size', undefined, { int: true, min: 1 });
  if (vocabSize === undefined) throw new LlmtsError('E_FLAG', 'missing --vocab-size', { where: '--vocab-size', hint: 'give --vocab-size N, e.g. --vocab-size 30000' });
  const out = need(values.out, '--out', 'train', 'DIR (the output folder)');
  if (positionals.length === 0) {
    throw new LlmtsError('E_FLAG', 'no training files given', { where: 'FILES', hint: 'list one or more UTF-8 text files after the options' });
  }
  checkInputFiles(positionals, 'FILES', 'check the path; give UTF-8 text files or shards from llmts data prepare'); // before reading any (a FIFO would block)
  const minFrequency = numberFlag(values['min-frequency'], '--min-frequency', 0, { int: true, min: 0 });
  const t0 = performance.now();
  const progress = new Progress();
  let size: number;
  mkdirSync(out, { recursive: true });
  const inputs = await asTextFiles(positionals);
  try {
    if (type === 'bpe') {
      if (values.cased) throw new LlmtsError('E_FLAG', '--cased is for wordpiece', { where: '--cased', hint: 'byte-level BPE keeps the text as is; drop --cased' });
      const r = await trainBpe({ files: inputs.files }, {
        vocabSize, minFrequency, specialTokens: values.special ?? [], pattern: values.pattern,
        threads: numberFlag(values.threads, '--threads', undefined, { int: true, min: 1 }),
        onProgress: (phase, done, total) => progress.update(phase === 'count' ? 'counting words' : 'merging', done, phase === 'count' ? done : total,
          phase === 'count' ? ' distinct words' : ' ids'),
      });
      progress.end();
      saveTrainedBpe(r, join(out, 'tokenizer.json'));
      size = r.tokenizer.vocabSize;
    } else {
      if (values.pattern !== undefined) throw new LlmtsError('E_FLAG', '--pattern is for bpe', { where: '--pattern', hint: 'WordPiece splits words with the BERT pre-tokenizer; drop --pattern' });
      if (values.threads !== undefined) throw new LlmtsError('E_FLAG', '--threads is for bpe', { where: '--threads', hint: 'WordPiece training runs on one thread; drop --threads' });
      const normalizer = values.cased ? { lowercase: false, stripAccents: false } : { lowercase: true };
      const counts = countWordPieceFiles(inputs.files, normalizer, (d, t) => progress.update('counting words', d, t, ' bytes'));
      const specials = values.special ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
      const r = wordPieceFromCounts(counts, {
        vocabSize, minFrequency, specialTokens: specials, normalizer,
        onProgress: (_s, d, t) => progress.update('merging', d, t, ' ids'),
      });
      progress.end();
      writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(r.tokenizer.toTokenizerJson()));
      writeFileSync(join(out, 'vocab.txt'), r.tokenizer.toVocabTxt());
      size = r.tokenizer.vocabSize;
    }
  } finally {
    inputs.cleanup();
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`trained ${type} tokenizer: vocab size ${size} in ${secs.toFixed(2)} s -> ${join(out, 'tokenizer.json')}${type === 'wordpiece' ? ` (+ vocab.txt)` : ''}`);
  return 0;
}

function load(values: { tokenizer?: string }, sub: string): AnyTokenizer {
  return loadTokenizer(need(values.tokenizer, '--tokenizer', sub, 'NAME|PATH (gpt2, cl100k, bert-base-uncased or a file)'));
}

async function encode(argv: string[]): Promise<number> {
  const { values } = parseFlags('tokenizer encode', argv, {
    tokenizer: { type: 'string' }, text: { type: 'string' }, file: { type: 'string' },
    json: { type: 'boolean' }, 'add-special': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { console.log(ENCODE_HELP); return 0; }
  if ((values.text === undefined) === (values.file === undefined)) {
    throw new LlmtsError('E_FLAG', 'give exactly one of --text and --file', { where: '--text/--file', hint: "e.g. --text 'hello world' or --file input.txt" });
  }
  const tok = load(values, 'encode');
  const text = values.text ?? readText(values.file!, '--file');
  const add = values['add-special'] === true;
  const ids = tok.encode(text, add ? { addSpecialTokens: true, allowedSpecial: 'all' } : {});
  process.stdout.write((values.json ? JSON.stringify(ids) : ids.join(' ')) + '\n');
  return 0;
}

/** Parses ids from JSON ('[1, 2]') or whitespace-separated text ('1 2'). */
function parseIds(text: string, where: string): number[] {
  const t = text.trim();
  let ids: unknown;
  if (t.startsWith('[')) {
    try {
      ids = JSON.parse(t);
    } catch (err) {
      throw new LlmtsError('E_IDS', `the ids are not valid JSON: ${(err as Error).message}`, { where, hint: "write them as a JSON array, e.g. '[31373, 995]'" });
    }
  } else {
    ids = t === '' ? [] : t.split(/\s+/).map(Number);
  }
  if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new LlmtsError('E_IDS', 'the ids must be non-negative integers', { where, hint: "write them as a JSON array, e.g. '[31373, 995]'" });
  }
  return ids as number[];
}

async function decode(argv: string[]): Promise<number> {
  const { values } = parseFlags('tokenizer decode', argv, {
    tokenizer: { type: 'string' }, ids: { type: 'string' }, file: { type: 'string' },
    'skip-special': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { console.log(DECODE_HELP); return 0; }
  if ((values.ids === undefined) === (values.file === undefined)) {
    throw new LlmtsError('E_FLAG', 'give exactly one of --ids and --file', { where: '--ids/--file', hint: "e.g. --ids '[31373, 995]' or --file ids.json" });
  }
  const ids = values.ids !== undefined ? parseIds(values.ids, '--ids') : parseIds(readText(values.file!, '--file'), `--file ${values.file}`);
  const tok = load(values, 'decode');
  checkTokenIds(ids, tok.vocabSize, { code: 'E_IDS', what: 'id', vocabulary: 'the vocabulary', where: values.ids !== undefined ? '--ids' : `--file ${values.file}`, hint: 'decode ids made by the same tokenizer' });
  process.stdout.write(tok.decode(ids, { skipSpecialTokens: values['skip-special'] === true }) + '\n');
  return 0;
}

/** Entry point: `llmts tokenizer <sub> ...`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'train') return train(rest);
  if (sub === 'encode') return encode(rest);
  if (sub === 'decode') return decode(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(HELP);
    return sub === undefined ? 1 : 0;
  }
  throw new LlmtsError('E_FLAG', `unknown subcommand '${sub}'`, { where: 'llmts tokenizer', hint: 'use train, encode or decode (llmts tokenizer --help)' });
}
