/**
 * `llmts data prepare --out DIR [options] INPUTS...`: the data pipeline (src/data/prepare.ts)
 * from the command line. Also exports the flag parsing shared with `llmts data stats`.
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PREPARE, prepare, type PrepareOptions } from '../data/prepare.ts';
import { abortAllShards } from '../data/output.ts';
import type { SkippedInput } from '../data/ingest/files.ts';
import { formatSummary, nothingKept } from '../data/report.ts';
import { loadWordListFile } from '../data/wordlists.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags, type FlagOptions } from './flags.ts';

/** Options of the pipeline itself (everything except output), shared by prepare and stats. */
export const PIPELINE_HELP = `input:
  --field NAME           JSON field / CSV-TSV column / Parquet column with the text (default text;
                         dots reach into JSON objects: meta.body)
  --doc-sep STR          split .txt/.md files into documents at STR (\\n and \\t understood,
                         e.g. '<|endoftext|>' or '\\n\\n'); default: one document per file
cleaning (all on by default):
  --no-mojibake          keep "â€™"-style mojibake as it is
  --nfkc                 NFKC instead of NFC        --no-normalize   no Unicode normalisation
  --no-controls          keep control characters    --no-whitespace  keep spacing and line ends
  --boilerplate N        remove lines found in >= N documents (two passes; default off)
  --no-pii               keep e-mails, phone numbers and IPs (default: <EMAIL> <PHONE> <IP>)
filters (all on by default; thresholds after Gopher, Rae et al. 2021):
  --no-length            --min-words N (50)  --max-words N (100000)
  --no-ratios            mean word length 3..10, >= 80% words with a letter, symbols/words <= 0.1,
                         digits <= 25% of characters, bullet lines <= 90%, ellipsis lines <= 30%
  --no-repetition        duplicate lines/paragraphs, top 2-4-grams, duplicated 5-10-grams
  --no-language          --lang CODES  languages kept, comma-separated (default en; stop-word
                         lists in data/wordlists/stopwords, scripts: ru el ar he hi th ja ko zh)
  --no-profanity         --profanity-list FILE (default data/wordlists/profanity/en.txt)
                         --max-profanity-ratio R (0.01: drop above 1 listed word in 100)
                         --min-profanity-hits N (2: fewer listed entries are reported, not dropped;
                         phrases never match across punctuation)
deduplication (keeps the first document of each cluster):
  --no-exact             no exact dedup (hash of the cleaned text)
  --no-near              no MinHash near-dedup
  --shingle N (5)  --perms N (128)  --bands N (16)  --rows N (8)  --threshold J (0.8)
run:
  --threads N            worker threads (default: all cores); output is the same for any N
  --json                 print report JSON instead of the summary
  -h, --help             this help`;

const HELP = `usage: llmts data prepare --out DIR [options] INPUTS...

Reads files, folders (recursively) and globs of .txt .md .html/.htm .jsonl .json .csv .tsv
.parquet (each optionally .gz), cleans, filters and deduplicates the documents, and writes
DIR/train-00000.jsonl, DIR/val-00000.jsonl (one {"text": ...} per line; or .parquet) and
DIR/report.json. Bad input (binary or unreadable files, FIFOs and devices, malformed lines,
broken Parquet) is skipped and listed in the report. Shards are written under
temporary names and renamed when complete. A run that keeps no document writes only
report.json and exits 1, with the drops per reason and the flag to try (a .txt/.md file is
one document unless --doc-sep splits it). Ctrl-C / SIGTERM removes the shard being written.

output:
  --out DIR              output folder (required)
  --format jsonl|parquet shard format (default jsonl)
  --shard-size SIZE      start a new shard after SIZE of text (default 128MB; e.g. 64MB, 1GB)
  --val-ratio R          fraction of documents in val (default 0.01), chosen by document hash
  --seed N               seed of the split (default 0)
  --meta                 add "id" (document hash) and "source" (file:line) to each record
  --overwrite            replace an earlier run's shards in DIR
bias mitigation:
  --cda                  counterfactual data augmentation: each train document with a gendered
                         word (he/she, him/her, his/her, man/woman, king/queen, ...) is followed by
                         a copy with every such word swapped both ways (val is left as it is)
  --cda-names            with --cda, swap first names too (data/bias/*-first-names.txt)
${PIPELINE_HELP}`;

export const PIPELINE_FLAGS = {
  field: { type: 'string' }, 'doc-sep': { type: 'string' },
  'no-mojibake': { type: 'boolean' }, nfkc: { type: 'boolean' }, 'no-normalize': { type: 'boolean' },
  'no-controls': { type: 'boolean' }, 'no-whitespace': { type: 'boolean' }, boilerplate: { type: 'string' }, 'no-pii': { type: 'boolean' },
  'no-length': { type: 'boolean' }, 'min-words': { type: 'string' }, 'max-words': { type: 'string' },
  'no-ratios': { type: 'boolean' }, 'no-repetition': { type: 'boolean' }, 'no-language': { type: 'boolean' }, lang: { type: 'string' },
  'no-profanity': { type: 'boolean' }, 'profanity-list': { type: 'string' }, 'max-profanity-ratio': { type: 'string' }, 'min-profanity-hits': { type: 'string' },
  'no-exact': { type: 'boolean' }, 'no-near': { type: 'boolean' }, shingle: { type: 'string' }, perms: { type: 'string' },
  bands: { type: 'string' }, rows: { type: 'string' }, threshold: { type: 'string' },
  threads: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} satisfies FlagOptions;

type Values = Record<string, string | boolean | undefined>;

/** Prints an input that will not be read (missing, not a regular file, ...) on stderr; files of other types in folders are only counted in the report. */
export function warnSkipped(s: SkippedInput): void {
  if (s.reason !== 'unsupported extension') process.stderr.write(`llmts: warning: skipping ${s.path}: ${s.reason}\n`);
}

/** '64MB', '1GB', '500k', '1048576' -> bytes. */
export function parseSize(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(s.trim());
  if (!m) throw new LlmtsError('E_FLAG', `${flag} must be a size like 64MB or 1GB, got '${s}'`, { where: flag, hint: `e.g. ${flag} 128MB` });
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * mult);
}

/** The pipeline options from the shared flags. */
export function pipelineOptions(v: Values): Partial<PrepareOptions> {
  const d = DEFAULT_PREPARE;
  const docSep = typeof v['doc-sep'] === 'string' ? v['doc-sep'].replace(/\\n/g, '\n').replace(/\\t/g, '\t') : undefined;
  if (docSep === '') throw new LlmtsError('E_FLAG', '--doc-sep is empty', { where: '--doc-sep', hint: "e.g. --doc-sep '<|endoftext|>'" });
  const langs = typeof v.lang === 'string' ? v.lang.split(',').map((s) => s.trim()).filter(Boolean) : d.filters.languages;
  const profanityFile = typeof v['profanity-list'] === 'string' ? v['profanity-list'] : undefined;
  return {
    ingest: { field: typeof v.field === 'string' ? v.field : 'text', docSep },
    clean: {
      mojibake: !v['no-mojibake'], normalize: v['no-normalize'] ? 'none' : v.nfkc ? 'NFKC' : 'NFC',
      controls: !v['no-controls'], whitespace: !v['no-whitespace'],
    },
    boilerplateMinDocs: numberFlag(v['boilerplate'], '--boilerplate', 0, { int: true, min: 2 }),
    pii: !v['no-pii'],
    filters: {
      ...d.filters,
      length: !v['no-length'], ratios: !v['no-ratios'], repetition: !v['no-repetition'], language: !v['no-language'], profanity: !v['no-profanity'],
      quality: {
        ...d.filters.quality,
        minWords: numberFlag(v['min-words'], '--min-words', d.filters.quality.minWords, { int: true, min: 0 }),
        maxWords: numberFlag(v['max-words'], '--max-words', d.filters.quality.maxWords, { int: true, min: 1 }),
      },
      languages: langs,
      maxProfanityRatio: numberFlag(v['max-profanity-ratio'], '--max-profanity-ratio', d.filters.maxProfanityRatio, { min: 0, max: 1 }),
      minProfanityHits: numberFlag(v['min-profanity-hits'], '--min-profanity-hits', d.filters.minProfanityHits, { int: true, min: 1 }),
    },
    profanityList: profanityFile ? loadWordListFile(profanityFile, '--profanity-list') : undefined,
    dedup: {
      ...d.dedup,
      exact: !v['no-exact'], near: !v['no-near'],
      shingle: numberFlag(v['shingle'], '--shingle', d.dedup.shingle, { int: true, min: 1 }),
      perms: numberFlag(v['perms'], '--perms', d.dedup.perms, { int: true, min: 1 }),
      bands: numberFlag(v['bands'], '--bands', d.dedup.bands, { int: true, min: 1 }),
      rows: numberFlag(v['rows'], '--rows', d.dedup.rows, { int: true, min: 1 }),
      threshold: numberFlag(v['threshold'], '--threshold', d.dedup.threshold, { min: 0, max: 1, minExclusive: true }),
    },
    threads: numberFlag(v['threads'], '--threads', d.threads, { int: true, min: 1 }),
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('data prepare', argv, {
    ...PIPELINE_FLAGS,
    out: { type: 'string' }, format: { type: 'string' }, 'shard-size': { type: 'string' }, 'val-ratio': { type: 'string' },
    seed: { type: 'string' }, meta: { type: 'boolean' }, overwrite: { type: 'boolean' }, cda: { type: 'boolean' }, 'cda-names': { type: 'boolean' },
  }, { allowPositionals: true });
  if (values.help) { console.log(HELP); return 0; }
  if (typeof values.out !== 'string' || values.out === '') throw new LlmtsError('E_FLAG', 'missing --out', { where: '--out', hint: 'give --out DIR, the folder for the shards and report.json' });
  if (positionals.length === 0) throw new LlmtsError('E_FLAG', 'no inputs given', { where: 'INPUTS', hint: 'list files, folders or globs after the options' });
  if (values['cda-names'] && !values.cda) throw new LlmtsError('E_FLAG', '--cda-names needs --cda', { where: '--cda-names', hint: 'add --cda' });
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'parquet') throw new LlmtsError('E_FLAG', `--format must be jsonl or parquet, got '${String(format)}'`, { where: '--format', hint: 'use --format jsonl or --format parquet' });
  const opts: Partial<PrepareOptions> = {
    ...pipelineOptions(values), out: values.out, format, meta: values.meta === true, overwrite: values.overwrite === true,
    shardBytes: typeof values['shard-size'] === 'string' ? parseSize(values['shard-size'], '--shard-size') : DEFAULT_PREPARE.shardBytes,
    valRatio: numberFlag(values['val-ratio'], '--val-ratio', DEFAULT_PREPARE.valRatio, { min: 0, max: 1, maxExclusive: true }),
    seed: numberFlag(values['seed'], '--seed', 0, { int: true, min: 0 }),
    progress: true, cda: values.cda ? { names: values['cda-names'] === true } : null,
  };
  // Ctrl-C / kill: delete the shard being written (complete shards stay), then end by the
  // same signal (exit status 130 / 143 in a shell). Not process.exit: its exit-time
  // cleanup joins libuv's threads, so one thread blocked in a read would hang the exit.
  const onSignal = (sig: NodeJS.Signals): void => {
    abortAllShards();
    writeSync(2, `\nllmts data prepare: interrupted (${sig}); the shard being written was removed\n`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.kill(process.pid, sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const report = await prepare(positionals, { ...opts, onSkipped: warnSkipped });
    console.log(values.json ? JSON.stringify(report, null, 2) : `${formatSummary(report)}${report.cda ? `\n  cda: ${report.cda.docs} counterfactual copies added to train (${report.cda.swaps} words swapped)` : ''}\n  wrote ${report.out.shards.length} shard(s) and report.json to ${values.out}`);
    // an empty corpus is no result: say why (counts per reason) and what to change
    const empty = nothingKept(report);
    if (empty) throw new LlmtsError('E_NOTHING_KEPT', empty.message, { where: join(values.out, 'report.json'), hint: empty.hint });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
