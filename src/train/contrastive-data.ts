/**
 * The pairs and retrieval tests of the `embed` recipe, from the bundled corpora:
 * - translation: English -> French pairs split by English sentence exactly as the
 *   translate-en-fr preset splits them (`splitBySource`, test 1,000 / val 500, seed 0),
 *   so the 1,000 test sentences are never trained on; training pairs are grouped by
 *   English sentence (its several translations are not each other's negatives); the test
 *   is each English sentence against the 1,000 first references;
 * - SciTLDR: each TLDR of a training paper -> the passages of its abstract that hold its
 *   best sentences (the dataset's labels), grouped by paper; the test is each dev paper's
 *   first (author) TLDR against the dev abstracts (sentences joined by spaces).
 *
 * @example
 * const t = translationPairs('data/translation-en-fr/eng-fra-74k.tsv.gz');
 * t.train.length; // ~72k pairs; t.test.queries.length === 1000
 */
import { createHash } from 'node:crypto';
import type { TextPair } from './contrastive.ts';
import { readScitldr, readTsvPairs, splitBySource, type ScitldrRecord } from './seq2seq-data.ts';

/** A retrieval test: query i's relevant document is docs[relevant[i]]. */
export interface PairTest {
  name: string;
  queries: string[];
  docs: string[];
  relevant: number[];
}

/** Test sources held apart by the translate-en-fr split (and by this one). */
export const TRANSLATION_TEST = 1000;

/** Training pairs and the held-apart retrieval test of a translation TSV (see the module comment). */
export function translationPairs(file: string): { train: TextPair[]; test: PairTest } {
  const { train, test } = splitBySource(readTsvPairs(file), { test: TRANSLATION_TEST, val: 500, seed: 0 });
  const groups = new Map<string, number>();
  const pairs = train.map((p) => {
    let g = groups.get(p.source);
    if (g === undefined) groups.set(p.source, (g = groups.size));
    return { query: p.source, doc: p.target, group: g };
  });
  return {
    train: pairs,
    test: { name: `en->fr (${test.length} candidates)`, queries: test.map((x) => x.source), docs: test.map((x) => x.refs[0]!), relevant: test.map((_, i) => i) },
  };
}

/**
 * SciTLDR-A training file -> (TLDR, passage) pairs grouped by paper: each TLDR with each
 * passage of its abstract that holds a sentence the dataset labels closest to the TLDRs
 * (`passages` cuts an abstract, e.g. into the chunks an index would hold).
 */
export function scitldrPairs(file: string | readonly ScitldrRecord[], passages: (abstract: string) => string[]): TextPair[] {
  return (typeof file === 'string' ? readScitldr(file) : file).flatMap((r, g) => {
    const chunks = passages(r.source.join(' '));
    const best = r.source.filter((_, i) => r.labels[i] === 1).map((s) => s.trim());
    const docs = chunks.filter((c) => best.some((s) => c.includes(s)));
    return r.targets.flatMap((t) => docs.map((doc) => ({ query: t, doc, group: g })));
  });
}

/**
 * SciTLDR-A training papers split by paper: `tune` holds the papers with
 * sha1(paper id) % 100 < `percent` (never trained on; the hybrid's fusion weight is chosen
 * on them), `train` the rest.
 */
export function scitldrTuneSplit(file: string, percent = 15): { train: ScitldrRecord[]; tune: ScitldrRecord[] } {
  const train: ScitldrRecord[] = [], tune: ScitldrRecord[] = [];
  for (const r of readScitldr(file)) (createHash('sha1').update(r.id).digest().readUInt32BE(0) % 100 < percent ? tune : train).push(r);
  return { train, tune };
}

/** SciTLDR-A dev file (or records) -> each paper's first TLDR against all abstracts. */
export function scitldrTest(file: string | readonly ScitldrRecord[], label = 'SciTLDR TLDR->abstract'): PairTest {
  const recs = typeof file === 'string' ? readScitldr(file) : file;
  return { name: `${label} (${recs.length} candidates)`, queries: recs.map((r) => r.targets[0]!), docs: recs.map((r) => r.source.join(' ')), relevant: recs.map((_, i) => i) };
}
