/**
 * The BERT-style encoder (src/models/encoder/): every parameter's gradient against float64
 * finite differences (MLM head through the masked-LM objective; classification heads with a
 * padding mask), padding that changes nothing at the real positions, a tiny encoder that
 * overfits one masked batch, and its config / HF-config errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend, setBackend, backend } from '../../src/backend/index.ts';
import { asEncoder, bertConfig, type EncoderConfig } from '../../src/models/encoder/index.ts';
import { createModel, parseModelConfig } from '../../src/models/registry.ts';
import { fromHfConfig } from '../../src/io/hf-format.ts';
import { AdamW } from '../../src/optim/index.ts';
import { noGrad, tidy, withFloat64 } from '../../src/tensor/index.ts';
import { maskedLm } from '../../src/train/objectives/masked-lm.ts';
import { IGNORE } from '../../src/train/objectives/causal-lm.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad } from '../tensor/helpers.ts';

const V = 13, B = 2, T = 5;

function ids(seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: B * T }, () => rng.int(V));
}

/** Every parameter's gradient of `loss` against central differences, in float64 on the reference backend. */
function gradcheck(name: string, config: EncoderConfig, loss: (m: ReturnType<typeof asEncoder>) => number | undefined, backwardOf: (m: ReturnType<typeof asEncoder>) => void): void {
  const prev = backend();
  setBackend(referenceBackend());
  try {
    withFloat64(() => {
      const model = asEncoder(createModel(config, { seed: 5 }), 'test');
      model.eval();
      model.zeroGrad();
      backwardOf(model);
      const f = (): number => noGrad(() => loss(model)!);
      let checked = 0;
      for (const [pname, p] of model.namedParameters()) {
        assert.ok(p.data instanceof Float64Array, `${pname} is float64`);
        assert.ok(p.grad, `${pname} got no gradient`);
        assertClose(p.grad, numericGrad(f, p.data, 1e-5), 1e-8, 1e-5, `${name}: d loss / d ${pname}`);
        checked += p.size;
      }
      assert.equal(checked, model.numParameters());
    });
  } finally {
    setBackend(prev);
  }
}

test('bert MLM (exact GELU): every parameter gradient equals float64 finite differences of the masked-LM loss', () => {
  const config = bertConfig({ vocabSize: V, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8 });
  const targets = new Int32Array(B * T).fill(IGNORE);
  targets[1] = 3; targets[4] = 7; targets[8] = 0; // only these positions are scored (the gathered rows)
  const b = { ids: ids(1), targets, rows: B, T, tokens: B * T };
  gradcheck('mlm', config, (m) => maskedLm.loss(m, b).loss.item(), (m) => maskedLm.loss(m, b).loss.backward());
});

test('bert sequence / token classification with a padding mask: every parameter gradient equals finite differences', () => {
  const attentionMask = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]); // row 1 padded at its last two positions
  const input = { ids: ids(2), B, T, attentionMask };
  const seq = bertConfig({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, head: 'sequence', numLabels: 3 });
  const labels = Int32Array.from([2, 0]);
  gradcheck('sequence', seq, (m) => m.run(input, labels).loss!.item(), (m) => m.run(input, labels).loss!.backward());
  const tok = bertConfig({ vocabSize: V, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, head: 'token', numLabels: 3, hiddenAct: 'gelu_new' });
  const tags = Int32Array.from([0, 1, 2, 1, 0, 2, 2, 1, IGNORE, IGNORE]);
  gradcheck('token', tok, (m) => m.run(input, tags).loss!.item(), (m) => m.run(input, tags).loss!.backward());
});

test('padding: a row padded with a mask gives the same hidden states at its real positions as the row alone', () => {
  const model = asEncoder(createModel(bertConfig({ vocabSize: V, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, head: 'none' }), { seed: 3 }), 'test');
  model.eval();
  const row = Int32Array.from([2, 9, 4]);
  const padded = Int32Array.from([2, 9, 4, 0, 0]);
  noGrad(() => tidy(() => {
    const alone = model.encode({ ids: row, B: 1, T: 3 });
    const masked = model.encode({ ids: padded, B: 1, T: 5, attentionMask: Float32Array.from([1, 1, 1, 0, 0]) });
    const unmasked = model.encode({ ids: padded, B: 1, T: 5 });
    const C = 8;
    for (let i = 0; i < 3 * C; i++) assert.ok(Math.abs(alone.hidden.data[i]! - masked.hidden.data[i]!) < 1e-5, `position ${Math.floor(i / C)}`);
    assert.ok(Math.abs(alone.pooled!.data[0]! - masked.pooled!.data[0]!) < 1e-5, 'pooled [CLS] equal');
    let differs = 0;
    for (let i = 0; i < 3 * C; i++) differs = Math.max(differs, Math.abs(alone.hidden.data[i]! - unmasked.hidden.data[i]!));
    assert.ok(differs > 1e-4, 'without the mask the padding is attended to (the mask matters)');
  }));
});

test('a tiny encoder overfits one masked batch (loss near zero, every masked token right)', () => {
  const model = createModel(bertConfig({ vocabSize: 24, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32 }), { seed: 1 });
  const rng = new Rng(9);
  const raw = Int32Array.from({ length: 4 * 12 }, () => 5 + rng.int(19));
  const input = Int32Array.from(raw), targets = new Int32Array(raw.length).fill(IGNORE);
  for (let i = 0; i < raw.length; i += 4) { input[i] = 4; targets[i] = raw[i]!; } // 4 = [MASK]
  const b = { ids: input, targets, rows: 4, T: 12, tokens: 48 };
  const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
  let first = 0, last = 0;
  for (let step = 0; step < 150; step++) {
    model.zeroGrad();
    const { loss } = maskedLm.loss(model, b);
    if (step === 0) first = loss.item();
    last = loss.item();
    loss.backward();
    opt.step();
  }
  assert.ok(first > 2.5, `starts near ln 24: ${first}`);
  assert.ok(last < 0.05, `overfits: ${last}`);
  model.eval();
  noGrad(() => tidy(() => {
    const { logits } = model.forward(input, 4, 12, targets); // (N, V): the masked rows
    const Vv = 24;
    let row = 0;
    for (let i = 0; i < targets.length; i++) {
      if (targets[i] === IGNORE) continue;
      const l = logits.data.subarray(row * Vv, (row + 1) * Vv);
      assert.equal(l.indexOf(Math.max(...l)), targets[i], `masked position ${i}`);
      row++;
    }
  }));
});

test('encoder configs: defaults, field-path errors, and HF configs it refuses', () => {
  const c = parseModelConfig({ arch: 'bert', vocabSize: 100, nLayer: 2, nHead: 2, nEmbd: 16 });
  assert.ok(c.arch === 'bert');
  assert.deepEqual([c.blockSize, c.intermediateSize, c.normEps, c.hiddenAct, c.head, c.pooler, c.typeVocabSize], [512, 64, 1e-12, 'gelu', 'mlm', false, 2]);
  const bad = (raw: unknown, re: RegExp) => assert.throws(() => parseModelConfig(raw, 'm'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG' && re.test(e.message));
  bad({ ...c, nHead: 3 }, /m: nEmbd 16 is not divisible by nHead 3/);
  bad({ ...c, head: 'lm' }, /m\.head must be one of "mlm", "none", "sequence", "token"/);
  bad({ ...c, head: 'sequence', pooler: false }, /pooler is false/);
  bad({ ...c, hiddenAct: 'relu' }, /m\.hiddenAct must be one of "gelu", "gelu_new"/);
  const hf = { model_type: 'bert', vocab_size: 30, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, architectures: ['BertForSequenceClassification'], id2label: { 0: 'neg', 1: 'pos', 2: 'mixed' } };
  const parsed = fromHfConfig(hf, 'x/config.json');
  assert.ok(parsed.arch === 'bert');
  assert.deepEqual([parsed.head, parsed.numLabels, parsed.pooler], ['sequence', 3, true]);
  const refused = (extra: Record<string, unknown>, re: RegExp) => assert.throws(() => fromHfConfig({ ...hf, ...extra }, 'x/config.json'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CHECKPOINT' && re.test(e.message));
  refused({ hidden_act: 'relu' }, /x\/config\.json: hidden_act = "relu" is not supported/);
  refused({ position_embedding_type: 'relative_key' }, /position_embedding_type/);
  refused({ is_decoder: true }, /is_decoder/);
  refused({ architectures: ['BertForMultipleChoice'] }, /architectures/);
  refused({ hidden_size: 2 ** 40 }, /hidden_size = 1099511627776 is not plausible/);
  const enc = createModel(bertConfig({ vocabSize: 10, nLayer: 1, nHead: 1, nEmbd: 4 }));
  assert.throws(() => enc.newCache(), /bert is an encoder: it does not generate text/);
  const dec = createModel(parseModelConfig({ arch: 'gpt2', vocabSize: 10, blockSize: 8, nLayer: 1, nHead: 1, nEmbd: 4 }));
  assert.throws(() => asEncoder(dec, '--model'), /--model: the model is a gpt2 decoder, not an encoder/);
});
