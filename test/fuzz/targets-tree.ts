/**
 * Fuzz target for PTB bracket tree files (`llmts train-tree --data`, `llmts sentiment
 * --ptb`): hand-written SST-style trees (never SST itself), mutated as text or bytes,
 * read with `readPtbTrees`. What is read must print back (`formatPtbTree`) to a line that
 * reads as the same tree, and a Child-Sum Tree-LSTM (any arity) must give finite logits for
 * every node of it; anything but an `LlmtsError` is a finding.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPtbTree, parsePtbTree, planTrees, postOrder, readPtbTrees, treeConfig, treeFamily } from '../../src/models/tree/index.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { mutateBytes, mutateText } from './mutate.ts';
import type { FuzzTarget } from './target.ts';

const SEEDS = [
  '(3 (2 The) (4 (2 Rock) (3 (2 is) (4 (2 destined) (3 great)))))',
  '(1 (2 It) (1 (2 (2 is) (2 n\'t)) (1 (2 a) (1 (2 good) (2 film)))))',
  '(2 (2 8 1\\/2) (2 .))',
  '(4 (3 (2 a) (3 (2 very) (3 fun))) (2 ride))',
].join('\n') + '\n';

const ptbTrees: FuzzTarget = {
  name: 'PTB tree files',
  testInputs: 200,
  async setup(dir) {
    const path = join(dir, 'trees.txt');
    const model = treeFamily.create(treeConfig({ arch: 'child-sum-tree-lstm', vocabSize: 8, embedDim: 4, hiddenSize: 3, dropout: 0 }), { seed: 1 });
    model.eval();
    return (rng) => {
      const m = rng.uniform() < 0.6 ? mutateText(rng, SEEDS, [SEEDS]) : mutateBytes(rng, new TextEncoder().encode(SEEDS));
      return {
        log: m.log,
        run: () => {
          writeFileSync(path, m.value);
          const trees = readPtbTrees(path);
          trees.forEach((t, i) => {
            const line = formatPtbTree(t);
            const back = formatPtbTree(parsePtbTree(line, { file: 'reprinted', line: i + 1 }));
            if (back !== line) throw new Error(`tree ${i} prints as ${line} but reads back as ${back}`);
          });
          if (trees.length === 0) return;
          const plan = planTrees(trees, (w) => w.length % 8);
          if (plan.nodes !== trees.reduce((n, t) => n + postOrder(t).length, 0)) throw new Error('the plan lost nodes');
          const logits = noGrad(() => model.forward(plan, false).logits.toArray());
          if (logits.some((v) => !Number.isFinite(v))) throw new Error('non-finite logits');
        },
      };
    };
  },
};

export const TREE_TARGETS: readonly FuzzTarget[] = [ptbTrees];
