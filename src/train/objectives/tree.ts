/**
 * Tree classification: a label on every node of every tree (the Stanford Sentiment
 * Treebank's phrase labels), scored by a model over a `TreePlan` (the Tree-LSTM family,
 * src/models/tree). The loss is the mean cross-entropy over all nodes of the batch, as
 * Tai et al. (2015) train; `treeBatches` makes a seeded, resumable batch source of it.
 *
 * @example
 * const batches = treeBatches(trees, wordId, { batchSize: 25, seed: 1 });
 * treeClassify.loss(model, batches.batch(0, 0)).loss.backward();
 */
import type { TreePlan, Tree } from '../../models/tree/index.ts';
import { planTrees } from '../../models/tree/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import { LlmtsError } from '../../util/errors.ts';
import { hash32, Rng } from '../../util/rng.ts';
import type { BatchShape, BatchSource, Objective } from './objective.ts';

/** A batch of planned trees: rows = trees, tokens = nodes. */
export interface TreeBatch extends BatchShape {
  plan: TreePlan;
}

/** What the objective needs of a model: logits and the mean loss over every node of a plan. */
export interface TreeClassifierModel {
  forward(plan: TreePlan, withLoss?: boolean): { logits: Tensor; loss: Tensor | null };
}

/** Mean cross-entropy over the labels of every node (see the module comment). */
export const treeClassify: Objective<TreeBatch, TreeClassifierModel> = {
  name: 'tree-classify',
  loss(model, b) {
    const { loss } = model.forward(b.plan, true); // () mean over all nodes
    if (!loss) throw new LlmtsError('E_MODEL', 'the tree model returned no loss', { where: 'tree-classify objective', hint: 'the model must score its node labels' });
    return { loss, count: b.plan.nodes };
  },
};

/** Planned trees as a batch. */
export function treeBatch(trees: readonly Tree[], wordId: (w: string) => number): TreeBatch {
  const plan = planTrees(trees, wordId);
  return { plan, rows: plan.trees, tokens: plan.nodes };
}

/**
 * Batches of `batchSize` trees: each epoch a fresh permutation of the trees drawn from
 * (seed, epoch), step s reading the s-th slice of it (the last partial slice of an epoch
 * is skipped), so batch(step) depends only on (seed, step) and a resumed run sees the same batches.
 */
export function treeBatches(trees: readonly Tree[], wordId: (w: string) => number, o: { batchSize: number; seed: number }): BatchSource<TreeBatch> & { stepsPerEpoch: number } {
  const perEpoch = Math.floor(trees.length / o.batchSize);
  if (perEpoch < 1) {
    throw new LlmtsError('E_CONFIG', `${trees.length} training trees do not fill one batch of ${o.batchSize}`, { where: 'batchSize', hint: `use a batch size of at most ${trees.length}` });
  }
  let epochCached = -1;
  let order: number[] = [];
  return {
    stepsPerEpoch: perEpoch,
    batch(step: number) {
      const epoch = Math.floor(step / perEpoch);
      if (epoch !== epochCached) {
        order = new Rng(hash32(o.seed, epoch)).shuffle([...trees.keys()]);
        epochCached = epoch;
      }
      const at = (step % perEpoch) * o.batchSize;
      return treeBatch(order.slice(at, at + o.batchSize).map((i) => trees[i]!), wordId);
    },
  };
}
