/**
 * A sentence-level self-supervised task for pretraining a classifier's trunk on unlabelled
 * text: one token of a sentence is taken out and has to be predicted from the rest of the
 * sentence through the same pooled vector a sequence classifier reads (mean pooling, a
 * head over the target words). It is CBOW / doc2vec's objective with the whole sentence as
 * the window, put through a Transformer: words that share sentences (and so, in reviews,
 * share a sentiment) end up with nearby pooled vectors, which next-token prediction on a
 * small corpus does not give (issue 13's transfer bench).
 *
 * - `droppedWordTargets`: the target words: the `size` most frequent ids after the `skipTop`
 *   most frequent ones (function words and punctuation), never the special ids;
 * - `droppedWordExamples`: for every sentence, `perDoc` examples (seeded): the sentence
 *   without one of its target-word tokens, labelled with that word's index in the targets.
 *   Sentences with no target word, or with nothing left, give none.
 *
 * @example
 * const targets = droppedWordTargets(docs, { size: 2048, skipTop: 50, special: [eos] });
 * const train = droppedWordExamples(docs, targets, { perDoc: 2, seed: 1, block: 64 }); // LabelledIds[]
 * // then finetune(prepareFinetuneModel(model, { task: 'classify', labels: targets.ids.map(String), pooling: 'mean', ... }), ...)
 */
import { LlmtsError } from '../util/errors.ts';
import { hash32, Rng } from '../util/rng.ts';
import type { LabelledIds } from './finetune.ts';

/** The target words: `ids[k]` is the token of label k; `index` maps a token id to its label. */
export interface DroppedWordTargets {
  ids: number[];
  index: Map<number, number>;
}

/** See the module comment. */
export function droppedWordTargets(docs: readonly (readonly number[])[], o: { size: number; skipTop: number; special?: readonly number[] }): DroppedWordTargets {
  if (!Number.isInteger(o.size) || o.size < 2) throw new LlmtsError('E_CONFIG', `the number of target words must be an integer >= 2, got ${o.size}`, { where: 'droppedWordTargets.size' });
  const special = new Set(o.special ?? []);
  const count = new Map<number, number>();
  for (const d of docs) for (const id of d) if (!special.has(id)) count.set(id, (count.get(id) ?? 0) + 1);
  const ranked = [...count.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([id]) => id);
  const ids = ranked.slice(o.skipTop, o.skipTop + o.size);
  if (ids.length < 2) throw new LlmtsError('E_DATA', `only ${ids.length} target words after skipping the ${o.skipTop} most frequent`, { where: 'droppedWordTargets', hint: 'give more text or skip fewer words' });
  return { ids, index: new Map(ids.map((id, k) => [id, k])) };
}

/** See the module comment. */
export function droppedWordExamples(docs: readonly (readonly number[])[], targets: DroppedWordTargets, o: { perDoc: number; seed: number; block: number }): LabelledIds[] {
  const out: LabelledIds[] = [];
  docs.forEach((doc, d) => {
    const ids = doc.slice(0, o.block + 1);
    const where = ids.flatMap((id, t) => (targets.index.has(id) ? [t] : []));
    if (where.length === 0 || ids.length < 2) return;
    const rng = new Rng(hash32(o.seed, d));
    for (let k = 0; k < o.perDoc; k++) {
      const t = where[rng.int(where.length)]!;
      const rest = [...ids.slice(0, t), ...ids.slice(t + 1)].slice(0, o.block);
      out.push({ ids: rest, label: targets.index.get(ids[t]!)! });
    }
  });
  return out;
}
