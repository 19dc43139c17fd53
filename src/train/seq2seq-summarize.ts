/**
 * The `summarize-scitldr` recipe: SciTLDR-A (data/summarization-scitldr, Apache-2.0), paper
 * abstract -> one-sentence TLDR, scored on dev with ROUGE (rouge-score's tokeniser with the
 * Porter stemmer; each paper against the reference it matches best, as SciTLDR evaluates).
 * Three summarisers, side by side:
 * - Lead-1: the abstract's first sentence;
 * - extractive: the sentence a scorer trained on `source_labels` ranks first (src/eval/extractive.ts);
 * - abstractive, extract-then-rewrite: an encoder-decoder writes the TLDR from the sentence
 *   the extractive scorer picks. It is trained on (labelled best sentence -> author TLDR)
 *   pairs, repeated `REWRITE_COPIES` times, beside copy pairs (a sentence -> itself, two
 *   other sentences of each abstract) that teach it to carry words over from only 1,992
 *   training papers. Its input is one sentence, so `llmts summarize` with this model takes
 *   sentences; the recipe's evaluation chooses them with the scorer.
 * The last 100 training papers are held apart for the validation loss.
 *
 * @example
 * const s = scitldrData('data/summarization-scitldr');
 * s.data.train.length; // rewrite and copy pairs of 1,892 papers
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lead, trainSentenceScorer, type SentenceScorer } from '../eval/extractive.ts';
import { maxRefRouge } from '../eval/multi-ref-rouge.ts';
import { meanRouge, type RougeScores } from '../eval/rouge.ts';
import { generateTexts } from '../infer/seq2seq-generate.ts';
import type { Seq2SeqLM } from '../models/seq2seq/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { readScitldr, type ScitldrRecord, type TextPair } from './seq2seq-data.ts';
import type { Seq2SeqRunData } from './seq2seq-run.ts';

/** Times each (best sentence -> TLDR) pair is repeated among the training pairs. */
export const REWRITE_COPIES = 3;
/** Copy pairs (sentence -> itself) per training abstract. */
export const COPIES_PER_ABSTRACT = 2;
/** Training papers held apart for the validation loss. */
const VAL_PAPERS = 100;

/** `dir`/`name`.jsonl.gz, or `dir`/`name`.jsonl; neither is E_DATA naming the folder. */
function splitFile(dir: string, name: string): string {
  for (const f of [join(dir, `${name}.jsonl.gz`), join(dir, `${name}.jsonl`)]) if (existsSync(f)) return f;
  throw new LlmtsError('E_DATA', `${dir} has no ${name}.jsonl.gz or ${name}.jsonl`, { where: dir, hint: 'point --data at a SciTLDR-A folder (train.jsonl and dev.jsonl)' });
}

/** The index of a record's labelled sentence (the first labelled one; 0 when none is). */
export function bestSentence(r: ScitldrRecord): number {
  return Math.max(0, r.labels.indexOf(1));
}

/** The training pairs of some papers: rewrite pairs (REWRITE_COPIES times) and copy pairs (see the module comment). */
export function rewritePairs(records: readonly ScitldrRecord[], seed: number): TextPair[] {
  const rng = new Rng(seed);
  const out: TextPair[] = [];
  for (const r of records) {
    const best = bestSentence(r);
    for (let k = 0; k < REWRITE_COPIES; k++) out.push({ source: r.source[best]!, target: r.targets[0]! });
    const others = rng.shuffle(r.source.map((_, i) => i).filter((i) => i !== best)).slice(0, COPIES_PER_ABSTRACT);
    for (const i of others) out.push({ source: r.source[i]!, target: r.source[i]! });
  }
  return out;
}

/** The run's texts, the training papers (for the scorer) and the dev papers of a SciTLDR-A folder. */
export function scitldrData(dir: string): { data: Seq2SeqRunData; train: ScitldrRecord[]; dev: ScitldrRecord[] } {
  const all = readScitldr(splitFile(dir, 'train'));
  const dev = readScitldr(splitFile(dir, 'dev'));
  if (all.length <= VAL_PAPERS) throw new LlmtsError('E_DATA', `${dir}: ${all.length} training papers, need more than ${VAL_PAPERS}`, { where: dir, hint: 'use the SciTLDR-A training split' });
  const train = all.slice(0, all.length - VAL_PAPERS), held = all.slice(all.length - VAL_PAPERS);
  const data: Seq2SeqRunData = {
    train: rewritePairs(train, 0),
    val: held.map((r) => ({ source: r.source[bestSentence(r)]!, target: r.targets[0]! })),
    tokenizerTexts: () => train.flatMap((r) => [...r.source, ...r.targets]),
  };
  return { data, train, dev };
}

/** Options of `evaluateSummaries`. */
export interface SummaryEvalOptions {
  train: readonly ScitldrRecord[];
  dev: readonly ScitldrRecord[];
  /** Folder for each summariser's dev outputs (dev.<name>.txt); none when omitted. */
  out?: string;
  log: (line: string) => void;
  /** Beams of the rewriter. Default 4. */
  beams?: number;
  /** A trained scorer (default: trained here on `train`). */
  scorer?: SentenceScorer;
}

/**
 * Lead-1, the extractive scorer, the labelled sentence itself (`oracle`: what a perfect
 * scorer would reach) and the rewriter (`model`; null to leave it out) on the dev papers:
 * logs a ROUGE-1/2/L table (F-measure x 100) and returns its figures
 * ({ lead1Rouge1, ..., extractiveRouge2, ..., oracleRouge1, ..., abstractiveRougeL }).
 */
export function evaluateSummaries(model: Seq2SeqLM | null, tokenizer: Tokenizer | null, o: SummaryEvalOptions): Record<string, number> {
  const t0 = performance.now();
  const scorer = o.scorer ?? trainSentenceScorer(o.train.map((r) => ({ sentences: r.source, best: bestSentence(r) })));
  const picks = o.dev.map((r) => r.source[scorer.pick(r.source)]!);
  o.log(`extractive scorer: trained on ${o.train.length} papers' source_labels in ${((performance.now() - t0) / 1000).toFixed(1)} s; picks the labelled sentence of ${(100 * o.dev.filter((r, i) => r.source[bestSentence(r)] === picks[i]).length / o.dev.length).toFixed(1)}% of dev papers`);
  const outputs: [string, string[]][] = [['lead1', o.dev.map((r) => lead(r.source, 1))], ['extractive', picks], ['oracle', o.dev.map((r) => r.source[bestSentence(r)]!)]];
  if (model && tokenizer) {
    const t1 = performance.now();
    const beams = o.beams ?? 4;
    outputs.push(['abstractive', generateTexts(model, tokenizer, picks, { numBeams: beams, maxLength: Math.min(64, model.config.blockSize), noRepeatNgramSize: 3, batchSize: 16 })]);
    o.log(`rewriter: beam ${beams}, no repeated 3-grams, ${o.dev.length} dev papers in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  }
  o.log(`dev: ${o.dev.length} papers, ${o.dev.reduce((a, r) => a + r.targets.length, 0)} reference TLDRs; ROUGE F x 100 (rouge-score tokeniser, Porter stemmer, best reference per paper; non-ASCII letters score zero by design)`);
  o.log('summariser      ROUGE-1  ROUGE-2  ROUGE-L  words');
  const scores: Record<string, number> = {};
  for (const [name, hyps] of outputs) {
    const r: RougeScores = meanRouge(hyps.map((h, i) => maxRefRouge(o.dev[i]!.targets, h, { stem: true })));
    const words = hyps.reduce((a, h) => a + h.split(/\s+/).filter(Boolean).length, 0) / hyps.length;
    o.log(`${name.padEnd(14)} ${[r.rouge1, r.rouge2, r.rougeL].map((x) => (100 * x.fmeasure).toFixed(2).padStart(8)).join(' ')} ${words.toFixed(1).padStart(6)}`);
    Object.assign(scores, { [`${name}Rouge1`]: round2(100 * r.rouge1.fmeasure), [`${name}Rouge2`]: round2(100 * r.rouge2.fmeasure), [`${name}RougeL`]: round2(100 * r.rougeL.fmeasure) });
    if (o.out) writeFileSync(join(o.out, `dev.${name}.txt`), hyps.join('\n') + '\n');
  }
  return scores;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
