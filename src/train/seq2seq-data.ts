/**
 * The text data of the sequence-to-sequence recipes (seq2seq-recipes.ts): tab-separated
 * translation pairs (plain or gzip), SciTLDR records (JSONL), and splits that keep every
 * reference of a source together. Translation corpora such as Tatoeba hold several
 * targets per source sentence ("Run!" -> "Cours !", "Courez !"), so a split by line would
 * put a source's other translations in training; `splitBySource` splits by source and a
 * held-apart item carries all of its references.
 *
 * @example
 * const pairs = readTsvPairs('data/translation-en-fr/eng-fra-74k.tsv.gz');
 * const { train, val, test } = splitBySource(pairs, { test: 1000, val: 500, seed: 0 });
 * test[0]; // { source: 'Run!', refs: ['Cours !', 'Courez !'] }
 */
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { dataError, jsonlRecords } from '../data/record-file.ts';
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

/** One (source, target) text pair. */
export interface TextPair {
  source: string;
  target: string;
}

/** One source with all of its references (a held-apart item). */
export interface MultiRefItem {
  source: string;
  refs: string[];
}

/** The text of `file` (gunzipped when its name ends in .gz); an unreadable file is E_DATA naming it. */
export function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new LlmtsError('E_DATA', `cannot read ${file}: ${(err as Error).message}`, { where: file, hint: 'check the path', cause: err });
  }
  if (!file.endsWith('.gz')) return bytes.toString('utf8');
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (err) {
    throw new LlmtsError('E_DATA', `${file} is not a gzip file: ${(err as Error).message}`, { where: file, hint: 'gzip it again, or drop the .gz ending of a plain text file', cause: err });
  }
}

/**
 * "source<TAB>target[<TAB>anything]" lines -> pairs (blank lines skipped). A line without a
 * tab or with an empty side is an E_DATA error naming "file:line".
 * @example readTsvPairs('a.tsv') // 'Go.\tVa !' -> [{ source: 'Go.', target: 'Va !' }]
 */
export function readTsvPairs(file: string): TextPair[] {
  const lines = readTextFile(file).split('\n');
  const out: TextPair[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const cols = line.split('\t');
    const source = cols[0]!.trim(), target = (cols[1] ?? '').trim();
    if (cols.length < 2 || source === '' || target === '') {
      throw dataError(`${file}:${i + 1}`, 'expected "source<TAB>target" with both sides non-empty', 'one pair a line, the two texts separated by a tab');
    }
    out.push({ source, target });
  }
  if (out.length === 0) throw dataError(file, 'holds no pairs', 'one "source<TAB>target" pair a line');
  return out;
}

/** Pairs grouped by source, in order of first appearance: one item per distinct source. */
export function groupBySource(pairs: readonly TextPair[]): MultiRefItem[] {
  const bySource = new Map<string, string[]>();
  for (const p of pairs) {
    const refs = bySource.get(p.source);
    if (refs) refs.push(p.target);
    else bySource.set(p.source, [p.target]);
  }
  return [...bySource].map(([source, refs]) => ({ source, refs }));
}

/**
 * Splits by source: `test` and `val` distinct sources (drawn by Rng(seed), each with all
 * of its references) are held apart; every pair of the other sources is training data.
 * The same pairs and seed give the same split.
 */
export function splitBySource(pairs: readonly TextPair[], o: { test: number; val: number; seed: number }): { train: TextPair[]; val: MultiRefItem[]; test: MultiRefItem[] } {
  const items = groupBySource(pairs);
  if (o.test + o.val >= items.length) {
    throw new LlmtsError('E_DATA', `${items.length} distinct sources cannot give ${o.test} test and ${o.val} validation sources and leave any for training`, {
      where: 'splitBySource', hint: 'hold apart fewer sources, or give more pairs' });
  }
  const order = new Rng(o.seed).shuffle(items.map((_, i) => i));
  const test = order.slice(0, o.test).sort((a, b) => a - b).map((i) => items[i]!);
  const val = order.slice(o.test, o.test + o.val).sort((a, b) => a - b).map((i) => items[i]!);
  const heldApart = new Set([...test, ...val].map((x) => x.source));
  return { train: pairs.filter((p) => !heldApart.has(p.source)), val, test };
}

/** Items -> one pair per (source, reference). */
export function flattenRefs(items: readonly MultiRefItem[]): TextPair[] {
  return items.flatMap((x) => x.refs.map((target) => ({ source: x.source, target })));
}

/**
 * Items -> sacreBLEU's reference streams: stream k holds each item's k-th reference, or its
 * first when it has fewer. Repeating a reference changes neither BLEU (the n-gram maxima and
 * the closest reference length are the same) nor chrF (the best reference is the same), so
 * the scores are those of each item against exactly its own references.
 */
export function referenceStreams(items: readonly MultiRefItem[]): string[][] {
  const k = Math.max(...items.map((x) => x.refs.length));
  return Array.from({ length: k }, (_, j) => items.map((x) => x.refs[j] ?? x.refs[0]!));
}

/** One SciTLDR-A record: the abstract's sentences, which of them are best (labels), the TLDRs. */
export interface ScitldrRecord {
  id: string;
  title: string;
  source: string[];
  /** 1 for the sentence(s) closest to the TLDRs (the dataset's extractive labels), else 0. */
  labels: number[];
  /** The references: author TLDR first, then peer-review TLDRs. */
  targets: string[];
}

/** SciTLDR-A JSONL -> records; a record without sentences, targets, or labels of the same length is E_DATA naming "file:line". */
export function readScitldr(file: string): ScitldrRecord[] {
  return jsonlRecords(readTextFile(file), file, (rec, where) => {
    const r = rec as Record<string, unknown> | null;
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (r === null || typeof r !== 'object' || !strings(r.source) || r.source.length === 0 || !strings(r.target) || r.target.length === 0) {
      throw dataError(where, 'expected an object with "source" and "target": non-empty arrays of strings', 'use the SciTLDR-A JSONL records');
    }
    const labels = r.source_labels;
    if (!Array.isArray(labels) || labels.length !== r.source.length || !labels.every((x) => x === 0 || x === 1)) {
      throw dataError(where, '"source_labels" must hold one 0 or 1 per source sentence', 'use the SciTLDR-A JSONL records');
    }
    return { id: String(r.paper_id ?? where), title: typeof r.title === 'string' ? r.title : '', source: r.source, labels: labels as number[], targets: r.target };
  });
}
