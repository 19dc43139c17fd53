/**
 * A batch of trees as a plan of steps for the Tree-LSTM: each step is a set of nodes whose
 * children were all computed in earlier steps, run together (one matrix product for the
 * gates of the whole step). `planTrees` groups nodes by height across the batch (step 0:
 * every leaf of every tree; step k: the nodes whose highest child is at step k-1), so a
 * batch of trees costs as many steps as its tallest tree. `nodeAtATime: true` gives one
 * step per node (post-order): the unbatched reference the tests hold the batched run to.
 *
 * Node order of the model's outputs (hidden states, logits, `labels`): step 0's rows, then
 * step 1's, and so on; `roots[t]` is tree t's root in that order.
 *
 * @example
 * const plan = planTrees(trees, (w) => vocab.get(w) ?? UNK);
 * model.forward(plan).loss;       // mean cross-entropy over every node
 */
import { LlmtsError } from '../../util/errors.ts';
import type { Tree } from './reader.ts';

/** One step: leaves (with word ids) or inner nodes (with children from earlier steps). */
export interface TreeStep {
  /** Nodes in the step. */
  n: number;
  /** Leaves: the word id of each node; null for a step of inner nodes. */
  words: Int32Array | null;
  /** Inner nodes, per child (m children, grouped by parent in order): the step that computed it. */
  childStep: Int32Array;
  /** ... and its row in that step. */
  childRow: Int32Array;
  /** ... and its parent's row in this step. */
  childParent: Int32Array;
  /** Children per node when every node of the step has the same number, else 0. */
  arity: number;
}

/** A batch of trees, planned (see the module comment). */
export interface TreePlan {
  steps: TreeStep[];
  /** Gold label of every node, in output order. */
  labels: Int32Array;
  /** Output row of each tree's root. */
  roots: Int32Array;
  /** Output row of every node in post-order, tree after tree (tree t's nodes end at its root). */
  postOrderRows: Int32Array;
  /** Nodes in the batch. */
  nodes: number;
  /** Trees in the batch. */
  trees: number;
}

/** Options of `planTrees`. */
export interface PlanOptions {
  /** One step per node, in post-order (the unbatched reference). */
  nodeAtATime?: boolean;
}

/** Groups the nodes of `trees` into steps; `wordId` maps a leaf's word to its embedding row. */
export function planTrees(trees: readonly Tree[], wordId: (word: string) => number, o: PlanOptions = {}): TreePlan {
  if (trees.length === 0) throw new LlmtsError('E_TREE', 'planTrees: no trees in the batch', { where: 'planTrees', hint: 'give at least one tree' });
  // pass 1: each node's step (height, or its post-order index) and row within the step
  const stepOf = new Map<Tree, number>();
  const rowOf = new Map<Tree, number>();
  const members: Tree[][] = [];
  const post: Tree[] = [];
  let counter = 0;
  const place = (node: Tree, step: number): void => {
    while (members.length <= step) members.push([]);
    stepOf.set(node, step);
    rowOf.set(node, members[step]!.length);
    members[step]!.push(node);
  };
  const visit = (node: Tree): void => {
    let height = 0;
    for (const c of node.children) {
      visit(c);
      height = Math.max(height, stepOf.get(c)! + 1);
    }
    if (node.word === null && node.children.length === 0) {
      throw new LlmtsError('E_TREE', 'planTrees: a node has neither a word nor children', { where: 'planTrees', hint: 'a leaf needs its word' });
    }
    place(node, o.nodeAtATime ? counter++ : height);
    post.push(node);
  };
  for (const t of trees) visit(t);
  // pass 2: per step, the word ids or the children's (step, row); output offsets
  const offsets: number[] = [];
  let nodes = 0;
  for (const m of members) {
    offsets.push(nodes);
    nodes += m.length;
  }
  const labels = new Int32Array(nodes);
  const steps: TreeStep[] = members.map((m, s) => {
    const leaves = m[0]!.children.length === 0;
    const words = leaves ? new Int32Array(m.length) : null;
    const cs: number[] = [], cr: number[] = [], cp: number[] = [];
    let arity = leaves ? 0 : m[0]!.children.length;
    m.forEach((node, r) => {
      labels[offsets[s]! + r] = node.label;
      if (words) {
        words[r] = wordId(node.word!);
        return;
      }
      if (node.children.length !== arity) arity = 0;
      for (const c of node.children) {
        cs.push(stepOf.get(c)!);
        cr.push(rowOf.get(c)!);
        cp.push(r);
      }
    });
    return { n: m.length, words, childStep: Int32Array.from(cs), childRow: Int32Array.from(cr), childParent: Int32Array.from(cp), arity };
  });
  const roots = Int32Array.from(trees, (t) => offsets[stepOf.get(t)!]! + rowOf.get(t)!);
  const postOrderRows = Int32Array.from(post, (t) => offsets[stepOf.get(t)!]! + rowOf.get(t)!);
  return { steps, labels, roots, postOrderRows, nodes, trees: trees.length };
}
