/**
 * Inference: class probabilities of every node of some trees (eval mode, no graph), in
 * batches planned by level; what `llmts sentiment` and the dev scores read.
 *
 * @example
 * const probs = predictTrees(model, trees, wordId); // probs[t][k]: tree t's k-th node in post-order (root last)
 */
import { withEvalMode } from '../../nn/eval-mode.ts';
import { noGrad, tidy } from '../../tensor/index.ts';
import { planTrees } from './plan.ts';
import { postOrder, type Tree } from './reader.ts';
import type { TreeLstm } from './tree-lstm.ts';

/** Class probabilities of every node of `trees` (eval mode, no graph), per tree in post-order. */
export function predictTrees(model: TreeLstm, trees: readonly Tree[], wordId: (w: string) => number, batchSize = 100): Float32Array[][] {
  const out: Float32Array[][] = [];
  const L = model.config.numLabels;
  withEvalMode(model, () => noGrad(() => {
    for (let b = 0; b < trees.length; b += batchSize) {
      const batch = trees.slice(b, b + batchSize);
      const plan = planTrees(batch, wordId);
      tidy(() => {
        const logits = model.forward(plan, false).logits.data; // (nodes, L)
        let k = 0;
        for (const t of batch) {
          const n = postOrder(t).length;
          out.push(Array.from(plan.postOrderRows.subarray(k, k + n), (r) => softmaxRow(logits, r, L)));
          k += n;
        }
      });
    }
  }));
  return out;
}

/** Softmax of one row of (rows, L) logits. */
function softmaxRow(logits: Float32Array, row: number, L: number): Float32Array {
  const p = new Float32Array(L);
  let max = -Infinity;
  for (let k = 0; k < L; k++) max = Math.max(max, logits[row * L + k]!);
  let s = 0;
  for (let k = 0; k < L; k++) s += p[k] = Math.exp(logits[row * L + k]! - max);
  for (let k = 0; k < L; k++) p[k]! /= s;
  return p;
}

