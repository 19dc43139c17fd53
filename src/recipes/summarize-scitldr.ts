/**
 * `llmts recipe summarize-scitldr`: `llmts train --preset summarize-scitldr` as a recipe:
 * SciTLDR-A abstracts -> one-sentence TLDRs (bundled), scored on dev with ROUGE beside
 * Lead-1 computed in the same run: the extractive sentence scorer (ROUGE-1) and the
 * extract-then-rewrite encoder-decoder (ROUGE-2). `--minutes` sets the optimizer steps.
 *
 * @example
 * const r = await recipe.run({ out: 'runs/tldr', log: console.log });
 * r.evaluation[1]; // { metric: 'dev ROUGE-2, rewriter', value: ..., baseline: 'Lead-1', baselineValue: 11.45 }
 */
import { STEPS_PER_MINUTE, runSeq2SeqPreset } from '../train/seq2seq-recipes.ts';
import type { Recipe, RecipeResult, RecipeRunOptions } from './registry.ts';

async function run(opts: RecipeRunOptions): Promise<RecipeResult> {
  const steps = Math.max(1, Math.round((opts.minutes ?? recipe.defaultMinutes) * STEPS_PER_MINUTE['summarize-scitldr']!));
  const r = await runSeq2SeqPreset('summarize-scitldr', { file: { out: opts.out, seed: opts.seed ?? 1, maxSteps: steps }, log: opts.log });
  const modelDir = r.checkpoint ?? opts.out;
  const s = r.scores;
  return {
    modelDir,
    evaluation: [
      { metric: 'dev ROUGE-1, extractive scorer', value: s.extractiveRouge1 ?? NaN, baseline: 'Lead-1', baselineValue: s.lead1Rouge1 },
      { metric: 'dev ROUGE-2, extract-then-rewrite', value: s.abstractiveRouge2 ?? NaN, baseline: 'Lead-1', baselineValue: s.lead1Rouge2 },
      { metric: 'dev ROUGE-L, extract-then-rewrite', value: s.abstractiveRougeL ?? NaN, baseline: 'Lead-1', baselineValue: s.lead1RougeL },
    ],
    usage: [`llmts summarize --model ${modelDir} --file sentences.txt --beams 4 --no-repeat-ngram 3   # one chosen abstract sentence a line`],
  };
}

/** The recipe (see the module comment). */
export const recipe: Recipe = {
  name: 'summarize-scitldr',
  summary: 'SciTLDR abstract -> TLDR: Lead-1, an extractive sentence scorer and an extract-then-rewrite BART; dev ROUGE',
  defaultMinutes: 10,
  run,
};
