/**
 * The Tree-LSTM family (recursive networks over parse trees; Tai, Socher & Manning 2015):
 * archs `tree-lstm` (binary constituency trees) and `child-sum-tree-lstm` (any arity).
 * Its input is a `TreePlan` (plan.ts: a batch of trees grouped into steps by height), its
 * output a label distribution for every node. Trees come from PTB bracket lines
 * (reader.ts). Code outside this folder uses `treeFamily` and the plan/reader functions,
 * never the classes.
 *
 * @example
 * const model = treeFamily.create(treeConfig({ arch: 'tree-lstm', vocabSize: 1000 }), { seed: 1 });
 * model.forward(planTrees(readPtbTrees('train.txt').slice(0, 25), wordId)).loss!.backward();
 */
import type { ModelFamily } from '../model.ts';
import { parseTreeConfig, treeConfig, TREE_ARCHS, TREE_SCHEMA, type TreeConfig } from './config.ts';
import { treeInfo, treeParameterShapes } from './info.ts';
import { TreeLstm } from './tree-lstm.ts';

/** See the module comment. */
export const treeFamily: ModelFamily<TreeConfig, TreeLstm> = {
  name: 'tree',
  archs: TREE_ARCHS,
  schema: TREE_SCHEMA,
  parseConfig: parseTreeConfig,
  create: (config, opts = {}) => new TreeLstm(config, opts),
  describe: (c) => `${c.arch}: ${c.hiddenSize}-d states, ${c.embedDim}-d words, vocab ${c.vocabSize}, ${c.numLabels} labels per node, dropout ${c.dropout}`,
  info: treeInfo,
  parameterShapes: treeParameterShapes,
  exampleConfigs: () => [
    treeConfig({ arch: 'tree-lstm', vocabSize: 12, embedDim: 6, hiddenSize: 5, numLabels: 5, dropout: 0 }),
    treeConfig({ arch: 'child-sum-tree-lstm', vocabSize: 12, embedDim: 4, hiddenSize: 7, numLabels: 3, dropout: 0.1 }),
  ],
};

/** True when `config` is a Tree-LSTM's. */
export function isTreeConfig(config: { arch: string }): config is TreeConfig {
  return (TREE_ARCHS as readonly string[]).includes(config.arch);
}

export { parseTreeConfig, treeConfig, TREE_ARCHS, TREE_SCHEMA, type TreeConfig } from './config.ts';
export { treeInfo, treeParameterShapes } from './info.ts';
export { predictTrees } from './predict.ts';
export { planTrees, type PlanOptions, type TreePlan, type TreeStep } from './plan.ts';
export { formatPtbTree, parsePtbTree, parsePtbTrees, postOrder, readPtbTrees, rightBranching, splitWords, treeWords, type LineSource, type ReadTreeOptions, type Tree } from './reader.ts';
export type { TreeOutput } from './tree-lstm.ts';
export { BinaryTreeCell } from './binary-cell.ts';
