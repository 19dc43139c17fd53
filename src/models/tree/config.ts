/**
 * Configuration of the Tree-LSTM family (Tai, Socher & Manning 2015): word embeddings at
 * the leaves, a Tree-LSTM cell composing children into parents, a softmax classifier on
 * every node's hidden state.
 * - `tree-lstm`: the binary (N-ary, N = 2) cell for binarised constituency trees: one
 *   gate matrix over [h_left; h_right], a forget gate per child.
 * - `child-sum-tree-lstm`: the Child-Sum cell for trees of any arity: gates from the sum
 *   of the children's h, a forget gate per child from its own h.
 *
 * @example
 * const c = treeConfig({ arch: 'tree-lstm', vocabSize: 16000 }); // 300-d words, 150-d states, 5 labels
 */
import { LlmtsError } from '../../util/errors.ts';
import { parseConfigFields, type ConfigSchema } from '../model.ts';

/** The architectures of this family. */
export const TREE_ARCHS: readonly ('tree-lstm' | 'child-sum-tree-lstm')[] = ['tree-lstm', 'child-sum-tree-lstm'];

export interface TreeConfig {
  arch: 'tree-lstm' | 'child-sum-tree-lstm';
  /** Word ids (embedding rows; id 0 is the unknown word by the recipe's convention). */
  vocabSize: number;
  /** Word vector width. */
  embedDim: number;
  /** Cell state / hidden width. */
  hiddenSize: number;
  /** Classes of the node classifier (SST: 5). */
  numLabels: number;
  /** Dropout on the word vectors and on the hidden states before the classifier (train mode). */
  dropout: number;
}

type TreeConfigInput = Pick<TreeConfig, 'arch' | 'vocabSize'> & Partial<TreeConfig>;

/** Every field of a TreeConfig: kind, meaning, bounds. */
export const TREE_SCHEMA: ConfigSchema = {
  arch: { kind: TREE_ARCHS, doc: "'tree-lstm' (binary constituency trees) or 'child-sum-tree-lstm' (any arity)", required: true },
  vocabSize: { kind: 'int', min: 1, max: 1 << 24, doc: 'word ids (embedding rows)', required: true },
  embedDim: { kind: 'int', min: 1, max: 1 << 14, doc: 'word vector width (default 300)' },
  hiddenSize: { kind: 'int', min: 1, max: 1 << 14, doc: 'Tree-LSTM state width (default 150)' },
  numLabels: { kind: 'int', min: 2, max: 1 << 12, doc: 'classes per node (default 5: SST)' },
  dropout: { kind: 'number', min: 0, max: 0.999, doc: 'dropout on word vectors and hidden states, in [0, 1) (default 0.5)' },
};

/** A Tree-LSTM config; unspecified fields get the defaults above. */
export function treeConfig(c: TreeConfigInput): TreeConfig {
  return parseTreeConfig(c, 'model');
}

/** A plain object -> a checked TreeConfig (E_CONFIG errors name `${where}.${field}`). */
export function parseTreeConfig(raw: unknown, where: string): TreeConfig {
  const f = parseConfigFields(raw, TREE_SCHEMA, where) as Partial<TreeConfig>;
  if (!f.arch || f.vocabSize === undefined) {
    throw new LlmtsError('E_CONFIG', `${where}: arch and vocabSize are required`, { where, hint: 'give arch and vocabSize' });
  }
  return { arch: f.arch, vocabSize: f.vocabSize, embedDim: f.embedDim ?? 300, hiddenSize: f.hiddenSize ?? 150, numLabels: f.numLabels ?? 5, dropout: f.dropout ?? 0.5 };
}
