/**
 * `npm run bench -- retrieval [--model DIR | --minutes N] [--out DIR] [--seed S]`:
 * retrieval recall of BM25, dense and hybrid (reciprocal-rank fusion of the two), all
 * measured in the same run on the same candidates:
 * - English -> French: the 1,000 English sentences held apart by the translate-en-fr
 *   split, each against the 1,000 first French references (BM25 can only match names,
 *   numbers and cognates);
 * - SciTLDR: each dev paper's author TLDR against the 619 dev abstracts (dense scores an
 *   abstract by its best 1-2 sentence passage; BM25 reads whole abstracts). The hybrid's
 *   dense weight is chosen on the SciTLDR training papers held apart from the encoder's
 *   training (`embedEvaluation`; 0 = BM25 alone when dense does not help there); dev
 *   chooses nothing. en->fr fuses with equal weights.
 * Without --model it first trains the `embed` recipe's encoder (`--minutes`, default the
 * recipe's 4, i.e. 600 steps) into --out (default a temporary folder) and reports the training time.
 *
 * `runRetrievalBench(opts)` is the same as a function (the tasks bench calls it).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../src/io/load-model.ts';
import { embedEvaluation, encoderEmbed, recipe, trainEmbedRecipe } from '../src/recipes/embed.ts';
import type { RetrievalReport } from '../src/search/recall.ts';
import { LlmtsError } from '../src/util/errors.ts';

/** Options of `runRetrievalBench`. */
export interface RetrievalBenchOptions {
  /** An encoder to measure; without it the embed recipe trains one. */
  model?: string;
  minutes?: number;
  out?: string;
  seed?: number;
  log?: (line: string) => void;
}

/** What `runRetrievalBench` returns. */
export interface RetrievalBenchResult {
  model: string;
  /** Training wall seconds (null when --model was given). */
  trainSeconds: number | null;
  reports: RetrievalReport[];
}

/** Trains (or loads) the encoder and measures both tasks (see the module comment). */
export async function runRetrievalBench(o: RetrievalBenchOptions = {}): Promise<RetrievalBenchResult> {
  const log = o.log ?? ((line: string) => console.log(line));
  let modelDir = o.model, trainSeconds: number | null = null;
  if (modelDir === undefined) {
    const out = o.out ?? mkdtempSync(join(tmpdir(), 'llmts-bench-retrieval-'));
    const t0 = performance.now();
    modelDir = (await trainEmbedRecipe({ out, minutes: o.minutes ?? recipe.defaultMinutes, seed: o.seed ?? 1, log })).modelDir;
    trainSeconds = (performance.now() - t0) / 1000;
  }
  const { model, tokenizer } = loadModel(modelDir);
  return { model: modelDir, trainSeconds, reports: embedEvaluation(encoderEmbed(model, tokenizer)) };
}

/** The table of a result. */
export function formatRetrievalBench(r: RetrievalBenchResult): string[] {
  const pct = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
  const lines = [`model ${r.model}${r.trainSeconds === null ? '' : ` (trained in ${r.trainSeconds.toFixed(0)} s)`}`, '',
    `${'task'.padEnd(44)} ${'R@1 BM25'.padStart(9)} ${'dense'.padStart(7)} ${'hybrid'.padStart(7)} | ${'R@10 BM25'.padStart(9)} ${'dense'.padStart(7)} ${'hybrid'.padStart(7)}`];
  for (const x of r.reports) {
    lines.push(`${x.name.padEnd(44)} ${pct(x.recallAt1.bm25).padStart(9)} ${pct(x.recallAt1.dense).padStart(7)} ${pct(x.recallAt1.hybrid).padStart(7)} | ${pct(x.recallAt10.bm25).padStart(9)} ${pct(x.recallAt10.dense).padStart(7)} ${pct(x.recallAt10.hybrid).padStart(7)}`);
  }
  lines.push('', 'hybrid = RRF (k 60) of the BM25 and dense top 100, the dense list weighted (BM25 1):');
  for (const x of r.reports) lines.push(`  ${x.name}: dense weight ${x.denseWeight}`);
  lines.push('hybrid R@1 at each dense weight tried (the SciTLDR weight is the best on the tuning papers; dev\'s equal-weight line is shown, not used):');
  for (const x of r.reports) {
    const tried = Object.entries(x.hybridAt1ByWeight).sort(([a], [b]) => Number(a) - Number(b)).map(([w, v]) => `${w}: ${v.toFixed(3)}`).join(', ');
    if (tried) lines.push(`  ${x.name}: ${tried}`);
  }
  return lines;
}

/** Runs the bench; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string' }, minutes: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } } });
  const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
  if (minutes !== undefined && !(minutes > 0)) throw new LlmtsError('E_FLAG', `--minutes must be > 0, got '${values.minutes}'`, { where: '--minutes', hint: 'e.g. --minutes 10' });
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new LlmtsError('E_FLAG', `--seed must be an integer, got '${values.seed}'`, { where: '--seed', hint: 'e.g. --seed 1' });
  const r = await runRetrievalBench({ model: values.model, minutes, out: values.out, seed });
  for (const line of formatRetrievalBench(r)) console.log(line);
}
