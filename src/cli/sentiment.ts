/**
 * `llmts sentiment`: the sentiment of a sentence from a Tree-LSTM (`llmts train-tree
 * --out`), and with `--tree` the label of every phrase. The model composes along a tree:
 * `--ptb` gives one (a PTB bracket line, e.g. from a constituency parser; its labels are
 * ignored); `--text` is split into words (PTB-style: n't, 's and punctuation apart) and
 * composed right-branching (a b c) -> (a (b c)), since llm.ts has no parser.
 *
 *   llmts sentiment --model M --text "It isn't bad at all." [--tree] [--json]
 */
import { loadTreeModel } from '../io/tree-model-dir.ts';
import { formatPtbTree, parsePtbTree, postOrder, predictTrees, rightBranching, splitWords, treeWords, type Tree } from '../models/tree/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { parseFlags } from './flags.ts';

const HELP = `usage: llmts sentiment --model M (--text TEXT | --ptb TREE) [--tree] [--json]

The sentence's sentiment class and the probability of each class, from a Tree-LSTM
trained with llmts train-tree. The model reads a tree: --ptb gives one; --text is split
into words and composed right-branching (no parser: phrase labels then follow that tree).

options:
  --model M      a directory written by llmts train-tree --out (required)
  --text TEXT    a sentence
  --ptb TREE     a PTB bracket tree instead, e.g. "(0 (0 not) (0 (0 very) (0 good)))" (labels ignored)
  --tree         also the label of every phrase, one line per node, indented by depth
  --json         one JSON object: label, probabilities, and with --tree the phrases
  -h, --help     this help`;

/** One node's prediction. */
interface PhraseLabel {
  text: string;
  label: string;
  id: number;
  probabilities: number[];
  depth: number;
}

/** Runs `llmts sentiment`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('sentiment', argv, {
    model: { type: 'string' }, text: { type: 'string' }, ptb: { type: 'string' }, tree: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts sentiment needs --model', { where: '--model', hint: 'pass a directory written by llmts train-tree --out' });
  if ((values.text === undefined) === (values.ptb === undefined)) {
    throw new LlmtsError('E_USAGE', 'llmts sentiment needs one of --text and --ptb', { where: values.text === undefined ? '--text' : '--ptb', hint: 'e.g. --text "A gorgeous, witty film."' });
  }
  const tree = values.ptb !== undefined
    ? parsePtbTree(values.ptb, { file: '--ptb', line: 1 }, { maxLabel: Number.MAX_SAFE_INTEGER })
    : rightBranching(splitWords(values.text!));
  const { model, labels, wordId } = loadTreeModel(values.model);
  if (model.config.arch === 'tree-lstm' && postOrder(tree).some((n) => n.word === null && n.children.length !== 2)) {
    throw new LlmtsError('E_TREE', 'the --ptb tree has a node without exactly two children; this model is a binary Tree-LSTM', { where: '--ptb', hint: 'binarise the tree (every inner node two children), or pass --text' });
  }
  const probs = predictTrees(model, [tree], wordId)[0]!;
  const nodes = postOrder(tree);
  const depth = depths(tree);
  const phrase = (n: Tree, k: number): PhraseLabel => {
    const p = Array.from(probs[k]!);
    const id = p.indexOf(Math.max(...p));
    return { text: treeWords(n).join(' '), label: labels[id]!, id, probabilities: p, depth: depth.get(n)! };
  };
  const all = nodes.map(phrase);
  const root = all[all.length - 1]!;
  // print parents before children (pre-order): reverse post-order of the mirrored walk
  const preOrder = preOrderIndex(tree, nodes).map((k) => all[k]!);
  if (values.json) {
    const out: Record<string, unknown> = { text: root.text, label: root.label, id: root.id, probabilities: Object.fromEntries(labels.map((l, i) => [l, root.probabilities[i]])) };
    if (values.tree) {
      out.tree = formatPtbTree(tree, (n) => all[nodes.indexOf(n)]!.id);
      out.phrases = preOrder.map(({ text, label, id, depth: d }) => ({ text, label, id, depth: d }));
    }
    console.log(JSON.stringify(out));
    return 0;
  }
  console.log(`${root.label} (${root.id})  ${root.text}`);
  console.log(labels.map((l, i) => `  ${l.padEnd(14)} ${root.probabilities[i]!.toFixed(3)}`).join('\n'));
  if (values.tree) {
    console.log('\nphrases:');
    for (const p of preOrder) console.log(`${'  '.repeat(p.depth + 1)}${String(p.id)} ${p.label.padEnd(14)} ${p.text}`);
    console.log(`\n${formatPtbTree(tree, (n) => all[nodes.indexOf(n)]!.id)}`);
  }
  return 0;
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

/** Indices into `post` (post-order) of the nodes in pre-order. */
function preOrderIndex(t: Tree, post: readonly Tree[]): number[] {
  const at = new Map(post.map((n, i) => [n, i]));
  const out: number[] = [];
  const stack: Tree[] = [t];
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(at.get(n)!);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}
