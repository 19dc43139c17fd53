// The contrastive loss (src/train/contrastive-loss.ts) and its batches (contrastive.ts):
// the value on a case worked by hand, the backward against float64 finite differences
// (with and without the symmetric term and group masks), the masked mean pooling, and
// the seeded batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, setBackend } from '../../src/backend/index.ts';
import { Tensor, noGrad, withFloat64 } from '../../src/tensor/index.ts';
import { infoNce, type InfoNceOptions } from '../../src/train/contrastive-loss.ts';
import { meanPool, pairBatches, type IdPair } from '../../src/train/contrastive.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad, randn64 } from '../tensor/helpers.ts';

setBackend(referenceBackend());

test('infoNce on two pairs equals the loss worked by hand', () => {
  // q0 = (1, 0), q1 = (0, 2) -> (0, 1); d0 = (3, 0) -> (1, 0), d1 = (1, 1) -> (1, 1)/sqrt2
  const q = Tensor.fromArray([1, 0, 0, 2], [2, 2]), d = Tensor.fromArray([3, 0, 1, 1], [2, 2]);
  const t = 0.5, r = Math.SQRT1_2;
  const S = [[1 / t, r / t], [0, r / t]]; // S_ij = qn_i . dn_j / t
  const lse = (xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
  const rowLoss = (lse(S[0]!) - S[0]![0]! + lse(S[1]!) - S[1]![1]!) / 2;
  const colLoss = (lse([S[0]![0]!, S[1]![0]!]) - S[0]![0]! + lse([S[0]![1]!, S[1]![1]!]) - S[1]![1]!) / 2;
  assert.ok(Math.abs(infoNce(q, d, { temperature: t, symmetric: false }).item() - rowLoss) < 1e-6);
  assert.ok(Math.abs(infoNce(q, d, { temperature: t }).item() - (rowLoss + colLoss) / 2) < 1e-6);
  // one group: each row's only candidate is its own pair -> loss 0
  assert.ok(Math.abs(infoNce(q, d, { temperature: t, groups: Int32Array.from([7, 7]) }).item()) < 1e-7);
});

function gradcheck(B: number, C: number, o: InfoNceOptions, seed: number): void {
  const rng = new Rng(seed);
  withFloat64(() => {
    const q = Tensor.fromArray(randn64(rng, B * C), [B, C], { requiresGrad: true });
    const d = Tensor.fromArray(randn64(rng, B * C), [B, C], { requiresGrad: true });
    const loss = infoNce(q, d, o);
    loss.backward();
    for (const x of [q, d]) {
      const num = numericGrad(() => noGrad(() => infoNce(q, d, o).item()), x.data, 1e-5);
      assertClose(x.grad!, num, 1e-7, 1e-5, `infoNce ${JSON.stringify({ ...o, groups: o.groups ? [...o.groups] : null })}`);
    }
  });
}

test('infoNce backward equals float64 finite differences (both directions, groups, temperatures)', () => {
  gradcheck(4, 3, { temperature: 0.5, symmetric: false }, 1);
  gradcheck(5, 4, { temperature: 0.1 }, 2);
  gradcheck(6, 2, { temperature: 1, groups: Int32Array.from([0, 1, 0, 2, 3, 1]) }, 3);
});

test('infoNce refuses mismatched shapes and a bad temperature with LlmtsErrors', () => {
  const a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 3]);
  assert.throws(() => infoNce(a, b), { code: 'E_SHAPE' });
  assert.throws(() => infoNce(a, a, { temperature: 0 }), { code: 'E_CONFIG' });
  assert.throws(() => infoNce(a, a, { groups: Int32Array.from([1]) }), { code: 'E_SHAPE' });
});

test('meanPool averages only the real tokens of each row', () => {
  const h = Tensor.fromArray([1, 2, 3, 4, 100, 100, /* row 1 */ 5, 6, 7, 8, 9, 10], [2, 3, 2]); // (B, T, C)
  assert.deepEqual([...meanPool(h, [2, 3]).data], [2, 3, 7, 8]);
});

test('pairBatches: seeded, every pair once per epoch, sets interleaved by the pattern', () => {
  const pairs: IdPair[] = Array.from({ length: 10 }, (_, i) => ({ query: [2, 10 + i, 3], doc: [2, 50 + i, 51, 3], group: i }));
  const other: IdPair[] = [{ query: [2, 99, 3], doc: [2, 98, 3], group: 0 }, { query: [2, 97, 3], doc: [2, 96, 3], group: 1 }];
  const src = pairBatches([{ pairs, batchSize: 5 }, { pairs: other, batchSize: 4 }], { seed: 3, padId: 0, pattern: [0, 0, 1] });
  const again = pairBatches([{ pairs, batchSize: 5 }, { pairs: other, batchSize: 4 }], { seed: 3, padId: 0, pattern: [0, 0, 1] });
  const b0 = src.batch(0, 0), b1 = src.batch(1, 0), b2 = src.batch(2, 0);
  assert.deepEqual([...b0.groups, ...b1.groups].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'steps 0 and 1 cover set 0 once');
  assert.equal(b2.rows, 2, 'step 2 is set 1 (batch cut to its 2 pairs)');
  assert.deepEqual([...again.batch(1, 0).groups], [...b1.groups], 'the same seed gives the same batches');
  assert.equal(b0.doc.T, 4);
  assert.deepEqual([...b0.query.attentionMask.subarray(0, 3)], [1, 1, 1]);
});
