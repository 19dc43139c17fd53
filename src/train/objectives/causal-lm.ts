/**
 * Causal language modelling: predict token t+1 from tokens 0..t. Pretraining feeds
 * windows of a token stream (every target counts); supervised fine-tuning (chat SFT)
 * feeds conversations whose prompt tokens must not be learned, so a target of -100 is
 * ignored: it adds nothing to the loss and is not counted in the mean. `sftBatch` builds
 * such a batch from (ids, mask) pairs, as nanochat's `render_conversation` returns them.
 *
 * @example
 * const batch = sftBatch([{ ids: [1, 7, 8, 9, 2], mask: [0, 0, 1, 1, 1] }], { T: 6, padId: 0 });
 * batch.targets; // [-100, 8, 9, 2, -100, -100]: 7 is prompt, 0s are padding
 * causalLm.loss(model, batch).loss.backward();
 */
import type { LanguageModel } from '../../models/model.ts';
import { LlmtsError } from '../../util/errors.ts';
import { countTargets, type BatchShape, type Objective } from './objective.ts';

/** The target value that is not scored (PyTorch's ignore_index). */
export const IGNORE = -100;

/** (rows, T) inputs and their next-token targets; IGNORE marks targets not scored. */
export interface CausalLmBatch extends BatchShape {
  /** (rows, T) token ids. */
  ids: Int32Array;
  /** (rows, T) the id each position must predict, or IGNORE. */
  targets: Int32Array;
  T: number;
}

/** What the causal-LM objective needs of a model: logits and the mean cross-entropy over counted targets. */
export type CausalLmModel = Pick<LanguageModel, 'forward'>;

/** Next-token prediction with ignored targets (see the module comment). */
export const causalLm: Objective<CausalLmBatch, CausalLmModel> = {
  name: 'causal-lm',
  loss(model, b) {
    const { loss } = model.forward(b.ids, b.rows, b.T, b.targets); // () mean over the counted targets
    return { loss: loss!, count: countTargets(b.targets, IGNORE) };
  },
};

/** One SFT example: its ids and, per id, whether the model must learn to produce it (1) or only read it (0). */
export interface SftExample {
  ids: readonly number[];
  mask: ArrayLike<number | boolean>;
}

/**
 * SFT examples -> a causal-LM batch of `rows = examples.length` rows of T positions:
 * position t reads ids[t] and predicts ids[t+1] when mask[t+1] is set (else IGNORE);
 * rows shorter than T + 1 ids are padded with `padId` (targets IGNORE). An example of
 * more than T + 1 ids is an error (cut conversations before batching).
 */
export function sftBatch(examples: readonly SftExample[], o: { T: number; padId: number }): CausalLmBatch {
  const { T, padId } = o;
  const rows = examples.length;
  const ids = new Int32Array(rows * T).fill(padId); // (rows, T)
  const targets = new Int32Array(rows * T).fill(IGNORE); // (rows, T)
  examples.forEach((e, r) => {
    if (e.mask.length !== e.ids.length) {
      throw new LlmtsError('E_SFT', `example ${r} has ${e.ids.length} ids but ${e.mask.length} mask entries`, { where: `examples[${r}]`, hint: 'give one mask entry per id' });
    }
    if (e.ids.length > T + 1) {
      throw new LlmtsError('E_SFT', `example ${r} has ${e.ids.length} ids; a row of T = ${T} positions holds at most ${T + 1}`, { where: `examples[${r}]`, hint: 'cut or drop long conversations, or raise T' });
    }
    for (let t = 0; t + 1 < e.ids.length; t++) {
      ids[r * T + t] = e.ids[t]!;
      if (e.mask[t + 1]) targets[r * T + t] = e.ids[t + 1]!;
    }
  });
  return { ids, targets, rows, T, tokens: rows * T };
}
