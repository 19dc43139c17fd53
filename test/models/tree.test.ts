// Tree-LSTM family (src/models/tree): float64 gradient checks of both cells through the
// whole model, level batching against one node at a time, a tiny tree set learned
// through the shared training loop, and the PTB tree reader on good and malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, setBackend } from '../../src/backend/index.ts';
import { planTrees, parsePtbTree, parsePtbTrees, postOrder, rightBranching, formatPtbTree, treeConfig, treeFamily } from '../../src/models/tree/index.ts';
import { AdamW } from '../../src/optim/index.ts';
import { noGrad, withFloat64 } from '../../src/tensor/index.ts';
import { trainLoop } from '../../src/train/loop.ts';
import { treeBatch, treeClassify } from '../../src/train/objectives/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad, sampleIndices } from '../tensor/helpers.ts';

setBackend(referenceBackend());

const TEXT = [
  '(3 (2 The) (4 (2 Rock) (3 (2 is) (4 great))))',
  '(1 (2 not) (3 good))',
  '(0 (1 (2 a) (1 dull)) (0 (2 , ) (0 (1 boring) (2 film))))',
  '(4 (2 great) (4 (3 fun) (4 (2 ,) (4 wonderful))))',
].join('\n');
const trees = parsePtbTrees(TEXT, 'tiny.txt');
const words = new Map<string, number>();
const wordId = (w: string): number => {
  if (!words.has(w)) words.set(w, words.size + 1);
  return words.get(w)!;
};
for (const t of trees) postOrder(t).forEach((n) => n.word !== null && wordId(n.word));
// a tree of any arity (a 3-way and a unary node) for the Child-Sum cell
const wide = parsePtbTree('(3 (2 (2 The) (2 Rock) (3 rocks)) (4 (4 great)))', { file: 'wide', line: 1 });

for (const arch of ['tree-lstm', 'child-sum-tree-lstm'] as const) {
  const batch = arch === 'tree-lstm' ? trees.slice(0, 3) : [...trees.slice(0, 2), wide];
  test(`${arch}: every parameter's gradient equals float64 central differences (loss on every node)`, () => {
    withFloat64(() => {
      const model = treeFamily.create(treeConfig({ arch, vocabSize: 16, embedDim: 4, hiddenSize: 3, dropout: 0 }), { seed: 5 });
      // larger weights than the init so that every gate is far from its linear regime
      const rng = new Rng(9);
      for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.8;
      const plan = planTrees(batch, wordId);
      model.zeroGrad();
      model.forward(plan).loss!.backward();
      const f = (): number => noGrad(() => model.forward(plan).loss!.item());
      for (const [name, p] of model.namedParameters()) {
        const idx = sampleIndices(rng, p.size, 24);
        const num = numericGrad(f, p.data, 1e-6, idx);
        const got = Float64Array.from(p.grad!, (g, i) => (idx.includes(i) ? g : NaN));
        assertClose(got, num, 1e-8, 1e-6, `${arch} ${name}`);
      }
    });
  });

  test(`${arch}: batched by level gives the numbers of one node at a time`, () => {
    const model = treeFamily.create(treeConfig({ arch, vocabSize: 16, embedDim: 6, hiddenSize: 5, dropout: 0 }), { seed: 3 });
    const byLevel = planTrees(batch, wordId);
    const byNode = planTrees(batch, wordId, { nodeAtATime: true });
    assert.equal(byLevel.steps.length, 4, 'as many steps as the tallest tree has levels');
    assert.equal(byNode.steps.length, byNode.nodes);
    const a = noGrad(() => model.forward(byLevel).logits.toArray());
    const b = noGrad(() => model.forward(byNode).logits.toArray());
    // same node, different output order: compare through the post-order rows
    const reorder = (x: number[], rows: Int32Array): number[] => Array.from(rows).flatMap((r) => x.slice(r * 5, r * 5 + 5));
    assertClose(reorder(a, byLevel.postOrderRows), reorder(b, byNode.postOrderRows), 1e-6, 1e-5, 'logits');
    assert.ok(a.some((v) => Math.abs(v) > 1e-3), 'logits are not all zero');
  });

  test(`${arch}: learns the labels of every node of a tiny tree set through the shared loop`, async () => {
    const model = treeFamily.create(treeConfig({ arch, vocabSize: 16, embedDim: 8, hiddenSize: 12, dropout: 0 }), { seed: 1 });
    const b = treeBatch(batch, wordId);
    const settings = { maxSteps: 120, gradAccum: 1, gradClip: 5, seed: 1, lr: 0.03, warmupSteps: 0, logInterval: 1000, evalInterval: 0, ckptInterval: 0 };
    const state = { step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null };
    const r = await trainLoop({
      model, objective: treeClassify, batches: { batch: () => b }, optimizer: new AdamW(model.parameters(), { lr: 0.03, weightDecay: 0 }),
      schedule: { maxLr: 0.03, minLr: 0.03, warmupSteps: 0, totalSteps: 120, decay: 'constant' }, settings, state, log: () => {},
    });
    assert.ok(r.losses[0]! > 1, `starts near ln 5: ${r.losses[0]}`);
    assert.ok(r.losses[r.losses.length - 1]! < 0.05, `ends near 0: ${r.losses[r.losses.length - 1]}`);
    const logits = noGrad(() => model.forward(b.plan).logits.toArray());
    for (let n = 0; n < b.plan.nodes; n++) {
      const row = logits.slice(n * 5, n * 5 + 5);
      assert.equal(row.indexOf(Math.max(...row)), b.plan.labels[n], `node ${n}`);
    }
  });
}

test('tree-lstm refuses a tree that is not binary, naming the fix', () => {
  const model = treeFamily.create(treeConfig({ arch: 'tree-lstm', vocabSize: 16, embedDim: 4, hiddenSize: 3 }), { seed: 1 });
  assert.throws(() => model.forward(planTrees([wide], wordId)), /exactly 2 children.*child-sum-tree-lstm/s);
});

test('the PTB reader: leaves, labels, post-order rows, a leaf of two tokens, blank lines, CRLF', () => {
  const t = parsePtbTrees('\r\n(3 (2 The) (4 (2 8 1\\/2) (4 great)))\r\n\n', 'f.txt');
  assert.equal(t.length, 1);
  assert.deepEqual(postOrder(t[0]!).map((n) => [n.label, n.word]), [[2, 'The'], [2, '8 1\\/2'], [4, 'great'], [4, null], [3, null]]);
  assert.equal(formatPtbTree(trees[0]!), '(3 (2 The) (4 (2 Rock) (3 (2 is) (4 great))))');
  assert.equal(formatPtbTree(rightBranching(['a', 'b', 'c'])), '(0 (0 a) (0 (0 b) (0 c)))');
  const plan = planTrees(trees, wordId);
  assert.deepEqual(Array.from(plan.roots), Array.from(plan.postOrderRows.filter((_, i) => [6, 9, 18, 25].includes(i))));
  assert.deepEqual(Array.from(plan.roots).map((r) => plan.labels[r]), [3, 1, 0, 4]);
});

test('the PTB reader: malformed lines are E_TREE errors naming file, line and column', () => {
  const bad = (text: string, re: RegExp, where: string): void => assert.throws(() => parsePtbTrees(text, 'sst/train.txt'), (e: unknown) => {
    assert.ok(e instanceof LlmtsError, String(e));
    assert.equal(e.code, 'E_TREE');
    assert.equal(e.where, where);
    assert.match(e.message, re);
    assert.ok(e.hint && e.hint.length > 0);
    return true;
  });
  const ok = '(1 (2 not) (3 good))\n';
  bad(`${ok}(1 (2 not) (3 good)\n`, /unclosed '\(' opened at column 1/, 'sst/train.txt:2:20');
  bad(`${ok}(1 (2 not) (3 good)))\n`, /text after the tree's closing '\)'/, 'sst/train.txt:2:21');
  bad('(x (2 not) (3 good))', /label "x" is not an integer 0-4/, 'sst/train.txt:1:2');
  bad('(7 (2 not) (3 good))', /label "7" is not an integer 0-4/, 'sst/train.txt:1:2');
  bad('((2 not) (3 good))', /expected a label after '\(' but found "\("/, 'sst/train.txt:1:2');
  bad('(1 (2 not) stray (3 good))', /unexpected word "stray" after a subtree/, 'sst/train.txt:1:12');
  bad('(1 (2) (3 good))', /empty node/, 'sst/train.txt:1:4');
  bad('not a tree', /expected '\(' but found "n"/, 'sst/train.txt:1:1');
  bad(`${ok}${ok}(1`, /unclosed/, 'sst/train.txt:3:3');
  bad('(1 (2 a)) (2 b)', /text after the tree/, 'sst/train.txt:1:11');
});
