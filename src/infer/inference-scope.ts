/**
 * Running a model for inference: eval mode, no autograd, and every tensor made inside
 * freed at the end (`tidy`); the model's train/eval mode is restored afterwards. Shared by
 * prefill (engine, scheduler) and embeddings.
 *
 * @example
 * inferenceScope(model, () => {
 *   const h = model.hiddenStates({ ids, B: 1, T }).data; // (1, T, C): read it here, it is freed after
 * });
 */
import { withEvalMode } from '../nn/eval-mode.ts';
import type { Module } from '../nn/module.ts';
import { tidy } from '../tensor/index.ts';

/** Runs `fn` with `model` in eval mode, without autograd, inside a `tidy` scope; restores the mode. */
export function inferenceScope(model: Module, fn: () => void): void {
  withEvalMode(model, () => tidy(fn));
}
