/**
 * An objective: how a batch becomes a loss. The trainer (src/train/loop.ts) knows nothing
 * about next tokens, masks or labels; it asks its `BatchSource` for the batch of a step
 * and its objective for the loss of that batch, so every family and task trains in the
 * one loop. Each objective declares its batch type; a loader yields that type.
 *
 * - causal-lm.ts  next-token prediction; targets of -100 are ignored (chat SFT masks the prompt)
 * - masked-lm.ts  BERT's masked-token prediction (15% chosen; 80% [MASK], 10% random, 10% kept)
 * - seq2seq.ts    an encoder-decoder predicting the target sequence from the source (teacher forcing)
 * - classify.ts   one label per sequence from a classification head on the trunk
 * - tree.ts       a label on every node of parse trees (Tree-LSTM sentiment)
 *
 * @example
 * const { loss, count } = causalLm.loss(model, loader.batch(step));
 * loss.backward();   // mean over the `count` targets that were scored
 */
import type { Tensor } from '../../tensor/index.ts';

/** What every batch tells the trainer: its rows (sequences) and tokens fed to the model. */
export interface BatchShape {
  /** Sequences in the batch. */
  rows: number;
  /** Tokens the model reads (for tok/s and MFU). */
  tokens: number;
}

/** The loss of one batch. */
export interface ObjectiveLoss {
  /** Mean loss over the counted targets: a scalar on the autograd tape. */
  loss: Tensor;
  /** Targets the mean is over (not ignored): the weight of this batch in a mean over batches. */
  count: number;
}

/** Batch -> loss, for models of type M (see the module comment). */
export interface Objective<B extends BatchShape, M> {
  /** 'causal-lm', 'masked-lm', 'seq2seq', 'classify'. */
  readonly name: string;
  /** The loss of `batch` under `model` (records the graph unless inside noGrad). */
  loss(model: M, batch: B): ObjectiveLoss;
}

/**
 * Where training batches come from: the batch of step `step` (micro-batch `micro` under
 * gradient accumulation), a pure function of (seed, step, micro) so a resumed run sees
 * the batches an uninterrupted one would. The returned arrays may be reused by the next call.
 */
export interface BatchSource<B extends BatchShape> {
  batch(step: number, micro: number): B;
}

/** Number of targets that count (not `ignoreIndex`). */
export function countTargets(targets: Int32Array, ignoreIndex = -100): number {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== ignoreIndex) n++;
  return n;
}
