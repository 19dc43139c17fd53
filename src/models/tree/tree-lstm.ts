/**
 * The Tree-LSTM sentiment model: word embeddings -> a Tree-LSTM cell run over a
 * `TreePlan` step by step (all nodes of a step in one product) -> a linear classifier
 * on every node's hidden state. Parameter names: `tree.embeddings.weight`, `tree.cell.*`
 * (the cell's), `classifier.weight` / `.bias`.
 *
 * @example
 * const model = new TreeLstm(treeConfig({ arch: 'tree-lstm', vocabSize: 100 }), { seed: 1 });
 * const { logits, loss } = model.forward(planTrees(trees, wordId));   // logits (nodes, 5)
 */
import { Dropout } from '../../nn/dropout.ts';
import { Embedding } from '../../nn/embedding.ts';
import { Linear } from '../../nn/linear.ts';
import { Module } from '../../nn/module.ts';
import { crossEntropy, type Tensor } from '../../tensor/index.ts';
import { Rng } from '../../util/rng.ts';
import type { CreateOptions, InfoOptions, Model, ModelInfo } from '../model.ts';
import { BinaryTreeCell } from './binary-cell.ts';
import type { TreeCell } from './cell.ts';
import { ChildSumTreeCell } from './child-sum-cell.ts';
import type { TreeConfig } from './config.ts';
import { treeInfo } from './info.ts';
import type { TreePlan } from './plan.ts';

/** Embeddings + cell: the trunk (what a head on node states sits on). */
export class TreeTrunk extends Module {
  readonly embeddings: Embedding;
  readonly cell: TreeCell;
  readonly drop: Dropout;

  constructor(readonly config: TreeConfig, rng: Rng, seed: number) {
    super();
    this.embeddings = this.addModule('embeddings', new Embedding(config.vocabSize, config.embedDim, { std: 0.1, rng }));
    const Cell = config.arch === 'tree-lstm' ? BinaryTreeCell : ChildSumTreeCell;
    this.cell = this.addModule('cell', new Cell(config.embedDim, config.hiddenSize, rng));
    this.drop = this.addModule('drop', new Dropout(config.dropout, { seed }));
  }

  /** Every node's hidden state, (plan.nodes, H), in the plan's output order. */
  forward(plan: TreePlan): Tensor {
    return this.cell.run(plan, this.drop.forward(this.embeddings.forward(leafWords(plan)))); // (leaves, D) -> (nodes, H)
  }
}

/** The word ids of every leaf step, steps in order. */
function leafWords(plan: TreePlan): Int32Array {
  const leafSteps = plan.steps.filter((s) => s.words !== null);
  if (leafSteps.length === 1) return leafSteps[0]!.words!;
  const out = new Int32Array(leafSteps.reduce((n, s) => n + s.n, 0));
  let at = 0;
  for (const s of leafSteps) { out.set(s.words!, at); at += s.n; }
  return out;
}

/** What `TreeLstm.forward` returns. */
export interface TreeOutput {
  /** (nodes, numLabels), the plan's node order. */
  logits: Tensor;
  /** Mean cross-entropy over every node's label, when asked for. */
  loss: Tensor | null;
}

/** See the module comment. */
export class TreeLstm extends Module implements Model<TreeConfig, TreePlan> {
  readonly trunk: TreeTrunk;
  readonly trunkName = 'tree';
  readonly classifier: Linear;
  readonly drop: Dropout;
  readonly hiddenSize: number;

  constructor(readonly config: TreeConfig, opts: CreateOptions = {}) {
    super();
    const seed = opts.seed ?? 1337;
    const rng = new Rng(seed);
    this.hiddenSize = config.hiddenSize;
    this.trunk = this.addModule('tree', new TreeTrunk(config, rng, seed));
    this.classifier = this.addModule('classifier', new Linear(config.hiddenSize, config.numLabels, { std: 1 / Math.sqrt(config.hiddenSize), rng }));
    this.drop = this.addModule('drop', new Dropout(config.dropout, { seed: seed + 1 }));
  }

  /** Every node's hidden state, (nodes, H). */
  hiddenStates(plan: TreePlan): Tensor {
    return this.trunk.forward(plan);
  }

  /** Logits of every node and, with `withLoss` (default true), the mean loss over all node labels. */
  forward(plan: TreePlan, withLoss = true): TreeOutput {
    const logits = this.classifier.forward(this.drop.forward(this.trunk.forward(plan))); // (nodes, numLabels)
    return { logits, loss: withLoss ? crossEntropy(logits, plan.labels) : null };
  }

  info(o: InfoOptions = {}): ModelInfo {
    return treeInfo(this.config, o);
  }
}
