/**
 * The binary (N-ary, N = 2) Tree-LSTM cell (Tai et al. 2015, section 3.2) for binarised
 * constituency trees. For a node with children (h_l, c_l), (h_r, c_r):
 *   [i, f_l, f_r, o, u] = U [h_l; h_r] + b            (one (n, 2H) x (2H, 5H) product per step)
 *   c = sigmoid(i) * tanh(u) + sigmoid(f_l) * c_l + sigmoid(f_r) * c_r,  h = sigmoid(o) * tanh(c)
 * Each gate has its own matrix per child position (U's blocks), so the cell tells a left
 * child from a right one. Leaves: `leafStates` on W x + b. Parameters: `leaf` (W, b: 3H x
 * D) and `compose` (U, b: 5H x 2H); the forget biases start at 1. `run` does a whole plan
 * as one fused op (binary-plan-op.ts); `leaves` / `inner` are the same cell as graph ops.
 */
import { Linear } from '../../nn/linear.ts';
import { Module } from '../../nn/module.ts';
import { add, gatherRows, mul, reshape, sigmoid, split, type Tensor } from '../../tensor/index.ts';
import { LlmtsError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { binaryTreePlan } from './binary-plan-op.ts';
import { leafStates, outputStates, runSteps, type NodeStates, type TreeCell } from './cell.ts';
import type { TreePlan, TreeStep } from './plan.ts';

export class BinaryTreeCell extends Module implements TreeCell {
  readonly leaf: Linear;
  readonly compose: Linear;
  /** false: `run` goes step by step through `leaves` / `inner` (the reference the fused op is tested and benchmarked against). */
  fused = true;

  constructor(readonly inputSize: number, readonly hiddenSize: number, rng: Rng) {
    super();
    const H = hiddenSize;
    this.leaf = this.addModule('leaf', new Linear(inputSize, 3 * H, { std: 1 / Math.sqrt(inputSize), rng }));
    this.compose = this.addModule('compose', new Linear(2 * H, 5 * H, { std: 1 / Math.sqrt(2 * H), rng }));
    this.compose.bias!.data.fill(1, H, 3 * H); // f_l, f_r
  }

  leaves(x: Tensor): NodeStates {
    return leafStates(this.leaf.forward(x), this.hiddenSize); // x (n, D) -> (n, 3H) gates
  }

  run(plan: TreePlan, x: Tensor): Tensor {
    if (!this.fused) return runSteps(this, plan, x); // (nodes, H)
    return binaryTreePlan(plan, this.leaf.forward(x), this.compose.weight, this.compose.bias!); // x (leaves, D) -> (nodes, H)
  }

  inner(step: TreeStep, h: readonly Tensor[], c: readonly Tensor[]): NodeStates {
    if (step.arity !== 2) {
      throw new LlmtsError('E_TREE', `the binary Tree-LSTM needs exactly 2 children per inner node; a step has ${step.arity === 0 ? 'mixed arities' : `${step.arity} per node`}`, {
        where: 'tree-lstm', hint: "binarise the trees, or use arch 'child-sum-tree-lstm' for any arity" });
    }
    const n = step.n, H = this.hiddenSize;
    // children are stored left, right per parent: 2n rows read as n rows of [left; right]
    const hk = reshape(gatherRows(h, step.childStep, step.childRow), [n, 2 * H]); // (n, 2H)
    const ck = reshape(gatherRows(c, step.childStep, step.childRow), [n, 2 * H]); // (n, 2H)
    const [cl, cr] = split(ck, [H, H]); // (n, H) each
    const [i, fl, fr, o, u] = split(this.compose.forward(hk), [H, H, H, H, H]); // (n, 5H) -> 5 x (n, H)
    const carried = add(mul(sigmoid(fl!), cl!), mul(sigmoid(fr!), cr!)); // (n, H)
    return outputStates(i!, o!, u!, carried);
  }
}
