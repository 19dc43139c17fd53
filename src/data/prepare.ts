/**
 * `prepare`: the whole pipeline, streaming. The main thread reads the inputs in order
 * and cuts them into batches for the worker pool (clean, filter, MinHash: process.ts):
 * JSON lines files as raw bytes cut at line ends, which the workers decode and parse
 * (ingest/jsonl-batches.ts), other formats as parsed documents. It takes the results
 * back in input order, deduplicates (dedup/dedup.ts), splits (split.ts) and writes the
 * shards (output.ts) from records the workers already encoded, so it holds no document
 * text itself. Memory holds a few batches in flight plus the dedup indexes (about 0.35 KB
 * per kept document), not the corpus. The output depends on the inputs and settings
 * only, never on the thread count. `corpusStats` runs the same pipeline without writing
 * anything.
 *
 * @example
 * const report = await prepare(['raw/'], { out: 'clean/', valRatio: 0.01 });
 * report.out.train.docs;   // documents in clean/train-*.jsonl
 */
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { LlmtsError } from '../util/errors.ts';
import { ProgressBar } from '../util/progress.ts';
import { CountMinSketch } from './boilerplate.ts';
import type { CdaOptions } from './cda.ts';
import { DEFAULT_CLEAN, type CleanOptions } from './clean.ts';
import { Deduper, DEFAULT_DEDUP, type DedupOptions } from './dedup/dedup.ts';
import { DEFAULT_FILTERS, type FilterOptions } from './filters/index.ts';
import { keyHex } from './hash.ts';
import { expandInputs, type InputFile, type SkippedInput } from './ingest/files.ts';
import { jsonlByteBatches } from './ingest/jsonl-batches.ts';
import { readInput, type IngestOptions } from './ingest/readers.ts';
import type { ReadContext } from './ingest/text-stream.ts';
import { makeOutputDir } from './out-dir.ts';
import { listShards, removePartialShards, ShardWriter, type ShardFormat } from './output.ts';
import { DocPool } from './pool.ts';
import type { AnyBatch, BatchResult, DocBatch, JsonlBatch, ProcessSettings } from './process.ts';
import { SpareBuffers } from './spare.ts';
import { ReportBuilder, type DataReport } from './report.ts';
import { splitOf } from './split.ts';
import { defaultProfanityList, loadStopwords, stopwordLanguages } from './wordlists.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

export interface PrepareOptions {
  /** Output folder (prepare); undefined: statistics only, nothing written. */
  out?: string;
  ingest: IngestOptions;
  clean: CleanOptions;
  /** Replace e-mails, phone numbers and IPs with placeholders. Default true. */
  pii: boolean;
  filters: FilterOptions;
  dedup: DedupOptions;
  /** Remove lines found in at least this many documents (two passes); 0 = off (default). */
  boilerplateMinDocs: number;
  /** Fraction of documents in the validation split. Default 0.01. */
  valRatio: number;
  /** Seed of the split. Default 0. */
  seed: number;
  format: ShardFormat;
  /** Start a new shard after this many bytes of text. Default 128 MB. */
  shardBytes: number;
  /** Add "id" and "source" to each output record. Default false. */
  meta: boolean;
  /** Worker threads; default all cores. 1 runs everything on the calling thread. */
  threads: number;
  /** Replace an earlier run's shards in `out`. Default false (an error instead). */
  overwrite: boolean;
  /** Profanity entries (default: data/wordlists/profanity/en.txt). */
  profanityList?: string[];
  /** Called once per input that will not be read (missing, not a regular file, unknown extension), before reading starts. */
  onSkipped?: (s: SkippedInput) => void;
  /** Draw a progress bar on stderr (on a terminal). Default false. */
  progress: boolean;
  /**
   * A batch sent to a worker is cut at about this many UTF-16 units of documents, or bytes
   * of JSON lines. Default 64 KiB: small batches keep each worker's live strings small, so
   * less of them outlives a young-generation collection into the old generation (peak RSS
   * 295-303 -> 245-252 MB on a 200 MB corpus against 256 KiB batches, same CPU time).
   */
  batchChars: number;
  /**
   * Counterfactual data augmentation (cda.ts): each kept train document with a gendered
   * word is followed by its swapped copy (val stays as it is, so a val loss compares with a
   * run without it); null (default) is off. The copies skip dedup and are counted in
   * report.json's `cda` and in `out`.
   */
  cda: CdaOptions | null;
}

export const DEFAULT_PREPARE: PrepareOptions = {
  ingest: { field: 'text' }, clean: DEFAULT_CLEAN, pii: true, filters: DEFAULT_FILTERS, dedup: DEFAULT_DEDUP,
  boilerplateMinDocs: 0, valRatio: 0.01, seed: 0, format: 'jsonl', shardBytes: 128e6, meta: false,
  threads: availableParallelism(), overwrite: false, progress: false, batchChars: 1 << 16, cda: null,
};

const SCRIPT_LANGS = ['el', 'ru', 'he', 'ar', 'hi', 'th', 'ja', 'ko', 'zh', 'unknown'];

/** Where a batch's documents come from: per document (DocBatch), or one file whose lines the worker reports (JSON lines). */
interface BatchMeta {
  files: Int32Array;
  locs: Int32Array | null;
}

function checkOptions(o: PrepareOptions): void {
  if (!(o.valRatio >= 0 && o.valRatio < 1)) throw new LlmtsError('E_FLAG', `validation ratio must be in [0, 1), got ${o.valRatio}`, { where: '--val-ratio', hint: 'e.g. --val-ratio 0.01' });
  if (!(o.shardBytes > 0)) throw new LlmtsError('E_FLAG', `shard size must be > 0, got ${o.shardBytes}`, { where: '--shard-size', hint: 'e.g. --shard-size 128MB' });
  if (!Number.isInteger(o.threads) || o.threads < 1) throw new LlmtsError('E_FLAG', `threads must be an integer >= 1, got ${o.threads}`, { where: '--threads', hint: 'e.g. --threads 2' });
  const known = new Set([...stopwordLanguages(), ...SCRIPT_LANGS]);
  for (const l of o.filters.languages) {
    if (!known.has(l)) throw new LlmtsError('E_FLAG', `unknown language '${l}'`, { where: '--lang', hint: `use codes from ${[...known].join(', ')}` });
  }
}

/**
 * Prepares the output folder: stale temporary files removed, an earlier run refused or
 * cleared. An earlier run that kept nothing (a report.json and no shard) is replaced
 * without --overwrite: there is nothing to lose, and its error told the user to run again.
 */
function prepareOutDir(out: string, overwrite: boolean): void {
  makeOutputDir(out, '--out');
  removePartialShards(out);
  const old = listShards(out);
  if (old.length > 0) {
    if (!overwrite) {
      throw new LlmtsError('E_EXISTS', `${out} already holds a prepared corpus (${old.length} shard(s))`, { where: '--out', hint: 'pick an empty folder or add --overwrite to replace it' });
    }
    for (const n of old) rmSync(join(out, n), { force: true });
  }
  rmSync(join(out, 'report.json'), { force: true });
}

/** Runs the pipeline; writes shards and report.json when `out` is set. */
export async function prepare(inputs: string[], options: Partial<PrepareOptions> = {}): Promise<DataReport> {
  const o: PrepareOptions = { ...DEFAULT_PREPARE, ...options };
  checkOptions(o);
  const t0 = performance.now();
  const { files, skipped } = await expandInputs(inputs);
  if (files.length === 0 && skipped.length === 0) {
    throw new LlmtsError('E_INPUT', 'no input files given', { where: 'INPUTS', hint: 'list files, folders or globs of .txt/.md/.html/.jsonl/.json/.csv/.tsv/.parquet (optionally .gz)' });
  }
  for (const s of skipped) o.onSkipped?.(s);
  if (o.out) prepareOutDir(o.out, o.overwrite);
  const settings: ProcessSettings = {
    clean: o.clean, pii: o.pii, filters: o.filters,
    minhash: o.dedup.near ? { shingle: o.dedup.shingle, perms: o.dedup.perms, seed: o.dedup.seed } : null,
    stopwords: loadStopwords(), profanity: o.profanityList ?? defaultProfanityList(), boilerplate: null,
    output: o.out === undefined ? 'none' : o.format === 'jsonl' ? 'json' : 'text', cda: o.cda,
  };
  const deduper = new Deduper(o.dedup);
  const report = new ReportBuilder(o.out ? 'prepare' : 'stats', files.length, skipped, {
    field: o.ingest.field, docSep: o.ingest.docSep ?? null, clean: o.clean, pii: o.pii, filters: o.filters, dedup: o.dedup,
    boilerplateMinDocs: o.boilerplateMinDocs, valRatio: o.valRatio, seed: o.seed, format: o.format, shardBytes: o.shardBytes,
    ...(o.cda ? { cda: o.cda } : {}),
  });
  if (o.cda) report.r.cda = { docs: 0, bytes: 0, swaps: 0 };
  const totalBytes = files.reduce((n, f) => n + f.size, 0);

  if (o.boilerplateMinDocs > 0) {
    const cms = CountMinSketch.shared();
    const pool1 = await DocPool.start(settings, o.threads);
    try {
      await streamBatches(files, o, pool1.threads, (b) => pool1.lines(b), (r) => cms.addAll(r.keys), totalBytes, 'boilerplate', report, false);
    } finally {
      await pool1.close();
    }
    settings.boilerplate = { table: cms.table, width: cms.width, minDocs: o.boilerplateMinDocs };
  }

  const writers = o.out ? {
    train: new ShardWriter({ dir: o.out, split: 'train', format: o.format, shardBytes: o.shardBytes, meta: o.meta }),
    val: new ShardWriter({ dir: o.out, split: 'val', format: o.format, shardBytes: o.shardBytes, meta: o.meta }),
  } : null;
  const pool = await DocPool.start(settings, o.threads);
  const spares = { raw: new SpareBuffers(), out: new SpareBuffers() };
  const K = o.dedup.perms;
  const sourceOf = (file: number, loc: number): string => (loc > 0 ? `${files[file]!.path}:${loc}` : files[file]!.path);
  const handle = (res: BatchResult, meta: BatchMeta): void => {
    report.counts(res.counts);
    const locOf = (i: number): number => (res.locs ? res.locs[i]! : meta.locs![i]!);
    const fileOf = (i: number): number => (meta.locs ? meta.files[i]! : meta.files[0]!);
    for (let i = 0; i < res.texts.length; i++) {
      const rawBytes = res.rawBytes[i]!;
      report.input(rawBytes);
      report.language(res.names[res.langIds[i]!]!);
      if (res.reasonIds[i] !== 0) { report.drop(res.names[res.reasonIds[i]! - 1]!, sourceOf(fileOf(i), locOf(i)), rawBytes, res.texts[i]!); continue; }
      const text = res.texts[i]!;
      const hi = res.keys[2 * i]!, lo = res.keys[2 * i + 1]!;
      const sig = o.dedup.near ? res.sigs.subarray(i * K, (i + 1) * K) : null;
      const v = deduper.add(hi, lo, sig, fileOf(i), locOf(i));
      if (v.kind !== null) {
        const source = sourceOf(fileOf(i), locOf(i));
        report.duplicate(v.kind, source, sourceOf(deduper.keptFile.get(v.of), deduper.keptLoc.get(v.of)), v.similarity, rawBytes, text);
        continue;
      }
      const split = splitOf(hi, lo, o.valRatio, o.seed);
      report.kept(split, res.outBytes[i]!);
      if (res.flags[i] === 1) report.flag('profanity', sourceOf(fileOf(i), locOf(i)), text);
      if (!writers) continue;
      const id = o.meta ? keyHex(hi, lo) : '';
      const source = o.meta ? sourceOf(fileOf(i), locOf(i)) : '';
      if (settings.output === 'json') writers[split].writeEncoded(res.out.subarray(res.outAt[i]!, res.augAt[i]!), res.outBytes[i]!, id, source);
      else writers[split].write({ text, id, source });
      if (split === 'train' && res.augBytes[i]! > 0) { // the counterfactual copy, beside its original
        report.kept('train', res.augBytes[i]!);
        report.r.cda!.docs++;
        report.r.cda!.bytes += res.augBytes[i]!;
        report.r.cda!.swaps += res.augSwaps[i]!;
        if (settings.output === 'json') writers.train.writeEncoded(res.out.subarray(res.augAt[i]!, res.outAt[i + 1]!), res.augBytes[i]!, id, source);
        else writers.train.write({ text: res.augTexts[i]!, id, source });
      }
    }
    // written (copied or flushed): the buffers go back for reuse
    spares.out.give(res.out.buffer);
    if (res.rawBack) spares.raw.give(res.rawBack.buffer);
  };
  try {
    await streamBatches(files, o, pool.threads, (b) => pool.run(b), handle, totalBytes, o.out ? 'prepare' : 'stats', report, true, spares);
    if (writers) report.r.out.shards = [...writers.train.close(), ...writers.val.close()].map((s) => ({ ...s, path: relative(o.out!, s.path) }));
  } catch (err) {
    writers?.train.abort();
    writers?.val.abort();
    throw err;
  } finally {
    await pool.close();
  }
  let largest = 0;
  for (let k = 0; k < deduper.kept; k++) largest = Math.max(largest, deduper.clusterSize.get(k));
  report.r.dedup.clusters = deduper.clusters;
  report.r.dedup.largestCluster = deduper.clusters > 0 ? largest : 0;
  report.r.dedup.indexBytes = deduper.bytes;
  const seconds = (performance.now() - t0) / 1000;
  report.r.timing = { seconds, mbPerSecond: report.r.in.bytes / 1e6 / Math.max(seconds, 1e-9), threads: pool.threads };
  if (o.out) {
    writeFileAtomic(join(o.out, 'report.json'), (put) => put(JSON.stringify(report.r, null, 2) + '\n'));
  }
  return report.r;
}

/** `prepare` without an output folder: the statistics of the corpus, nothing written. */
export function corpusStats(inputs: string[], options: Partial<Omit<PrepareOptions, 'out'>> = {}): Promise<DataReport> {
  return prepare(inputs, { ...options, out: undefined });
}

/**
 * Reads every file, cuts batches, submits them with `submit` and hands the results to
 * `handle` in submission order, with at most 3 batches per thread in flight. JSON lines
 * files go to the workers as raw bytes cut at line ends (ingest/jsonl-batches.ts); the
 * other formats are parsed here and sent as documents. Bad input found here is reported
 * in the same order, between the results of the batches read before and after it.
 * `countInput`: this is the main pass (documents and bad input are counted in the report).
 */
async function streamBatches<R extends { seq: number; bad?: { loc: number; reason: string }[]; invalidUtf8?: number }>(files: InputFile[], o: PrepareOptions, threads: number,
  submit: (b: AnyBatch) => Promise<R>, handle: (r: R, meta: BatchMeta) => void, totalBytes: number, label: string,
  report: ReportBuilder, countInput: boolean, spares: { raw: SpareBuffers; out: SpareBuffers } | null = null): Promise<void> {
  const ctx: ReadContext = { bytesRead: 0, invalidUtf8: 0 };
  const bar = new ProgressBar(label, totalBytes, { enabled: o.progress });
  type Item = { p: Promise<R>; meta: BatchMeta } | { bad: { file: number; loc: number; reason: string } };
  const inFlight: Item[] = [];
  const maxInFlight = 3 * threads;
  let seq = 0;
  let texts: string[] = [], html: number[] = [], fileIdx: number[] = [], locs: number[] = [];
  let chars = 0;
  const push = async (item: Item): Promise<void> => {
    inFlight.push(item);
    while (inFlight.length >= maxInFlight) await drainOne();
  };
  const flush = async (): Promise<void> => {
    if (texts.length === 0) return;
    const meta = { files: Int32Array.from(fileIdx), locs: Int32Array.from(locs) };
    const b: DocBatch = { seq: seq++, texts, html: Uint8Array.from(html), snippets: report.snippetsNeeded(), spares: spares?.out.drain(2) };
    texts = []; html = []; fileIdx = []; locs = [];
    chars = 0;
    await push({ p: submit(b), meta });
  };
  const drainOne = async (): Promise<void> => {
    const item = inFlight.shift()!;
    if ('bad' in item) {
      if (countInput) report.bad(files[item.bad.file]!.path, item.bad.loc, item.bad.reason);
    } else {
      const r = await item.p;
      if (countInput) {
        for (const b of r.bad ?? []) report.bad(files[item.meta.files[0]!]!.path, b.loc, b.reason);
        ctx.invalidUtf8 += r.invalidUtf8 ?? 0;
      }
      handle(r, item.meta);
    }
    bar.update(ctx.bytesRead, countInput ? `${report.r.in.docs.toLocaleString('en-US')} docs in, ${report.r.out.docs.toLocaleString('en-US')} kept` : '');
  };
  for (let fi = 0; fi < files.length; fi++) {
    const f = files[fi]!;
    if (f.format === 'jsonl') {
      await flush();
      const alloc = spares ? (n: number) => spares.raw.take(n) : undefined;
      for await (const b of jsonlByteBatches(f, ctx, o.batchChars, alloc)) {
        if ('bad' in b) { await push({ bad: { file: fi, ...b.bad } }); continue; }
        const batch: JsonlBatch = { seq: seq++, ...b, field: o.ingest.field, snippets: report.snippetsNeeded(), spares: spares?.out.drain(2) };
        await push({ p: submit(batch), meta: { files: Int32Array.of(fi), locs: null } });
      }
      continue;
    }
    for await (const ev of readInput(f, o.ingest, ctx)) {
      if (ev.kind === 'bad') {
        await flush();
        await push({ bad: { file: fi, loc: ev.loc, reason: ev.reason } });
        continue;
      }
      texts.push(ev.text); html.push(ev.html ? 1 : 0); fileIdx.push(fi); locs.push(ev.loc);
      chars += ev.text.length;
      if (chars >= o.batchChars || texts.length >= 2048) await flush();
    }
  }
  await flush();
  while (inFlight.length > 0) await drainOne();
  if (countInput) report.r.cleaning.invalidUtf8 += ctx.invalidUtf8;
  bar.done(countInput ? `${report.r.in.docs.toLocaleString('en-US')} docs in, ${report.r.out.docs.toLocaleString('en-US')} kept` : '', totalBytes);
}
