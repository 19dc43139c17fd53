/**
 * The `translate-en-fr` recipe's data and evaluation: Tatoeba English -> French pairs
 * (data/translation-en-fr, CC BY 2.0 FR) split by English sentence (seq2seq-data.ts):
 * 1,000 English sources with all their French references are the held-apart test split,
 * 500 the validation split (the loss during training), the rest the training pairs. The
 * final evaluation translates the test sources greedily and with beam search (4 beams)
 * and scores both against every reference as sacreBLEU 2.6 does (BLEU, chrF, chrF++).
 *
 * @example
 * const d = translationData('data/translation-en-fr/eng-fra-74k.tsv.gz');
 * d.test.length; // 1000 English sources
 * const scores = evaluateTranslation(model, tokenizer, d.test, { out: 'runs/t', log: console.log });
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusBleu, formatBleu } from '../eval/bleu.ts';
import { corpusChrf, formatChrf } from '../eval/chrf.ts';
import { generateTexts } from '../infer/seq2seq-generate.ts';
import type { Seq2SeqLM } from '../models/seq2seq/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { flattenRefs, readTsvPairs, referenceStreams, splitBySource, type MultiRefItem } from './seq2seq-data.ts';
import type { Seq2SeqRunData } from './seq2seq-run.ts';

/** English sources held apart for the test and validation splits. */
export const TRANSLATION_SPLIT = { test: 1000, val: 500, seed: 0 } as const;

/** The run's texts and the held-apart test items of a TSV of pairs (see the module comment). */
export function translationData(file: string, split: { test: number; val: number; seed: number } = TRANSLATION_SPLIT): Seq2SeqRunData & { test: MultiRefItem[] } {
  const { train, val, test } = splitBySource(readTsvPairs(file), split);
  return { train, val: flattenRefs(val), test, tokenizerTexts: () => train.flatMap((p) => [p.source, p.target]) };
}

/** Options of `evaluateTranslation`. */
export interface TranslationEvalOptions {
  /** Folder for the hypotheses (test.greedy.txt, test.beam4.txt) and references (test.ref-K.txt); none when omitted. */
  out?: string;
  log: (line: string) => void;
  /** Longest output in tokens (decoder start included). Default 64. */
  maxLength?: number;
  /** Beams of the beam search. Default 4. */
  beams?: number;
}

/**
 * Greedy and beam-search translations of `test` scored against all of each source's
 * references (sacreBLEU's default BLEU, chrF, chrF++); logs sacreBLEU's lines and returns
 * { bleuGreedy, chrfGreedy, chrfppGreedy, bleuBeam, chrfBeam, chrfppBeam }.
 */
export function evaluateTranslation(model: Seq2SeqLM, tokenizer: Tokenizer, test: readonly MultiRefItem[], o: TranslationEvalOptions): Record<string, number> {
  const beams = o.beams ?? 4;
  const refs = referenceStreams(test);
  const sources = test.map((x) => x.source);
  const gen = { maxLength: Math.min(o.maxLength ?? 64, model.config.blockSize), batchSize: 32 };
  const scores: Record<string, number> = {};
  o.log(`test: ${test.length} held-apart English sources, ${test.reduce((a, x) => a + x.refs.length, 0)} French references (${refs.length} reference streams; a source with fewer repeats its first, which changes no score)`);
  for (const [name, numBeams] of [['greedy', 1], [`beam${beams}`, beams]] as const) {
    const t0 = performance.now();
    const hyps = generateTexts(model, tokenizer, sources, { ...gen, numBeams });
    const sec = (performance.now() - t0) / 1000;
    const bleu = corpusBleu(hyps, refs), chrf = corpusChrf(hyps, refs, 0), chrfpp = corpusChrf(hyps, refs, 2);
    o.log(`${name} (${sec.toFixed(1)} s, ${(sources.length / sec).toFixed(1)} sentences/s):`);
    o.log(`  ${formatBleu(bleu, refs.length)}`);
    o.log(`  ${formatChrf(chrf, refs.length)}`);
    o.log(`  ${formatChrf(chrfpp, refs.length)}`);
    const key = numBeams === 1 ? 'Greedy' : 'Beam';
    Object.assign(scores, { [`bleu${key}`]: round2(bleu.score), [`chrf${key}`]: round2(chrf.score), [`chrfpp${key}`]: round2(chrfpp.score) });
    if (o.out) writeFileSync(join(o.out, `test.${name}.txt`), hyps.join('\n') + '\n');
  }
  if (o.out) {
    writeFileSync(join(o.out, 'test.source.txt'), sources.join('\n') + '\n');
    refs.forEach((stream, k) => writeFileSync(join(o.out!, `test.ref-${k + 1}.txt`), stream.join('\n') + '\n'));
  }
  o.log(`beam ${beams} - greedy: ${(scores.bleuBeam! - scores.bleuGreedy!).toFixed(2)} BLEU, ${(scores.chrfBeam! - scores.chrfGreedy!).toFixed(2)} chrF`);
  return scores;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
