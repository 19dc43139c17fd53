/**
 * What a Tree-LSTM cell is (`TreeCell`), and the leaf update both cells share: a leaf has
 * no children, so its gates come from its word vector alone,
 *   [i, o, u] = W x + b,  c = sigmoid(i) * tanh(u),  h = sigmoid(o) * tanh(c).
 * Cells work on whole steps of a `TreePlan` (many nodes, one matrix product per gate set);
 * `runSteps` runs a plan through a cell's `leaves` / `inner` graph ops step by step.
 */
import type { Module } from '../../nn/module.ts';
import { add, concat, mul, narrow, sigmoid, split, tanh, type Tensor } from '../../tensor/index.ts';
import type { TreePlan, TreeStep } from './plan.ts';

/** A node's state: hidden h and memory c, (n, H) each. */
export interface NodeStates {
  h: Tensor;
  c: Tensor;
}

/** A Tree-LSTM cell over steps of a plan. */
export interface TreeCell extends Module {
  /** Word vectors of a step's leaves, x (n, D) -> their states. */
  leaves(x: Tensor): NodeStates;
  /** A step of inner nodes, its children's states read from the earlier steps' `h[s]`, `c[s]`. */
  inner(step: TreeStep, h: readonly Tensor[], c: readonly Tensor[]): NodeStates;
  /** Every node's h, (plan.nodes, H) in output order, from the leaves' word vectors x (leaves, D), leaf steps in order. */
  run(plan: TreePlan, x: Tensor): Tensor;
}

/** `TreeCell.run` through `leaves` and `inner`, one step at a time (graph ops per step). */
export function runSteps(cell: TreeCell, plan: TreePlan, x: Tensor): Tensor {
  const h: Tensor[] = [], c: Tensor[] = [];
  let leaf = 0;
  for (const step of plan.steps) {
    const s = step.words
      ? cell.leaves(step.n === x.shape[0] ? x : narrow(x, 0, leaf, step.n)) // (n, D) -> (n, H)
      : cell.inner(step, h, c); // (n, H)
    if (step.words) leaf += step.n;
    h.push(s.h);
    c.push(s.c);
  }
  return h.length === 1 ? h[0]! : concat(h, 0); // (nodes, H)
}

/** The leaf update (module comment) from iou = W x + b, (n, 3H). */
export function leafStates(iou: Tensor, H: number): NodeStates {
  const [i, o, u] = split(iou, [H, H, H]); // (n, H) each
  const c = mul(sigmoid(i!), tanh(u!)); // (n, H)
  const h = mul(sigmoid(o!), tanh(c)); // (n, H)
  return { h, c };
}

/** c = sigmoid(i) * tanh(u) + carried; h = sigmoid(o) * tanh(c): the last lines of both cells. */
export function outputStates(i: Tensor, o: Tensor, u: Tensor, carried: Tensor): NodeStates {
  const c = add(mul(sigmoid(i), tanh(u)), carried); // (n, H)
  const h = mul(sigmoid(o), tanh(c)); // (n, H)
  return { h, c };
}
