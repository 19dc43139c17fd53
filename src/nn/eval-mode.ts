/**
 * Eval mode for a forward pass that only reads a model: `training` off (dropout is the
 * identity), no autograd tape, and the caller's mode restored afterwards, also when `fn`
 * throws. Used by validation loss (src/eval/loss.ts) and by inference (src/infer/inference-scope.ts).
 *
 * @example
 * const logits = withEvalMode(model, () => model.forward(ids, 1, T).logits.data.slice());
 */
import { noGrad } from '../tensor/index.ts';
import type { Module } from './module.ts';

/** Runs `fn` with `module` in eval mode and without autograd; restores the mode it had. */
export function withEvalMode<R>(module: Module, fn: () => R): R {
  const wasTraining = module.training;
  module.eval();
  try {
    return noGrad(fn);
  } finally {
    module.train(wasTraining);
  }
}
