/**
 * The run report: documents and bytes in and out, drops per reason with a few examples,
 * duplicate clusters, the language mix, what cleaning changed, bad input with file and
 * line. Written as report.json by `prepare`; `formatSummary` is the readable version
 * printed at the end of `prepare` and `stats`.
 *
 * @example
 * const r = new ReportBuilder('prepare', files.length, skipped, settings);
 * r.drop('too-short', 'a.jsonl:3', 120, 'Hi there');
 * console.log(formatSummary(r.r));
 */
import type { SkippedInput } from './ingest/files.ts';
import type { ShardInfo } from './output.ts';
import type { BatchCounts } from './process.ts';

export interface Example {
  source: string;
  text: string;
}

export interface DataReport {
  version: 1;
  command: 'prepare' | 'stats';
  inputs: { files: number; skipped: SkippedInput[] };
  in: { docs: number; bytes: number };
  out: { docs: number; bytes: number; train: { docs: number; bytes: number }; val: { docs: number; bytes: number }; shards: ShardInfo[] };
  drops: Record<string, { docs: number; bytes: number; examples: Example[] }>;
  /** Kept documents a filter noticed without dropping them: profanity-list entries below the drop threshold. */
  flagged: { profanity: { docs: number; examples: Example[] } };
  dedup: {
    exact: number; near: number; clusters: number; largestCluster: number; indexBytes: number;
    examples: { kind: 'exact' | 'near'; source: string; duplicateOf: string; similarity: number; text: string }[];
  };
  languages: Record<string, number>;
  cleaning: { invalidUtf8: number; mojibake: number; controls: number; boilerplateLines: number; pii: { email: number; phone: number; ip: number } };
  badInput: { count: number; items: { file: string; line: number; reason: string }[] };
  timing: { seconds: number; mbPerSecond: number; threads: number };
  settings: Record<string, unknown>;
  /** data prepare --cda: counterfactual copies written (train split only), their bytes and swapped words. */
  cda?: { docs: number; bytes: number; swaps: number };
}

const MAX_EXAMPLES = 3;
const MAX_BAD_ITEMS = 1000;

export class ReportBuilder {
  readonly r: DataReport;

  constructor(command: 'prepare' | 'stats', files: number, skipped: SkippedInput[], settings: Record<string, unknown>) {
    this.r = {
      version: 1, command, inputs: { files, skipped }, in: { docs: 0, bytes: 0 },
      out: { docs: 0, bytes: 0, train: { docs: 0, bytes: 0 }, val: { docs: 0, bytes: 0 }, shards: [] },
      drops: {}, flagged: { profanity: { docs: 0, examples: [] } }, dedup: { exact: 0, near: 0, clusters: 0, largestCluster: 0, indexBytes: 0, examples: [] }, languages: {},
      cleaning: { invalidUtf8: 0, mojibake: 0, controls: 0, boilerplateLines: 0, pii: { email: 0, phone: 0, ip: 0 } },
      badInput: { count: 0, items: [] }, timing: { seconds: 0, mbPerSecond: 0, threads: 1 }, settings,
    };
  }

  input(bytes: number): void {
    this.r.in.docs++;
    this.r.in.bytes += bytes;
  }

  drop(reason: string, source: string, bytes: number, text: string): void {
    const d = (this.r.drops[reason] ??= { docs: 0, bytes: 0, examples: [] });
    d.docs++;
    d.bytes += bytes;
    if (d.examples.length < MAX_EXAMPLES) d.examples.push({ source, text: text.slice(0, 160) });
  }

  duplicate(kind: 'exact' | 'near', source: string, duplicateOf: string, similarity: number, bytes: number, text: string): void {
    if (kind === 'exact') this.r.dedup.exact++;
    else this.r.dedup.near++;
    this.drop(kind === 'exact' ? 'duplicate-exact' : 'duplicate-near', source, bytes, text);
    if (this.r.dedup.examples.length < 2 * MAX_EXAMPLES) {
      this.r.dedup.examples.push({ kind, source, duplicateOf, similarity: Math.round(similarity * 1000) / 1000, text: text.slice(0, 160) });
    }
  }

  /**
   * The snippets a batch read now must return: none for drop reasons whose examples are
   * complete, none of kept documents once the duplicate examples are (they only become
   * examples as duplicates). Examples are the first in input order, so once complete they
   * stay complete: asking for less never changes the report.
   */
  snippetsNeeded(): { skipReasons: string[]; kept: boolean } {
    const full = (reason: string): boolean => (this.r.drops[reason]?.examples.length ?? 0) >= MAX_EXAMPLES;
    const skipReasons = Object.keys(this.r.drops).filter(full);
    const kept = this.r.dedup.examples.length < 2 * MAX_EXAMPLES || !full('duplicate-exact') || !full('duplicate-near');
    return { skipReasons, kept };
  }

  /** A kept document that a filter noticed (see `DataReport.flagged`). */
  flag(kind: 'profanity', source: string, text: string): void {
    const f = this.r.flagged[kind];
    f.docs++;
    if (f.examples.length < MAX_EXAMPLES) f.examples.push({ source, text: text.slice(0, 160) });
  }

  language(lang: string): void {
    this.r.languages[lang] = (this.r.languages[lang] ?? 0) + 1;
  }

  kept(split: 'train' | 'val', bytes: number): void {
    this.r.out.docs++;
    this.r.out.bytes += bytes;
    this.r.out[split].docs++;
    this.r.out[split].bytes += bytes;
  }

  counts(c: BatchCounts): void {
    const k = this.r.cleaning;
    k.mojibake += c.mojibake; k.controls += c.controls; k.boilerplateLines += c.boilerplateLines;
    k.pii.email += c.email; k.pii.phone += c.phone; k.pii.ip += c.ip;
  }

  bad(file: string, line: number, reason: string): void {
    this.r.badInput.count++;
    if (this.r.badInput.items.length < MAX_BAD_ITEMS) this.r.badInput.items.push({ file, line, reason });
  }
}

function pct(a: number, b: number): string {
  return b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '-';
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(2)} MB`;
}

/** The readable summary of a report. */
export function formatSummary(r: DataReport): string {
  const L: string[] = [];
  L.push(`${r.command === 'prepare' ? 'prepared' : 'scanned'} ${r.inputs.files} file(s) in ${r.timing.seconds.toFixed(1)} s (${r.timing.mbPerSecond.toFixed(1)} MB/s, ${r.timing.threads} thread(s))`);
  L.push(`  in:   ${r.in.docs.toLocaleString('en-US')} docs, ${mb(r.in.bytes)}`);
  L.push(`  out:  ${r.out.docs.toLocaleString('en-US')} docs (${pct(r.out.docs, r.in.docs)}), ${mb(r.out.bytes)} | train ${r.out.train.docs.toLocaleString('en-US')}, val ${r.out.val.docs.toLocaleString('en-US')}`);
  const drops = Object.entries(r.drops).sort((a, b) => b[1].docs - a[1].docs);
  if (drops.length > 0) {
    L.push('  dropped:');
    for (const [reason, d] of drops) {
      const ex = d.examples[0];
      L.push(`    ${reason.padEnd(16)} ${String(d.docs).padStart(8)} docs  ${mb(d.bytes).padStart(10)}${ex ? `   e.g. ${ex.source}: ${JSON.stringify(ex.text.slice(0, 60))}` : ''}`);
    }
  }
  const flagged = r.flagged.profanity;
  if (flagged.docs > 0) {
    const ex = flagged.examples[0]!;
    L.push(`  flagged, kept: ${flagged.docs} doc(s) with a profanity-list entry, too few to drop (--min-profanity-hits)   e.g. ${ex.source}: ${JSON.stringify(ex.text.slice(0, 60))}`);
  }
  L.push(`  duplicates: ${r.dedup.exact} exact, ${r.dedup.near} near, in ${r.dedup.clusters} cluster(s) (largest ${r.dedup.largestCluster} docs)`);
  const langs = Object.entries(r.languages).sort((a, b) => b[1] - a[1]).map(([l, n]) => `${l} ${pct(n, r.in.docs)}`);
  if (langs.length > 0) L.push(`  languages: ${langs.join(', ')}`);
  const c = r.cleaning;
  L.push(`  cleaning: ${c.invalidUtf8} invalid UTF-8 replaced, ${c.mojibake} mojibake fixed, ${c.controls} control chars stripped, ${c.boilerplateLines} boilerplate lines removed; PII: ${c.pii.email} e-mail, ${c.pii.phone} phone, ${c.pii.ip} IP`);
  if (r.badInput.count > 0 || r.inputs.skipped.length > 0) {
    L.push(`  bad input: ${r.badInput.count} skipped${r.inputs.skipped.length ? `, ${r.inputs.skipped.length} input(s) not read` : ''}`);
    for (const s of r.inputs.skipped.slice(0, 5)) L.push(`    ${s.path}: ${s.reason}`);
    for (const b of r.badInput.items.slice(0, 5)) L.push(`    ${b.file}${b.line ? `:${b.line}` : ''}: ${b.reason}`);
    if (r.badInput.count > 5) L.push(`    ... (${r.badInput.count - 5} more in report.json)`);
  }
  return L.join('\n');
}

/** The flag to try when `reason` dropped most documents (filters/index.ts lists the reasons). */
const REASON_HINTS: Record<string, string> = {
  'too-long': '--max-words N (default 100000) or --no-length',
  'too-short': '--min-words N (default 50) or --no-length',
  language: '--lang CODES (the languages found are in the summary) or --no-language',
  profanity: '--max-profanity-ratio R or --no-profanity',
  'duplicate-exact': '--no-exact',
  'duplicate-near': '--threshold J (higher) or --no-near',
};
for (const r of ['no-words', 'mean-word-length', 'alpha-ratio', 'symbol-ratio', 'digit-ratio', 'bullet-lines', 'ellipsis-lines']) REASON_HINTS[r] = '--no-ratios';
for (const r of ['dup-lines', 'dup-paragraphs', 'top-ngram', 'dup-ngrams']) REASON_HINTS[r] = '--no-repetition';

/**
 * Why a run kept no document, or null when it kept some: the documents read and the
 * drops per reason (or the bad input, when no document was read), with a hint for the
 * main reason. Whole files read as one document each (text without `--doc-sep`) that
 * were dropped as too long are the common case: the hint is then `--doc-sep`.
 */
export function nothingKept(r: DataReport): { message: string; hint: string } | null {
  if (r.out.docs > 0) return null;
  if (r.in.docs === 0) {
    const bad = r.badInput.count + r.inputs.skipped.length;
    return {
      message: `no document was read from ${r.inputs.files} file(s)${bad > 0 ? ` (${bad} bad or skipped input(s), listed above)` : ''}`,
      hint: 'give files of a supported type with text in them (.txt .md .html .jsonl .json .csv .tsv .parquet; --field names the JSON/CSV/Parquet field)',
    };
  }
  const drops = Object.entries(r.drops).sort((a, b) => b[1].docs - a[1].docs);
  const counts = drops.map(([reason, d]) => `${reason} ${d.docs}`).join(', ');
  const message = `all ${r.in.docs.toLocaleString('en-US')} document(s) were dropped (${counts}); nothing was written but report.json`;
  const main = drops[0]?.[0] ?? '';
  const wholeFiles = r.settings.docSep === null && (r.drops['too-long']?.examples ?? []).some((e) => !/:\d+$/.test(e.source));
  if (main === 'too-long' && wholeFiles) {
    return { message, hint: "each .txt/.md file is one document unless split: add --doc-sep '\\n\\n' (paragraphs) or --doc-sep '<|endoftext|>' (the separator your file uses)" };
  }
  return { message, hint: REASON_HINTS[main] ? `try ${REASON_HINTS[main]}; report.json has examples of each reason` : 'see the examples per reason in report.json' };
}
