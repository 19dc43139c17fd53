/**
 * The encoder-decoder family (src/models/seq2seq/): cross-attention's gradient (decoder
 * side and encoder side, a key padding mask, Tq != Tk) and every parameter's gradient of
 * the label-smoothed seq2seq loss against float64 finite differences; source padding that
 * changes nothing; label smoothing equal to PyTorch's formula; length-bucketed batches; a
 * tiny BART that learns to reverse its source through the one training loop and then
 * decodes held-out sources (greedy and beam) correctly; config and HF-config errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, referenceBackend, setBackend } from '../../src/backend/index.ts';
import { generateSeq2Seq } from '../../src/infer/seq2seq-generate.ts';
import { fromHfConfig } from '../../src/io/hf-format.ts';
import { asSeq2Seq, bartConfig, type Seq2SeqConfig, type Seq2SeqLM } from '../../src/models/seq2seq/index.ts';
import { BartAttention } from '../../src/models/seq2seq/layers.ts';
import { createModel, parseModelConfig } from '../../src/models/registry.ts';
import { AdamW } from '../../src/optim/index.ts';
import { mul, noGrad, sum, Tensor, tidy, withFloat64 } from '../../src/tensor/index.ts';
import { resolveTrainConfig } from '../../src/train/config.ts';
import { trainLoop } from '../../src/train/loop.ts';
import { seq2seqBatch, seq2seqBatches, seq2seqObjective, type Seq2SeqBatch, type Seq2SeqPair } from '../../src/train/objectives/seq2seq.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad } from '../tensor/helpers.ts';

const V = 13;

/** Runs fn in float64 on the reference backend (gradient checks). */
function float64<T>(fn: () => T): T {
  const prev = backend();
  setBackend(referenceBackend());
  try {
    return withFloat64(fn);
  } finally {
    setBackend(prev);
  }
}

const batch = (): Seq2SeqBatch => seq2seqBatch([
  { source: [3, 7, 4, 9, 5], target: [6, 8, 10] },
  { source: [11, 4, 3], target: [5, 12] }, // source padded at 2 positions (masked), target at 1
], { S: 5, T: 4, padId: 1, startId: 2, endId: 2 });

test('cross-attention: gradients of the decoder input, the encoder memory and the projections equal float64 finite differences (padding mask, Tq 3 != Tk 5)', () => {
  float64(() => {
    const attn = new BartAttention(bartConfig({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 }), new Rng(4));
    const rng = new Rng(9);
    const x = Tensor.randn([2, 3, 8], rng, 1, { requiresGrad: true }); // (B, Tq, C) decoder side
    const memory = Tensor.randn([2, 5, 8], rng, 1, { requiresGrad: true }); // (B, Tk, C) encoder side
    const keyMask = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]); // row 1 sees 2 of its 5 keys
    const w = Tensor.randn([2, 3, 8], rng, 1); // loss = sum(y * w), a random projection of the output
    const loss = (): Tensor => sum(mul(attn.attend(x, attn.keyValues(memory), { causal: false, keyMask }), w)); // ()
    loss().backward();
    const f = () => noGrad(() => loss().item());
    assertClose(x.grad!, numericGrad(f, x.data, 1e-6), 1e-8, 1e-6, 'd / d decoder input');
    assertClose(memory.grad!, numericGrad(f, memory.data, 1e-6), 1e-8, 1e-6, 'd / d encoder memory');
    for (let i = (5 + 2) * 8; i < 10 * 8; i++) assert.equal(memory.grad![i], 0, 'masked keys get no gradient');
    for (const [name, p] of attn.namedParameters()) assertClose(p.grad!, numericGrad(f, p.data, 1e-6), 1e-8, 1e-6, `d / d ${name}`);
  });
});

/** Every parameter's gradient of `loss` against central differences, float64. */
function gradcheck(config: Seq2SeqConfig, labelSmoothing: number): void {
  float64(() => {
    const model = asSeq2Seq(createModel(config, { seed: 5 }), 'test');
    model.eval();
    model.zeroGrad();
    const objective = seq2seqObjective({ labelSmoothing });
    const b = batch();
    objective.loss(model, b).loss.backward();
    const f = (): number => noGrad(() => objective.loss(model, b).loss.item());
    let checked = 0;
    for (const [name, p] of model.namedParameters()) {
      if (name === 'final_logits_bias') {
        assert.equal(p.grad, null, 'final_logits_bias is a frozen buffer');
        continue;
      }
      assert.ok(p.grad, `${name} got no gradient`);
      assertClose(p.grad, numericGrad(f, p.data, 1e-5), 1e-8, 1e-5, `d loss / d ${name}`);
      checked += p.size;
    }
    assert.equal(checked, model.numParameters() - V);
  });
}

test('whole model, shared + tied embeddings, label smoothing 0.1, padded source and target: every gradient equals finite differences', () => {
  gradcheck(bartConfig({ vocabSize: V, blockSize: 8, nLayer: 1, nDecoderLayer: 2, nHead: 2, nEmbd: 8, intermediateSize: 12 }), 0.1);
});

test('whole model, separate embeddings, own lm_head, scaled embeddings, tanh GELU: every gradient equals finite differences', () => {
  gradcheck(bartConfig({ vocabSize: V, blockSize: 8, nLayer: 2, nDecoderLayer: 1, nHead: 2, nEmbd: 8, intermediateSize: 12, shareEmbeddings: false, tieEmbeddings: false, scaleEmbedding: true, hiddenAct: 'gelu_new' }), 0);
});

test('label smoothing equals PyTorch\'s (1 - eps) nll + eps mean(-log p) over the real target tokens', () => {
  const model = asSeq2Seq(createModel(bartConfig({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 }), { seed: 6 }), 'test');
  model.eval();
  const b = batch();
  const eps = 0.2;
  noGrad(() => tidy(() => {
    const logits = model.forwardSeq2Seq(b).logits.data; // (rows, T, V)
    let want = 0, n = 0;
    b.labels.forEach((t, i) => {
      if (t === -100) return;
      const z = Array.from(logits.subarray(i * V, (i + 1) * V));
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
      want += (1 - eps) * (lse - z[t]!) + eps * z.reduce((s, v) => s + (lse - v), 0) / V;
      n++;
    });
    const r = seq2seqObjective({ labelSmoothing: eps }).loss(model, b);
    assert.equal(r.count, n);
    assert.ok(Math.abs(r.loss.item() - want / n) < 1e-5, `${r.loss.item()} vs ${want / n}`);
  }));
  assert.throws(() => seq2seqObjective({ labelSmoothing: 1 }), /labelSmoothing must be in \[0, 1\)/);
});

test('source padding: a padded row gives the logits of the same row alone', () => {
  const model = asSeq2Seq(createModel(bartConfig({ vocabSize: V, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8 }), { seed: 7 }), 'test');
  model.eval();
  const b = batch();
  const alone = seq2seqBatch([{ source: [11, 4, 3], target: [5, 12] }], { S: 3, T: 4, padId: 1, startId: 2, endId: 2 });
  noGrad(() => tidy(() => {
    const both = model.forwardSeq2Seq(b).logits.data; // (2, 4, V)
    const one = model.forwardSeq2Seq(alone).logits.data; // (1, 4, V)
    for (let i = 0; i < 3 * V; i++) assert.ok(Math.abs(both[4 * V + i]! - one[i]!) < 1e-5, `logit ${i}`);
  }));
});

test('length-bucketed batches: similar lengths together, each padded to its own longest, every pair once per epoch, a pure function of (seed, step)', () => {
  const rng = new Rng(3);
  const pairs: Seq2SeqPair[] = Array.from({ length: 20 }, (_, i) => ({ source: Array.from({ length: 1 + (i * 7) % 10 }, () => 3 + rng.int(9)), target: Array.from({ length: 1 + (i * 3) % 6 }, () => 3 + rng.int(9)) }));
  const src = seq2seqBatches(pairs, { rows: 4, padId: 1, startId: 2, endId: 2, seed: 5 });
  const seen: string[] = [];
  for (let step = 0; step < 5; step++) {
    const b = src.batch(step, 0);
    assert.equal(b.rows, 4);
    const lens = Array.from({ length: b.rows }, (_, r) => b.sourceMask.subarray(r * b.S, (r + 1) * b.S).reduce((s, v) => s + v, 0));
    assert.equal(Math.max(...lens), b.S, 'padded to its own longest source');
    for (let r = 0; r < b.rows; r++) seen.push(Array.from(b.source.subarray(r * b.S, r * b.S + lens[r]!)).join(','));
  }
  assert.deepEqual([...seen].sort(), pairs.map((p) => p.source.join(',')).sort(), 'one epoch = every pair once');
  const again = seq2seqBatches(pairs, { rows: 4, padId: 1, startId: 2, endId: 2, seed: 5 });
  assert.deepEqual(again.batch(7, 0), src.batch(7, 0));
  const total = (s: typeof src) => [0, 1, 2, 3, 4].reduce((n, step) => n + s.batch(step, 0).S, 0);
  const unbucketed = Math.max(...pairs.map((p) => p.source.length)) * 5;
  assert.ok(total(src) < unbucketed, `bucketing pads less: ${total(src)} source columns vs ${unbucketed}`);
});

test('a tiny BART learns to reverse its source through the training loop, then greedy and beam decoding reverse held-out sources', async () => {
  const rng = new Rng(11);
  const make = (): Seq2SeqPair => {
    const source = Array.from({ length: 2 + rng.int(4) }, () => 3 + rng.int(V - 3));
    return { source, target: [...source].reverse() };
  };
  const train = Array.from({ length: 600 }, make);
  const held = Array.from({ length: 20 }, make);
  const model = asSeq2Seq(createModel(bartConfig({ vocabSize: V, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 32, intermediateSize: 64 }), { seed: 1 }), 'test');
  const opt = new AdamW(model.trainableParameters().map(([, p]) => p), { lr: 3e-3, weightDecay: 0 });
  const steps = 500;
  const out = await trainLoop({
    model, objective: seq2seqObjective({ labelSmoothing: 0.05 }), batches: seq2seqBatches(train, { rows: 32, padId: 1, startId: 2, endId: 2, seed: 1 }), optimizer: opt,
    schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 20, totalSteps: steps, decay: 'cosine' },
    settings: { maxSteps: steps, gradAccum: 1, gradClip: 1, seed: 1, lr: 3e-3, warmupSteps: 20, logInterval: 1000, evalInterval: 0, ckptInterval: 0 },
    state: { step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null }, log: () => {},
  });
  assert.equal(out.stopped, 'done');
  model.eval();
  const want = held.map((p) => [2, ...p.target, 2]);
  const srcIds = held.map((p) => p.source);
  const greedy = generateSeq2Seq(model, srcIds, { maxLength: 10 }).map((o) => o.ids);
  const beam = generateSeq2Seq(model, srcIds, { maxLength: 10, numBeams: 3 }).map((o) => o.ids);
  const right = (got: number[][]) => got.filter((g, i) => JSON.stringify(g) === JSON.stringify(want[i])).length;
  assert.ok(right(greedy) >= 18, `greedy reversed ${right(greedy)} / 20 (final loss ${out.losses.at(-1)})`);
  assert.ok(right(beam) >= 18, `beam reversed ${right(beam)} / 20`);
});

test('config errors name the field; HF configs BART cannot run are refused by name; llmts train refuses bart (its objectives would let the encoder see the targets)', () => {
  const bad = (raw: unknown, re: RegExp) => assert.throws(() => parseModelConfig(raw, 'train.model'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG' && re.test(e.message));
  const ok = { arch: 'bart', vocabSize: 64, nLayer: 2, nHead: 2, nEmbd: 16 };
  assert.equal((parseModelConfig(ok) as Seq2SeqConfig).nDecoderLayer, 2);
  bad({ ...ok, nHead: 3 }, /train\.model: nEmbd 16 is not divisible by nHead 3/);
  bad({ ...ok, eosId: 64 }, /train\.model\.eosId 64 is not below vocabSize 64/);
  bad({ ...ok, hiddenAct: 'relu' }, /train\.model\.hiddenAct must be one of "gelu", "gelu_new"/);
  const hf = { model_type: 'bart', vocab_size: 64, d_model: 16, encoder_layers: 1, decoder_layers: 1, encoder_attention_heads: 2, decoder_attention_heads: 2, encoder_ffn_dim: 32, decoder_ffn_dim: 32, max_position_embeddings: 32 };
  assert.equal(fromHfConfig(hf, 'c.json').arch, 'bart');
  const refused = (json: Record<string, unknown>, re: RegExp) => assert.throws(() => fromHfConfig(json, 'c.json'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CHECKPOINT' && re.test(e.message));
  refused({ ...hf, decoder_attention_heads: 4 }, /c\.json: decoder_attention_heads = 4 is not supported/);
  refused({ ...hf, add_final_layer_norm: true }, /add_final_layer_norm = true is not supported/);
  refused({ ...hf, normalize_embedding: false }, /normalize_embedding = false is not supported/);
  refused({ ...hf, static_position_embeddings: true }, /static_position_embeddings = true is not supported/);
  refused({ ...hf, tie_word_embeddings: 'yes' }, /tie_word_embeddings = "yes" must be true or false/);
  refused({ ...hf, activation_function: 'relu' }, /activation_function = "relu" is not supported/);
  refused({ ...hf, d_model: -1 }, /d_model = -1 is not plausible/);
  assert.throws(() => resolveTrainConfig({ overrides: { preset: 'shakespeare-char', arch: 'bart' } }), /llmts train does not train encoder-decoders \(bart\) yet/);
  const gpt2 = createModel(parseModelConfig({ arch: 'gpt2', vocabSize: 16, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 }));
  assert.throws(() => asSeq2Seq(gpt2, 'translate'), /translate: the model is a gpt2, not an encoder-decoder/);
  const m: Seq2SeqLM = asSeq2Seq(createModel(parseModelConfig(ok)), 'test');
  assert.throws(() => m.newCache(), /bart is an encoder-decoder: newCache takes no KV cache/);
  assert.throws(() => m.forward(Int32Array.of(3, 4, 5), 1, 3, Int32Array.of(4, 5, 2)), /bart is an encoder-decoder: its loss needs \(source, target\) pairs/);
});
