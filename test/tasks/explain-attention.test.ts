// `classify --explain` for Transformer classifiers (src/tasks/explain-attention.ts): the
// attention probabilities recomputed beside the fused kernel equal transformers'
// output_attentions (head-averaged; fixture script test/fixtures/explain-attention/
// make-fixture.py) for a BERT, a GPT-2 and a Llama with RoPE and grouped kv heads;
// rollout by hand; classify's word weights are the rollout read at [CLS] / the last
// token, special tokens left out; the model's own forward and labels are unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveClassifier } from '../../src/io/classifier-dir.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { Decoder } from '../../src/models/decoder/decoder.ts';
import { Encoder } from '../../src/models/encoder/encoder.ts';
import { classificationHead, withHead } from '../../src/models/heads.ts';
import { attentionRollout, decoderAttention, encoderAttention, headAveragedAttention, recordLayerInputs, wordWeights } from '../../src/tasks/explain-attention.ts';
import { canExplain, classify, loadTaskModel } from '../../src/tasks/index.ts';
import { Tensor } from '../../src/tensor/index.ts';

interface Case { ids: number[]; attentions: number[][][]; text?: string }
const want = JSON.parse(readFileSync('test/fixtures/explain-attention/expected.json', 'utf8')) as Record<'bert' | 'hf-gpt2-float32' | 'hf-llama-float32', Case>;
const root = mkdtempSync(join(tmpdir(), 'llmts-explain-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function assertClose(got: Float64Array[], expected: number[][][], tol: number, what: string): void {
  assert.equal(got.length, expected.length, `${what}: layers`);
  got.forEach((a, l) => {
    const e = expected[l]!.flat();
    assert.equal(a.length, e.length, `${what} layer ${l}: T x T`);
    let worst = 0;
    for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
    assert.ok(worst < tol, `${what} layer ${l}: max |ours - transformers| ${worst}`);
  });
}

test('the recomputed attention equals transformers\' output_attentions: BERT, GPT-2, Llama (RoPE, 4 heads on 2 kv heads)', () => {
  const bert = loadModel('test/fixtures/hf-bert/cls').model;
  assert.ok(bert instanceof Encoder);
  assertClose(encoderAttention(bert, Int32Array.from(want.bert.ids)), want.bert.attentions, 1e-5, 'bert');
  for (const name of ['hf-gpt2-float32', 'hf-llama-float32'] as const) {
    const dec = loadModel(`test/fixtures/hf-models/${name}`).model;
    assert.ok(dec instanceof Decoder);
    assertClose(decoderAttention(dec, Int32Array.from(want[name].ids)), want[name].attentions, 1e-5, name);
  }
});

test('attention rollout: (A/2 + I/2) per layer, the last layer on the left, read at the pooled positions', () => {
  const a1 = Float64Array.from([1, 0, 0.5, 0.5]), a2 = Float64Array.from([0, 1, 0, 1]);
  // layer 1: [[1, 0], [0.25, 0.75]]; layer 2: [[0.5, 0.5], [0, 1]]; product layer2 @ layer1 = [[0.625, 0.375], [0.25, 0.75]]
  assert.deepEqual(Array.from(attentionRollout([a1, a2], 2, [1, 0])), [0.625, 0.375]);
  assert.deepEqual(Array.from(attentionRollout([a1, a2], 2, [0, 1])), [0.25, 0.75]);
  assert.deepEqual(Array.from(attentionRollout([a1, a2], 2, [0.5, 0.5])), [0.4375, 0.5625]);
  assert.deepEqual(Array.from(attentionRollout([], 2, [0, 1])), [0, 1]);
});

test('recordLayerInputs observes each call and leaves the modules as they were, also when the run throws', () => {
  const dec = loadModel('test/fixtures/hf-models/hf-gpt2-float32').model as Decoder;
  const attns = dec.trunk.blocks.items.map((b) => b.attn);
  const seen: number[] = [];
  const x = new Tensor(new Float32Array(3 * 32).fill(0.1), [1, 3, 32]); // (B, T, C)
  assert.throws(() => recordLayerInputs(attns, (i) => seen.push(i), () => { attns[0]!.forward(x); throw new Error('stop'); }), /stop/);
  assert.deepEqual(seen, [0]);
  assert.ok(attns.every((a) => !Object.hasOwn(a, 'forward')), 'no observer left on an instance');
});

test('classify --explain with a BERT: word weights from the rollout at [CLS], [CLS]/[SEP] left out; labels unchanged', () => {
  const m = loadTaskModel('test/fixtures/hf-bert/cls');
  assert.ok(canExplain(m));
  const [plain] = classify(m, [want.bert.text!]);
  const [c] = classify(m, [want.bert.text!], { explain: true });
  assert.deepEqual({ ...c, attention: undefined }, { ...plain, attention: undefined }, 'explain changes no label or probability');
  const T = want.bert.ids.length;
  const cls = want.bert.ids.map((_, t) => (t === 0 ? 1 : 0));
  const r = attentionRollout(want.bert.attentions.map((l) => Float64Array.from(l.flat())), T, cls);
  const expected = wordWeights(m.kind === 'encoder' ? m.tokenizer : assert.fail(), want.bert.ids, r);
  const words = c!.attention!.sentences[0]!.words;
  assert.deepEqual(words.map((w) => w.text), expected.map((w) => w.text));
  assert.ok(!words.some((w) => /\[(CLS|SEP)\]/.test(w.text)));
  words.forEach((w, i) => assert.ok(Math.abs(w.weight - expected[i]!.weight) < 1e-5, `${w.text}: ${w.weight} vs ${expected[i]!.weight}`));
  assert.ok(Math.abs(words.reduce((a, w) => a + w.weight, 0) - 1) < 1e-9, 'weights sum to 1');
});

test('classify --explain with a fine-tuned GPT-2 classifier: the rollout read at the last token', () => {
  const { model, tokenizer } = loadModel('test/fixtures/hf-models/hf-gpt2-float32');
  const clf = withHead(model, classificationHead({ numLabels: 2, pooling: 'last' }), { seed: 3 });
  const dir = join(root, 'clf');
  saveClassifier(dir, { model: clf, tokenizer, labels: ['neg', 'pos'] });
  const m = loadTaskModel(dir);
  assert.ok(m.kind === 'classifier' && canExplain(m));
  const text = 'a gorgeous witty film';
  const [c] = classify(m, [text], { explain: true });
  const ids = tokenizer.encode(text);
  const lastToken = ids.map((_, t) => (t === ids.length - 1 ? 1 : 0));
  const r = attentionRollout(decoderAttention(m.model.base as Decoder, Int32Array.from(ids)), ids.length, lastToken);
  assert.deepEqual(c!.attention!.sentences[0]!.words, wordWeights(tokenizer, ids, r));
  assert.deepEqual(c!.attention!.sentences[0]!.words.map((w) => w.text), ['a', 'gorgeous', 'witty', 'film']);
  assert.equal(c!.label, classify(m, [text])[0]!.label);
});

test('wordWeights: word pieces summed into words, spaces go to the word after them', () => {
  const tok = loadTaskModel('test/fixtures/hf-bert/cls');
  assert.ok(tok.kind === 'encoder');
  const ids = tok.tokenizer.encode('unbelievable film', { addSpecialTokens: true });
  // the fixture's vocabulary is single characters: [CLS] u ##n ... ##e f ##i ##l ##m [SEP]
  assert.equal(ids.length, 18);
  assert.deepEqual(wordWeights(tok.tokenizer, ids, ids.map(() => 1)), [{ text: 'unbelievable', weight: 12 / 16 }, { text: 'film', weight: 4 / 16 }]);
  const gpt2 = loadModel('test/fixtures/hf-models/hf-gpt2-float32').tokenizer;
  const g = gpt2.encode('a  witty film'); // byte-level BPE: the second space is a token of its own
  assert.deepEqual(wordWeights(gpt2, g, g.map((_, i) => i + 1)).map((x) => x.text), ['a', 'witty', 'film']);
});

test('encoderAttention with padding inside the sequence (the inference path packs rows) equals the training path\'s attention, position for position', () => {
  const bert = loadModel('test/fixtures/hf-bert/cls').model;
  assert.ok(bert instanceof Encoder);
  const ids = Int32Array.from(want.bert.ids), T = ids.length;
  const mask = Float32Array.from(ids, (_, t) => (t === 1 || t === T - 2 ? 0 : 1)); // (T): two padded positions, not at the end
  const got = encoderAttention(bert, ids, mask);
  // expected: the graph path (grad on, the model not training: dropout off), each layer's input observed on `forward`
  const nh = bert.config.nHead, hs = bert.config.nEmbd / nh;
  const headMajor = (x: Float32Array): Float32Array => { // (T, nh * hs) -> (nh, T, hs)
    const out = new Float32Array(x.length);
    for (let t = 0; t < T; t++) for (let h = 0; h < nh; h++) for (let d = 0; d < hs; d++) out[(h * T + t) * hs + d] = x[t * nh * hs + h * hs + d]!;
    return out;
  };
  const expected: Float64Array[] = [];
  const items = bert.trunk.layers.items;
  assert.equal(bert.training, false);
  recordLayerInputs(items, (i, args) => {
    const x = args[0] as Tensor, layer = items[i]!;
    expected.push(headAveragedAttention(headMajor(layer.query.forward(x).data), headMajor(layer.key.forward(x).data), T, nh, nh, hs, { causal: false, keyMask: mask }));
  }, () => { bert.hiddenStates({ ids, B: 1, T, attentionMask: mask }); });
  assert.equal(got.length, items.length);
  got.forEach((a, l) => {
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - expected[l]![i]!));
    assert.ok(worst < 1e-5, `layer ${l}: max |inference path - training path| ${worst}`);
    for (let r = 0; r < T; r++) assert.equal(a[r * T + 1], 0, `layer ${l}: row ${r} gives the padded key 1 no weight`);
  });
});
