/**
 * The task tables of `npm run bench -- seq2seq` (bench/seq2seq.ts): held-apart translation
 * and SciTLDR dev summarisation, each beside baselines computed in the same run.
 * - Translation (the translate-en-fr split of data/translation-en-fr): the English source
 *   copied as the "translation" (what BLEU gives for no work), and, with
 *   `--translate-model M` (a run or checkpoint of `llmts train --preset translate-en-fr`),
 *   that model's greedy and beam-4 outputs: sacreBLEU BLEU / chrF / chrF++ with signatures.
 * - Summarisation (data/summarization-scitldr dev): Lead-1, the extractive sentence scorer
 *   trained on the training papers' labels, and, with `--summarize-model M`, the
 *   extract-then-rewrite model: ROUGE-1/2/L against each paper's best reference.
 * `--eval-limit N` scores only the first N held-apart items (quicker, not the reported figures).
 */
import { loadCheckpoint } from '../src/io/checkpoint.ts';
import { asSeq2Seq } from '../src/models/seq2seq/index.ts';
import { bundledFile } from '../src/train/bundled.ts';
import { corpusBleu, formatBleu } from '../src/eval/bleu.ts';
import { corpusChrf, formatChrf } from '../src/eval/chrf.ts';
import { referenceStreams } from '../src/train/seq2seq-data.ts';
import { evaluateSummaries, scitldrData } from '../src/train/seq2seq-summarize.ts';
import { evaluateTranslation, translationData } from '../src/train/seq2seq-translate.ts';

/** Options of `taskTables`. */
export interface TaskTableOptions {
  translateModel?: string;
  summarizeModel?: string;
  /** Score only the first N held-apart items. */
  limit?: number;
}

/** Prints the translation and summarisation tables (see the module comment). */
export function taskTables(o: TaskTableOptions): void {
  const log = (line: string) => console.log(`  ${line}`);
  const t = translationData(bundledFile('translation-en-fr/eng-fra-74k.tsv.gz'));
  const test = o.limit ? t.test.slice(0, o.limit) : t.test;
  const refs = referenceStreams(test);
  const copy = test.map((x) => x.source);
  console.log(`translation en -> fr, held-apart split (${test.length} English sources):`);
  log(`baseline, the English source copied: ${formatBleu(corpusBleu(copy, refs), refs.length)}`);
  log(`baseline, the English source copied: ${formatChrf(corpusChrf(copy, refs, 0), refs.length)}`);
  if (o.translateModel) {
    const ck = loadCheckpoint(o.translateModel);
    log(`model ${ck.dir}:`);
    evaluateTranslation(asSeq2Seq(ck.model, '--translate-model'), ck.tokenizer, test, { log });
  } else {
    log('model: none given (--translate-model runs/translate-en-fr after llmts train --preset translate-en-fr)');
  }
  const s = scitldrData(bundledFile('summarization-scitldr'));
  const dev = o.limit ? s.dev.slice(0, o.limit) : s.dev;
  console.log(`summarisation, SciTLDR-A dev (${dev.length} papers):`);
  const ck = o.summarizeModel ? loadCheckpoint(o.summarizeModel) : null;
  if (!ck) log('rewriter: none given (--summarize-model runs/summarize-scitldr after llmts train --preset summarize-scitldr)');
  evaluateSummaries(ck ? asSeq2Seq(ck.model, '--summarize-model') : null, ck?.tokenizer ?? null, { train: s.train, dev, log });
}
