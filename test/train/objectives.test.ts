import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationHead, createModel, gpt2Config, tokenClassificationHead, withHead } from '../../src/models/index.ts';
import { Embedding } from '../../src/nn/embedding.ts';
import { Linear } from '../../src/nn/linear.ts';
import { Module } from '../../src/nn/module.ts';
import { AdamW } from '../../src/optim/index.ts';
import { add, attention, crossEntropy, matmul, mean, noGrad, reshape, Tensor } from '../../src/tensor/index.ts';
import { meanLoss } from '../../src/eval/loss.ts';
import { trainLoop, type LoopSettings } from '../../src/train/loop.ts';
import { causalLm, IGNORE, sftBatch, type CausalLmBatch } from '../../src/train/objectives/causal-lm.ts';
import { maskedLm, maskedLmBatches, maskTokens } from '../../src/train/objectives/masked-lm.ts';
import { classify, classifyBatch } from '../../src/train/objectives/classify.ts';
import { seq2seq, seq2seqBatch, type Seq2SeqBatch, type Seq2SeqModel } from '../../src/train/objectives/seq2seq.ts';
import { Rng } from '../../src/util/rng.ts';

const V = 20;

/** -log softmax(row)[target] in float64. */
function nll(logits: Float32Array, row: number, target: number): number {
  const x = logits.subarray(row * V, (row + 1) * V);
  const max = Math.max(...x);
  let s = 0;
  for (const v of x) s += Math.exp(v - max);
  return Math.log(s) + max - x[target]!;
}

/** Mean NLL over the rows whose target is not IGNORE, from logits computed without targets. */
function expectedLoss(logits: Float32Array, targets: Int32Array): number {
  let total = 0, n = 0;
  targets.forEach((t, i) => {
    if (t === IGNORE) return;
    total += nll(logits, i, t);
    n++;
  });
  return total / n;
}

const settings = (maxSteps: number, lr = 1e-2): LoopSettings => ({ maxSteps, gradAccum: 1, gradClip: 1, seed: 3, lr, warmupSteps: 0, logInterval: 1000, evalInterval: 0, ckptInterval: 0 });
const newState = () => ({ step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null });

test('sftBatch: position t predicts ids[t+1] only where the mask marks it; padding and prompt are ignored', () => {
  const b = sftBatch([{ ids: [1, 7, 8, 9, 2], mask: [0, 0, 1, 1, 1] }, { ids: [1, 5, 6], mask: [0, 1, 1] }], { T: 6, padId: 0 });
  assert.deepEqual([...b.ids], [1, 7, 8, 9, 0, 0, 1, 5, 0, 0, 0, 0]);
  assert.deepEqual([...b.targets], [IGNORE, 8, 9, 2, IGNORE, IGNORE, 5, 6, IGNORE, IGNORE, IGNORE, IGNORE]);
  assert.equal(b.rows, 2);
  assert.throws(() => sftBatch([{ ids: [1, 2, 3], mask: [0, 1] }], { T: 4, padId: 0 }), /3 ids but 2 mask entries/);
  assert.throws(() => sftBatch([{ ids: [1, 2, 3, 4, 5, 6], mask: [0, 1, 1, 1, 1, 1] }], { T: 4, padId: 0 }), /at most 5/);
});

test('causal LM with an ignore mask: the loss is the mean over the unmasked targets only', () => {
  const model = createModel(gpt2Config({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 2 });
  const batch = sftBatch([{ ids: [1, 4, 9, 3, 7, 2], mask: [0, 0, 0, 1, 1, 1] }, { ids: [1, 5, 6, 8], mask: [0, 0, 1, 1] }], { T: 8, padId: 0 });
  const logits = noGrad(() => model.forward(batch.ids, batch.rows, batch.T).logits.data.slice());
  const r = causalLm.loss(model, batch);
  assert.equal(r.count, 5);
  assert.ok(Math.abs(r.loss.item() - expectedLoss(logits, batch.targets)) < 1e-5, `${r.loss.item()} vs ${expectedLoss(logits, batch.targets)}`);
  // scoring the prompt as well changes the loss (the mask is what kept it out)
  const all: CausalLmBatch = { ...batch, targets: Int32Array.from(batch.targets, (t, i) => (t === IGNORE && i % 8 < 5 ? batch.ids[i + 1]! : t)) };
  assert.notEqual(causalLm.loss(model, all).loss.item(), r.loss.item());
});

test('maskTokens: 15% of non-special positions chosen; 80% [MASK], 10% random, 10% kept; deterministic by seed', () => {
  const rng = new Rng(9);
  const N = 200_000, maskId = 3, special = new Set([0, 1]);
  const ids = Int32Array.from({ length: N }, () => rng.int(1000));
  const a = maskTokens(ids, { maskId, vocabSize: 1000, specialIds: special }, new Rng(1));
  const b = maskTokens(ids, { maskId, vocabSize: 1000, specialIds: special }, new Rng(1));
  assert.deepEqual(a, b);
  let eligible = 0, chosen = 0, masked = 0, kept = 0;
  for (let i = 0; i < N; i++) {
    if (special.has(ids[i]!)) {
      assert.equal(a.targets[i], IGNORE, 'special ids are never chosen');
      assert.equal(a.ids[i], ids[i]);
      continue;
    }
    eligible++;
    if (a.targets[i] === IGNORE) {
      assert.equal(a.ids[i], ids[i], 'an unchosen position keeps its id');
      continue;
    }
    chosen++;
    assert.equal(a.targets[i], ids[i], 'the target is the original id');
    if (a.ids[i] === maskId && ids[i] !== maskId) masked++;
    else if (a.ids[i] === ids[i]) kept++;
  }
  const near = (x: number, want: number, tol: number, what: string) => assert.ok(Math.abs(x - want) < tol, `${what}: ${x}`);
  near(chosen / eligible, 0.15, 0.005, 'chosen');
  near(masked / chosen, 0.8, 0.01, '[MASK]');
  near(kept / chosen, 0.1, 0.01, 'kept'); // a random replacement equal to the original is counted as kept (0.01%)
  assert.throws(() => maskTokens(ids, { maskId, vocabSize: 1000, prob: 0 }, new Rng(1)), /outside \(0, 1\]/);
});

test('maskedLmBatches: the masks of a step are a pure function of (seed, step, micro)', () => {
  const src = { batch: (step: number) => ({ ids: Int32Array.from({ length: 64 }, (_, i) => (i * 7 + step) % V), rows: 4, T: 16, tokens: 64 }) };
  const a = maskedLmBatches(src, { seed: 5, maskId: 2, vocabSize: V });
  const b = maskedLmBatches(src, { seed: 5, maskId: 2, vocabSize: V });
  assert.deepEqual(a.batch(3, 1), b.batch(3, 1));
  assert.notDeepEqual(a.batch(3, 0).targets, a.batch(3, 1).targets);
});

/** A one-layer bidirectional toy encoder: every position attends to every other (no causal mask). */
class ToyEncoder extends Module {
  readonly emb: Embedding;
  readonly head: Linear;
  constructor(seed: number) {
    super();
    const rng = new Rng(seed);
    this.emb = this.addModule('emb', new Embedding(V, 32, { std: 0.3, rng }));
    this.head = this.addModule('head', new Linear(32, V, { rng, std: 0.1 }));
  }

  forward(ids: Int32Array, B: number, T: number, targets?: Int32Array | null): { logits: Tensor; loss: Tensor | null } {
    const x = this.emb.forward(ids, [B, T]); // (B, T, C)
    const q = reshape(x, [B, 1, T, 32]); // (B, 1, T, C)
    const a = reshape(attention(q, q, q, { causal: false }), [B, T, 32]); // (B, T, C)
    const logits = this.head.forward(add(x, a)); // (B, T, V)
    return { logits, loss: targets ? crossEntropy(logits, targets) : null };
  }
}

test('masked LM: the loss is the mean over the chosen positions; a bidirectional toy learns it in the one training loop', async () => {
  // each row repeats one random token: a masked position is given away by the others, before and after it
  const pairs = (step: number, micro: number) => {
    const rng = new Rng(step * 31 + micro);
    const ids = new Int32Array(8 * 16);
    for (let r = 0; r < 8; r++) ids.fill(4 + rng.int(V - 4), r * 16, (r + 1) * 16);
    return { ids, rows: 8, T: 16, tokens: 128 };
  };
  const batches = maskedLmBatches({ batch: pairs }, { seed: 1, maskId: 3, vocabSize: V, prob: 0.2, specialIds: new Set([0]) });
  const model = new ToyEncoder(4);
  const b = batches.batch(0, 0);
  const logits = noGrad(() => model.forward(b.ids, b.rows, b.T).logits.data.slice());
  const r = maskedLm.loss(model, b);
  assert.equal(r.count, b.targets.filter((t) => t !== IGNORE).length);
  assert.ok(Math.abs(r.loss.item() - expectedLoss(logits, b.targets)) < 1e-5);
  const val = [batches.batch(1000, 0), batches.batch(1001, 0)].map((x) => ({ ...x, ids: x.ids.slice(), targets: x.targets.slice() }));
  const before = meanLoss(model, maskedLm, val);
  const opt = new AdamW(model.parameters(), { lr: 2e-2, weightDecay: 0 });
  const out = await trainLoop({ model, objective: maskedLm, batches, optimizer: opt, schedule: { maxLr: 2e-2, minLr: 2e-2, warmupSteps: 0, totalSteps: 150, decay: 'constant' },
    settings: settings(150, 2e-2), state: newState(), log: () => {} });
  assert.equal(out.stopped, 'done');
  const after = meanLoss(model, maskedLm, val);
  assert.ok(before > 2.5 && after < 0.5, `masked-LM validation loss ${before} -> ${after} (ln ${V - 4} = ${Math.log(V - 4).toFixed(2)} is guessing)`);
});

/** A toy encoder-decoder: decoder position t sees its own input token and the mean of the source embeddings. */
class ToySeq2Seq extends Module implements Seq2SeqModel {
  readonly src: Embedding;
  readonly tgt: Embedding;
  readonly head: Linear;
  constructor(seed: number) {
    super();
    const rng = new Rng(seed);
    this.src = this.addModule('src', new Embedding(V, 32, { std: 0.3, rng }));
    this.tgt = this.addModule('tgt', new Embedding(V, 32, { std: 0.3, rng }));
    this.head = this.addModule('head', new Linear(32, V, { rng, std: 0.1 }));
  }

  forwardSeq2Seq(b: Seq2SeqBatch): { logits: Tensor; loss: Tensor | null } {
    const ctx = mean(this.src.forward(b.source, [b.rows, b.S]), 1); // (B, C)
    const y = this.tgt.forward(b.decoderIds, [b.rows, b.T]); // (B, T, C)
    const h = add(y, matmul(Tensor.ones([b.rows, b.T, 1]), reshape(ctx, [b.rows, 1, 32]))); // (B, T, C): ctx on every position
    const logits = this.head.forward(h); // (B, T, V)
    return { logits, loss: crossEntropy(logits, b.labels) };
  }
}

test('seq2seq: teacher forcing shifts the target right, pads are ignored, and the loss is the mean over real target tokens', () => {
  const b = seq2seqBatch([{ source: [4, 5, 6], target: [7, 8] }, { source: [9], target: [10, 11, 12] }], { S: 4, T: 4, padId: 0, startId: 1, endId: 2 });
  assert.deepEqual([...b.source], [4, 5, 6, 0, 9, 0, 0, 0]);
  assert.deepEqual([...b.sourceMask], [1, 1, 1, 0, 1, 0, 0, 0]);
  assert.deepEqual([...b.decoderIds], [1, 7, 8, 0, 1, 10, 11, 12]);
  assert.deepEqual([...b.labels], [7, 8, 2, IGNORE, 10, 11, 12, 2]);
  assert.throws(() => seq2seqBatch([{ source: [1], target: [1, 2, 3, 4] }], { S: 4, T: 4, padId: 0, startId: 1, endId: 2 }), /needs T >= 5/);
  const model = new ToySeq2Seq(1);
  const logits = noGrad(() => model.forwardSeq2Seq(b).logits.data.slice());
  const r = seq2seq.loss(model, b);
  assert.equal(r.count, 7);
  assert.ok(Math.abs(r.loss.item() - expectedLoss(logits, b.labels)) < 1e-5);
});

test('classifyBatch: rows right-padded; one label per sequence or one per token', () => {
  const seq = classifyBatch([{ ids: [5, 6, 7], label: 1 }, { ids: [8], label: 0 }], { T: 4, padId: 0 });
  assert.deepEqual([...seq.ids], [5, 6, 7, 0, 8, 0, 0, 0]);
  assert.deepEqual([...seq.labels], [1, 0]);
  const tok = classifyBatch([{ ids: [5, 6], labels: [1, IGNORE] }], { T: 3, padId: 0 });
  assert.deepEqual([...tok.labels], [1, IGNORE, IGNORE]);
  assert.throws(() => classifyBatch([{ ids: [1, 2, 3], label: 0 }], { T: 2, padId: 0 }), /more than T = 2/);
  assert.throws(() => classifyBatch([{ ids: [1], label: 0 }, { ids: [1], labels: [0] }], { T: 2, padId: 0 }), /mixes sequence and token labels/);
});

/** Rows of 3..8 random ids in [2, V) right-padded with 0; label 1 when the row holds id 7. */
function containsSeven(step: number, micro: number) {
  const rng = new Rng(1000 + step * 17 + micro);
  return classifyBatch(Array.from({ length: 16 }, () => {
    const ids = Array.from({ length: 3 + rng.int(6) }, () => 2 + rng.int(V - 2));
    return { ids, label: ids.includes(7) ? 1 : 0 };
  }), { T: 8, padId: 0 });
}

test('classification: a decoder with a sequence-classification head (last non-pad token) learns a label in the one training loop', async () => {
  const trunk = createModel(gpt2Config({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 32 }), { seed: 5 });
  const model = withHead(trunk, classificationHead({ numLabels: 2, padId: 0 }), { seed: 6 });
  const b = containsSeven(0, 0);
  const logits = noGrad(() => model.forward({ ids: b.ids, B: b.rows, T: b.T }).logits.data.slice()); // (rows, 2)
  const r = classify.loss(model, b);
  assert.equal(r.count, 16);
  let want = 0;
  b.labels.forEach((label, i) => {
    const [a, c] = [logits[2 * i]!, logits[2 * i + 1]!];
    const m = Math.max(a, c);
    want += Math.log(Math.exp(a - m) + Math.exp(c - m)) + m - (label ? c : a);
  });
  assert.ok(Math.abs(r.loss.item() - want / 16) < 1e-5);
  const val = [containsSeven(500, 0), containsSeven(501, 0)];
  const accuracy = () => {
    let right = 0, n = 0;
    for (const v of val) {
      const out = noGrad(() => model.forward({ ids: v.ids, B: v.rows, T: v.T }).logits.data.slice());
      v.labels.forEach((label, i) => { right += Number((out[2 * i + 1]! > out[2 * i]!) === (label === 1)); n++; });
    }
    return right / n;
  };
  const before = meanLoss(model, classify, val);
  const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
  await trainLoop({ model, objective: classify, batches: { batch: containsSeven }, optimizer: opt, schedule: { maxLr: 1e-2, minLr: 1e-2, warmupSteps: 0, totalSteps: 150, decay: 'constant' },
    settings: settings(150), state: newState(), log: () => {} });
  const after = meanLoss(model, classify, val);
  const acc = accuracy();
  assert.ok(after < before * 0.5 && acc >= 0.9, `validation loss ${before} -> ${after}, accuracy ${acc}`);
});

test('token classification: per-position labels, ignored positions not counted', () => {
  const trunk = createModel(gpt2Config({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 2 });
  const model = withHead(trunk, tokenClassificationHead({ numLabels: 3 }), { seed: 3 });
  const b = classifyBatch([{ ids: [4, 5, 6], labels: [0, IGNORE, 2] }, { ids: [7, 8], labels: [1, 1] }], { T: 4, padId: 0 });
  const logits = noGrad(() => model.forward({ ids: b.ids, B: b.rows, T: b.T }).logits.data.slice()); // (rows, T, 3)
  const r = classify.loss(model, b);
  assert.equal(r.count, 4);
  let want = 0;
  b.labels.forEach((label, i) => {
    if (label === IGNORE) return;
    const x = [0, 1, 2].map((k) => logits[3 * i + k]!);
    const m = Math.max(...x);
    want += Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0)) + m - x[label]!;
  });
  assert.ok(Math.abs(r.loss.item() - want / 4) < 1e-5);
});

test('seq2seq: a toy encoder-decoder learns to copy its source token in the one training loop', async () => {
  // source: one token repeated; target: that token, then the end id
  const pairs = (step: number, micro: number) => {
    const rng = new Rng(77 + step * 13 + micro);
    return seq2seqBatch(Array.from({ length: 16 }, () => {
      const s = 4 + rng.int(V - 4), n = 1 + rng.int(4);
      return { source: Array<number>(n).fill(s), target: [s] };
    }), { S: 4, T: 2, padId: 0, startId: 1, endId: 2 });
  };
  const model = new ToySeq2Seq(9);
  const val = [pairs(900, 0)];
  const before = meanLoss(model, seq2seq, val);
  const opt = new AdamW(model.parameters(), { lr: 2e-2, weightDecay: 0 });
  await trainLoop({ model, objective: seq2seq, batches: { batch: pairs }, optimizer: opt, schedule: { maxLr: 2e-2, minLr: 2e-2, warmupSteps: 0, totalSteps: 150, decay: 'constant' },
    settings: settings(150, 2e-2), state: newState(), log: () => {} });
  const after = meanLoss(model, seq2seq, val);
  assert.ok(before > 2 && after < 0.3, `seq2seq validation loss ${before} -> ${after}`);
});
