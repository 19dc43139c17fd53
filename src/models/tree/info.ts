/**
 * Sizes of a Tree-LSTM from its config alone: parameter shapes, counts, FLOPs per node
 * and memory. For this family a "token" is a tree node and `blockSize` in `InfoOptions`
 * is nodes per tree (default 40, about an SST sentence).
 */
import type { InfoOptions, ModelInfo } from '../model.ts';
import type { TreeConfig } from './config.ts';

/** Name -> shape of every parameter, in construction order (nothing allocated). */
export function treeParameterShapes(c: TreeConfig): Map<string, number[]> {
  const H = c.hiddenSize, D = c.embedDim;
  const cell: [string, number[]][] = c.arch === 'tree-lstm'
    ? [['leaf.weight', [3 * H, D]], ['leaf.bias', [3 * H]], ['compose.weight', [5 * H, 2 * H]], ['compose.bias', [5 * H]]]
    : [['leaf.weight', [3 * H, D]], ['leaf.bias', [3 * H]], ['iou.weight', [3 * H, H]], ['iou.bias', [3 * H]], ['forget.weight', [H, H]], ['forget.bias', [H]]];
  return new Map<string, number[]>([
    ['tree.embeddings.weight', [c.vocabSize, D]],
    ...cell.map(([n, s]): [string, number[]] => [`tree.cell.${n}`, s]),
    ['classifier.weight', [c.numLabels, H]],
    ['classifier.bias', [c.numLabels]],
  ]);
}

/** Parameters, FLOPs per node and memory (see the module comment). */
export function treeInfo(c: TreeConfig, o: InfoOptions = {}): ModelInfo {
  const shapes = [...treeParameterShapes(c)];
  const count = (s: number[]): number => s.reduce((p, d) => p * d, 1);
  const params = shapes.reduce((p, [, s]) => p + count(s), 0);
  const matmulParams = params - c.vocabSize * c.embedDim;
  const H = c.hiddenSize, D = c.embedDim;
  // about half the nodes of a binary tree are leaves (3H x D gates), half inner (cell products); all classified
  const inner = c.arch === 'tree-lstm' ? 5 * H * 2 * H : 3 * H * H + 2 * H * H;
  const forwardFlopsPerToken = 2 * ((3 * H * D + inner) / 2 + c.numLabels * H);
  const nodes = (o.batchSize ?? 1) * (o.blockSize ?? 40);
  // kept per node for backward: gates (5H), c, h, tanh(c) and the gathered children (4H), fp32
  const activationBytes = nodes * 4 * (5 * H + 3 * H + 4 * H + D + c.numLabels);
  return {
    params, matmulParams, forwardFlopsPerToken, trainFlopsPerToken: 3 * forwardFlopsPerToken,
    trainStateBytes: 16 * params, activationBytes, weightBytes: 4 * params, kvCacheBytes: 0,
  };
}
