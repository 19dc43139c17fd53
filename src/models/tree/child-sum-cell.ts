/**
 * The Child-Sum Tree-LSTM cell (Tai et al. 2015, section 3.1) for trees of any arity and
 * unordered children. For a node with children k = 1..K:
 *   h~ = sum_k h_k;  [i, o, u] = U h~ + b;  f_k = sigmoid(U_f h_k + b_f)
 *   c = sigmoid(i) * tanh(u) + sum_k f_k * c_k,  h = sigmoid(o) * tanh(c)
 * Per step: gather every child's (h, c) (m rows), sum them per parent (`scatterAddRows`),
 * one product for [i, o, u] over the n parents and one for the m forget gates. Leaves:
 * `leafStates` on W x + b. Parameters: `leaf` (3H x D), `iou` (3H x H), `forget` (H x H);
 * the forget bias starts at 1.
 */
import { Linear } from '../../nn/linear.ts';
import { Module } from '../../nn/module.ts';
import { gatherRows, mul, scatterAddRows, sigmoid, split, type Tensor } from '../../tensor/index.ts';
import type { Rng } from '../../util/rng.ts';
import { leafStates, outputStates, runSteps, type NodeStates, type TreeCell } from './cell.ts';
import type { TreePlan, TreeStep } from './plan.ts';

export class ChildSumTreeCell extends Module implements TreeCell {
  readonly leaf: Linear;
  readonly iou: Linear;
  readonly forget: Linear;

  constructor(readonly inputSize: number, readonly hiddenSize: number, rng: Rng) {
    super();
    const H = hiddenSize;
    this.leaf = this.addModule('leaf', new Linear(inputSize, 3 * H, { std: 1 / Math.sqrt(inputSize), rng }));
    this.iou = this.addModule('iou', new Linear(H, 3 * H, { std: 1 / Math.sqrt(H), rng }));
    this.forget = this.addModule('forget', new Linear(H, H, { std: 1 / Math.sqrt(H), rng }));
    this.forget.bias!.data.fill(1);
  }

  leaves(x: Tensor): NodeStates {
    return leafStates(this.leaf.forward(x), this.hiddenSize); // x (n, D) -> (n, 3H) gates
  }

  run(plan: TreePlan, x: Tensor): Tensor {
    return runSteps(this, plan, x); // x (leaves, D) -> (nodes, H)
  }

  inner(step: TreeStep, h: readonly Tensor[], c: readonly Tensor[]): NodeStates {
    const n = step.n, H = this.hiddenSize;
    const hk = gatherRows(h, step.childStep, step.childRow); // (m, H)
    const ck = gatherRows(c, step.childStep, step.childRow); // (m, H)
    const hSum = scatterAddRows(hk, step.childParent, n); // (n, H)
    const [i, o, u] = split(this.iou.forward(hSum), [H, H, H]); // (n, 3H) -> 3 x (n, H)
    const f = sigmoid(this.forget.forward(hk)); // (m, H)
    const carried = scatterAddRows(mul(f, ck), step.childParent, n); // (n, H)
    return outputStates(i!, o!, u!, carried);
  }
}
