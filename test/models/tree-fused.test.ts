// The binary Tree-LSTM's fused whole-plan op (src/models/tree/binary-plan-op.ts) against the
// same cell run as per-step graph ops (`cell.fused = false`): the same logits and loss to the
// last bit by level (every intermediate is rounded to float32 as the graph ops store it; one
// node at a time, the fused run's leaves share one W x GEMM where the graph ops run one
// single-row GEMM per leaf, whose kernel may round differently, so there within 1e-6), and the same
// gradients up to float32 summation order (the fused backward sums dU in one GEMM over every
// inner node, the graph ops in one GEMM per level).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryTreeCell, planTrees, treeConfig, treeFamily, type Tree } from '../../src/models/tree/index.ts';
import type { TreeLstm } from '../../src/models/tree/tree-lstm.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose } from '../tensor/helpers.ts';

function randomTree(rng: Rng, n: number): Tree {
  const label = rng.int(5);
  if (n === 1) return { label, word: `w${rng.int(30)}`, children: [] };
  const left = 1 + rng.int(n - 1);
  return { label, word: null, children: [randomTree(rng, left), randomTree(rng, n - left)] };
}

const rng = new Rng(11);
const trees = Array.from({ length: 6 }, () => randomTree(rng, 1 + rng.int(12)));
const wordId = (w: string): number => Number(w.slice(1));

function run(model: TreeLstm, fused: boolean, nodeAtATime: boolean): { logits: number[]; loss: number; grads: Map<string, Float32Array> } {
  (model.trunk.cell as BinaryTreeCell).fused = fused;
  model.zeroGrad();
  const out = model.forward(planTrees(trees, wordId, { nodeAtATime }));
  const logits = out.logits.toArray();
  out.loss!.backward();
  const grads = new Map([...model.namedParameters()].map(([name, p]) => [name, Float32Array.from(p.grad!)]));
  return { logits, loss: out.loss!.item(), grads };
}

for (const nodeAtATime of [false, true]) {
  test(`binary Tree-LSTM, ${nodeAtATime ? 'one node at a time' : 'by level'}: the fused op gives the graph ops' logits and gradients`, () => {
    const model = treeFamily.create(treeConfig({ arch: 'tree-lstm', vocabSize: 30, embedDim: 5, hiddenSize: 7, dropout: 0 }), { seed: 4 }) as TreeLstm;
    const r = new Rng(2);
    for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = r.normal() * 0.7; // gates away from their linear regime
    const ref = run(model, false, nodeAtATime);
    const got = run(model, true, nodeAtATime);
    if (nodeAtATime) assertClose(got.logits, ref.logits, 1e-6, 1e-5, 'logits');
    else {
      assert.deepEqual(got.logits, ref.logits);
      assert.equal(got.loss, ref.loss);
    }
    for (const [name, g] of ref.grads) {
      assert.ok(g.some((v) => v !== 0), `${name}: a gradient flows`);
      assertClose(Array.from(got.grads.get(name)!), Array.from(g), 1e-6, 1e-5, name);
    }
  });
}
