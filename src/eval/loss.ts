/**
 * Validation loss: the one way to score a model on batches, for the trainer's periodic
 * and final evaluations, `llmts demo` and `scoreIds` (perplexity). Each batch's mean loss
 * (from its objective) is weighted by the number of targets it counted, so the result is
 * the mean over every counted target of every batch, whatever the batch sizes. The model
 * runs in eval mode without a graph (`withEvalMode`), and each batch inside `tidy`, so
 * every intermediate goes back to the buffer pool and the next training step finds its
 * buffers there instead of allocating.
 *
 * @example
 * const { totalLoss, count } = sumLoss(model, causalLm, loader.windows());
 * meanLoss(model, causalLm, loader.windows()); // totalLoss / count
 */
import type { Module } from '../nn/module.ts';
import { withEvalMode } from '../nn/eval-mode.ts';
import { tidy } from '../tensor/index.ts';
import type { BatchShape, Objective } from '../train/objectives/objective.ts';

/** Sum over batches of (mean loss x counted targets), and the count; see the module comment. */
export function sumLoss<B extends BatchShape, M>(model: M & Module, objective: Objective<B, M>, batches: Iterable<B>,
  onBatch?: (count: number) => void): { totalLoss: number; count: number } {
  let totalLoss = 0, count = 0;
  withEvalMode(model, () => {
    for (const b of batches) {
      tidy(() => {
        const r = objective.loss(model, b);
        totalLoss += r.loss.item() * r.count;
        count += r.count;
      });
      onBatch?.(count);
    }
  });
  return { totalLoss, count };
}

/** Mean loss over every counted target of `batches` (NaN when none counted). */
export function meanLoss<B extends BatchShape, M>(model: M & Module, objective: Objective<B, M>, batches: Iterable<B>): number {
  const { totalLoss, count } = sumLoss(model, objective, batches);
  return totalLoss / count;
}
