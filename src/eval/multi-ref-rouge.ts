/**
 * ROUGE against several references, as SciTLDR's evaluation scores its multi-target dev
 * and test sets: each ROUGE type takes the reference it scores best against (the highest
 * F-measure; its precision and recall go with it), then `meanRouge` averages over documents.
 *
 * @example
 * maxRefRouge(['we propose a model', 'a new loss'], 'we propose a new loss').rouge2.fmeasure // against the second reference
 */
import { LlmtsError } from '../util/errors.ts';
import { ROUGE_TYPES, rougeScores, type RougeOptions, type RougeScores } from './rouge.ts';

/** Per ROUGE type, the score of `prediction` against the reference it matches best (see the module comment). */
export function maxRefRouge(refs: readonly string[], prediction: string, opts: RougeOptions = {}): RougeScores {
  if (refs.length === 0) throw new LlmtsError('E_REFS', 'no references given', { where: 'maxRefRouge', hint: 'pass at least one reference' });
  const all = refs.map((r) => rougeScores(r, prediction, opts));
  const pick = (k: (typeof ROUGE_TYPES)[number]) => all.reduce((a, s) => (s[k].fmeasure > a[k].fmeasure ? s : a))[k];
  return { rouge1: pick('rouge1'), rouge2: pick('rouge2'), rougeL: pick('rougeL'), rougeLsum: pick('rougeLsum') };
}
