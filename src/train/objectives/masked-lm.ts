/**
 * Masked language modelling (BERT): in each sequence, every position that is not a
 * special token is chosen with probability `prob` (0.15); a chosen position's input
 * becomes the mask id 80% of the time, a uniformly random id 10% of the time, and stays
 * itself 10% of the time; the model must predict the original id at every chosen
 * position and nothing else (targets -100 elsewhere). The choices come from an `Rng`, so
 * a batch source seeded by (seed, step, micro) gives the same masks after a resume.
 *
 * The model must see the whole sequence (bidirectional attention: an encoder's MLM head);
 * the objective only needs its `forward(ids, B, T, targets)`.
 *
 * @example
 * const { ids, targets } = maskTokens(Int32Array.from([5, 9, 4]), { maskId: 103, vocabSize: 30522 }, new Rng(1));
 * maskedLm.loss(encoder, { ids, targets, rows: 1, T: 3, tokens: 3 });
 */
import { hash32, Rng } from '../../util/rng.ts';
import { LlmtsError } from '../../util/errors.ts';
import { IGNORE, type CausalLmModel } from './causal-lm.ts';
import { countTargets, type BatchShape, type BatchSource, type Objective } from './objective.ts';

/** (rows, T) masked inputs and the original ids at the chosen positions (IGNORE elsewhere). */
export interface MaskedLmBatch extends BatchShape {
  ids: Int32Array;
  targets: Int32Array;
  T: number;
}

/** Options of `maskTokens`. */
export interface MaskingOptions {
  /** The tokenizer's mask id ([MASK]). */
  maskId: number;
  /** Random replacements are drawn from [0, vocabSize). */
  vocabSize: number;
  /** Chance that a position is chosen (default 0.15). */
  prob?: number;
  /** Ids never chosen: [CLS], [SEP], padding. */
  specialIds?: ReadonlySet<number>;
  /**
   * Whole-word masking: true for an id that continues the word before it (a WordPiece
   * `##` piece). A word is chosen or not as one, each of its ids then corrupted as above.
   */
  continuesWord?: (id: number) => boolean;
}

/** Chooses and corrupts positions of `ids` as BERT does (see the module comment); `ids` is not changed. */
export function maskTokens(ids: Int32Array, o: MaskingOptions, rng: Rng): { ids: Int32Array; targets: Int32Array } {
  const prob = o.prob ?? 0.15;
  if (!(prob > 0 && prob <= 1)) throw new LlmtsError('E_CONFIG', `masking probability ${prob} is outside (0, 1]`, { where: 'prob', hint: 'BERT uses 0.15' });
  const input = Int32Array.from(ids);
  const targets = new Int32Array(ids.length).fill(IGNORE);
  const special = (id: number) => o.specialIds?.has(id) === true;
  for (let i = 0, end = 1; i < ids.length; i = end, end = i + 1) {
    if (special(ids[i]!)) continue;
    while (o.continuesWord && end < ids.length && !special(ids[end]!) && o.continuesWord(ids[end]!)) end++; // the word's pieces
    if (rng.uniform() >= prob) continue;
    for (let j = i; j < end; j++) {
      targets[j] = ids[j]!;
      const r = rng.uniform();
      if (r < 0.8) input[j] = o.maskId;
      else if (r < 0.9) input[j] = rng.int(o.vocabSize);
    }
  }
  return { ids: input, targets };
}

/**
 * Masked-LM batches from a source of plain token batches: the batch of (step, micro)
 * masked with an Rng seeded from (seed, step, micro), so masks survive a resume.
 */
export function maskedLmBatches(source: BatchSource<{ ids: Int32Array; rows: number; T: number; tokens: number }>, o: MaskingOptions & { seed: number }): BatchSource<MaskedLmBatch> {
  return {
    batch(step, micro) {
      const b = source.batch(step, micro);
      const rng = new Rng(hash32(hash32(o.seed ^ 0x6d61736b, step), micro));
      return { ...maskTokens(b.ids, o, rng), rows: b.rows, T: b.T, tokens: b.tokens };
    },
  };
}

/** Predict the original ids at the masked positions (see the module comment). */
export const maskedLm: Objective<MaskedLmBatch, CausalLmModel> = {
  name: 'masked-lm',
  loss(model, b) {
    const { loss } = model.forward(b.ids, b.rows, b.T, b.targets); // () mean over the chosen positions
    return { loss: loss!, count: countTargets(b.targets, IGNORE) };
  },
};
