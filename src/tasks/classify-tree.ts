/**
 * Classification with a Tree-LSTM (a `tree` task model): the model composes a sentence
 * along a tree. `treeFromText` splits a text into words (PTB-style: n't, 's and
 * punctuation apart) and composes them right-branching (a b c) -> (a (b c)), since llm.ts
 * has no parser; `classifyTrees` takes trees as they are (e.g. PTB lines from a parser) and
 * gives the root's label and, with `phrases`, every phrase's label.
 *
 * @example
 * const m = loadTaskModel('runs/sst') as TreeTaskModel;
 * classifyTrees(m, [parsePtbTree('(0 (0 not) (0 good))', { file: '--ptb', line: 1 })], undefined, { phrases: true });
 */
import { formatPtbTree, postOrder, predictTrees, rightBranching, splitWords, treeWords, type Tree } from '../models/tree/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { labelled, type Classification, type ClassifyOptions } from './labels.ts';
import type { TreeTaskModel } from './model-kind.ts';

/** A text as a right-branching tree of its words. */
export function treeFromText(text: string): Tree {
  return rightBranching(splitWords(text));
}

/** Depth of every node (root 0). */
function depths(t: Tree): Map<Tree, number> {
  const d = new Map<Tree, number>();
  const stack: [Tree, number][] = [[t, 0]];
  while (stack.length > 0) {
    const [n, k] = stack.pop()!;
    d.set(n, k);
    for (const c of n.children) stack.push([c, k + 1]);
  }
  return d;
}

/** The nodes of `t` in pre-order (parents before children, left to right). */
function preOrder(t: Tree): Tree[] {
  const out: Tree[] = [];
  const stack: Tree[] = [t];
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

/**
 * The root label of each tree (and with `o.phrases` every phrase's, parents first);
 * `texts[i]` is reported as tree i's text (default: its words joined by spaces). A binary
 * Tree-LSTM given a node without exactly two children is an E_TREE error.
 */
export function classifyTrees(m: TreeTaskModel, trees: readonly Tree[], texts?: readonly string[], o: ClassifyOptions = {}): Classification[] {
  if (m.model.config.arch === 'tree-lstm') {
    const bad = trees.findIndex((t) => postOrder(t).some((n) => n.word === null && n.children.length !== 2));
    if (bad >= 0) {
      throw new LlmtsError('E_TREE', `tree ${bad} has a node without exactly two children; this model is a binary Tree-LSTM`, { where: o.caller ?? 'input', hint: 'binarise the tree (every inner node two children), or pass the text' });
    }
  }
  const out: Classification[] = [];
  const batch = 100;
  for (let s = 0; s < trees.length; s += batch) {
    const chunk = trees.slice(s, s + batch);
    const probs = predictTrees(m.model, chunk, m.wordId);
    chunk.forEach((tree, j) => {
      const nodes = postOrder(tree), p = probs[j]!;
      const text = texts?.[s + j] ?? treeWords(tree).join(' ');
      const c = labelled(text, m.labels, Array.from(p[nodes.length - 1]!), false);
      if (o.phrases) {
        const at = new Map(nodes.map((n, k) => [n, k]));
        const depth = depths(tree);
        const ids = new Map(nodes.map((n, k) => [n, labelled('', m.labels, Array.from(p[k]!), false).id]));
        c.phrases = preOrder(tree).map((n) => {
          const probabilities = Array.from(p[at.get(n)!]!);
          const id = ids.get(n)!;
          return { text: treeWords(n).join(' '), label: m.labels[id]!, id, depth: depth.get(n)!, probabilities };
        });
        c.tree = formatPtbTree(tree, (n) => ids.get(n)!);
      }
      out.push(c);
    });
    o.onProgress?.(out.length, trees.length);
  }
  return out;
}
