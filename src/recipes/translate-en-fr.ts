/**
 * `llmts recipe translate-en-fr`: `llmts train --preset translate-en-fr` as a recipe: a
 * 3 + 3-layer BART with a shared BPE trained on Tatoeba English -> French (bundled), its
 * held-apart sacreBLEU and chrF with beam search beside greedy decoding of the same model,
 * and the checkpoint `llmts translate` loads. `--minutes` sets the optimizer steps.
 *
 * @example
 * const r = await recipe.run({ out: 'runs/translate', log: console.log });
 * r.evaluation[0]; // { metric: 'sacreBLEU, held-apart 1,000 sources, beam 4', value: ..., baseline: 'greedy', baselineValue: ... }
 */
import { STEPS_PER_MINUTE, runSeq2SeqPreset } from '../train/seq2seq-recipes.ts';
import type { Recipe, RecipeResult, RecipeRunOptions } from './registry.ts';

async function run(opts: RecipeRunOptions): Promise<RecipeResult> {
  const steps = Math.max(1, Math.round((opts.minutes ?? recipe.defaultMinutes) * STEPS_PER_MINUTE['translate-en-fr']!));
  const r = await runSeq2SeqPreset('translate-en-fr', { file: { out: opts.out, seed: opts.seed ?? 1, maxSteps: steps }, log: opts.log });
  const modelDir = r.checkpoint ?? opts.out;
  const s = r.scores;
  return {
    modelDir,
    evaluation: [
      { metric: 'sacreBLEU, held-apart 1,000 English sources, beam 4', value: s.bleuBeam ?? NaN, baseline: 'greedy', baselineValue: s.bleuGreedy },
      { metric: 'chrF, held-apart, beam 4', value: s.chrfBeam ?? NaN, baseline: 'greedy', baselineValue: s.chrfGreedy },
    ],
    usage: [`llmts translate --model ${modelDir} --text "Where is the station?" --beams 4`, `llmts translate --model ${modelDir} --file english.txt --beams 4 --json`],
  };
}

/** The recipe (see the module comment). */
export const recipe: Recipe = {
  name: 'translate-en-fr',
  summary: 'English -> French BART (3 + 3 layers, shared BPE) on Tatoeba; held-apart sacreBLEU / chrF, beam 4 beside greedy',
  defaultMinutes: 12,
  run,
};
