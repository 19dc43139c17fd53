// Hierarchical attention family (src/models/han): float64 gradient checks of the GRU op
// (both directions, with padding) and of every parameter of both archs, the GRU against
// torch's equations step by step, padding masked at both levels, a tiny document set
// learned through the shared loop, and malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceBackend, setBackend } from '../../src/backend/index.ts';
import { batchDocuments, hanConfig, hanFamily, splitDocument, parseHanConfig, predictDocuments, type DocIds } from '../../src/models/han/index.ts';
import { AdamW } from '../../src/optim/index.ts';
import { gruSequence, noGrad, sum, mul, Tensor, withFloat64 } from '../../src/tensor/index.ts';
import { trainLoop } from '../../src/train/loop.ts';
import { hanClassify } from '../../src/train/han-objective.ts';
import { loadHanModel, saveHanModel } from '../../src/io/han-model-dir.ts';
import { DOCUMENT_DEFAULTS } from '../../src/models/han/index.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, numericGrad, sampleIndices } from '../tensor/helpers.ts';

setBackend(referenceBackend());

// three documents over ids 1..11: sentences of different lengths, documents of 1-3 sentences
const DOCS: DocIds[] = [
  [[1, 2, 3], [4, 5], [6]],
  [[7, 8, 9, 10, 11]],
  [[2, 4], [6, 8, 10, 1]],
];
const LABELS = [1, 0, 1];

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

test('gruSequence: both directions equal torch.nn.GRU\'s equations run step by step over each row\'s real words', () => {
  const rng = new Rng(3);
  const N = 3, T = 4, H = 2, lengths = Int32Array.from([4, 2, 1]);
  const gx = Tensor.randn([N, T, 3 * H], rng, 1), whh = Tensor.randn([3 * H, H], rng, 0.7), bhh = Tensor.randn([3 * H], rng, 0.5);
  for (const reverse of [false, true]) {
    const out = noGrad(() => gruSequence(gx, whh, bhh, lengths, reverse)).toArray();
    for (let i = 0; i < N; i++) {
      let h = new Array<number>(H).fill(0);
      const L = lengths[i]!;
      for (let k = 0; k < L; k++) {
        const t = reverse ? L - 1 - k : k;
        const g = (row: number): number => bhh.data[row]! + h.reduce((s, hv, c) => s + whh.data[row * H + c]! * hv, 0);
        const x = (gate: number, j: number): number => gx.data[(i * T + t) * 3 * H + gate * H + j]!;
        h = h.map((hv, j) => {
          const r = sigmoid(x(0, j) + g(j)), z = sigmoid(x(1, j) + g(H + j));
          const n = Math.tanh(x(2, j) + r * g(2 * H + j));
          return (1 - z) * n + z * hv;
        });
        assertClose(out.slice((i * T + t) * H, (i * T + t + 1) * H), h, 1e-6, 1e-5, `row ${i} step ${t} reverse ${reverse}`);
      }
      for (let t = L; t < T; t++) assert.deepEqual(out.slice((i * T + t) * H, (i * T + t + 1) * H), [0, 0], `row ${i} padding step ${t} is 0`);
    }
  }
});

test('gruSequence: gradients of gx, W_hh and b_hh equal float64 central differences (padding, both directions)', () => {
  withFloat64(() => {
    const rng = new Rng(7);
    const N = 3, T = 5, H = 3, lengths = Int32Array.from([5, 3, 1]);
    const gx = Tensor.randn([N, T, 3 * H], rng, 1, { requiresGrad: true });
    const whh = Tensor.randn([3 * H, H], rng, 0.8, { requiresGrad: true });
    const bhh = Tensor.randn([3 * H], rng, 0.5, { requiresGrad: true });
    const w = Tensor.randn([N, T, H], rng, 1);
    for (const reverse of [false, true]) {
      const loss = (): Tensor => sum(mul(gruSequence(gx, whh, bhh, lengths, reverse), w));
      for (const p of [gx, whh, bhh]) p.grad = null;
      loss().backward();
      const f = (): number => noGrad(() => loss().item());
      for (const [name, p] of [['gx', gx], ['W_hh', whh], ['b_hh', bhh]] as const) {
        const num = numericGrad(f, p.data);
        assertClose(p.grad!, num, 1e-8, 1e-6, `${name} reverse ${reverse}`);
      }
      // padding steps get no gradient
      assert.ok(Array.from(gx.grad!.subarray((1 * T + 3) * 3 * H, (1 * T + 5) * 3 * H)).every((v) => v === 0));
    }
  });
});

for (const arch of ['han', 'mean-pool'] as const) {
  test(`${arch}: every parameter's gradient equals float64 central differences`, () => {
    withFloat64(() => {
      const model = hanFamily.create(hanConfig({ arch, vocabSize: 12, embedDim: 4, wordHidden: 3, sentHidden: 2, attnDim: 3, dropout: 0 }), { seed: 5 });
      const rng = new Rng(9);
      for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.8;
      const b = batchDocuments(DOCS, LABELS);
      model.zeroGrad();
      model.forward(b).loss!.backward();
      const f = (): number => noGrad(() => model.forward(b).loss!.item());
      for (const [name, p] of model.namedParameters()) {
        const idx = sampleIndices(rng, p.size, 16);
        const num = numericGrad(f, p.data, 1e-6, idx);
        const got = Float64Array.from(p.grad!, (g, i) => (idx.includes(i) ? g : NaN));
        assertClose(got, num, 1e-8, 1e-6, `${arch} ${name}`);
      }
    });
  });

  test(`${arch}: padding is masked at both levels (a document's logits do not depend on its batch)`, () => {
    const model = hanFamily.create(hanConfig({ arch, vocabSize: 12, embedDim: 6, wordHidden: 4, sentHidden: 5, attnDim: 4, dropout: 0 }), { seed: 2 });
    // DOCS[1] alone has S = 1, T = 5; in the batch it is padded to S = 3 and its neighbours to T = 5
    const alone = DOCS.map((d) => noGrad(() => model.forward(batchDocuments([d]), false).logits.toArray()));
    const together = noGrad(() => model.forward(batchDocuments(DOCS), false).logits.toArray());
    assertClose(together, alone.flat(), 1e-6, 1e-5, 'logits');
    if (arch === 'han') {
      const [p] = predictDocuments(model, [DOCS[0]!, DOCS[1]!], { explain: true });
      assert.equal(p!.sentWeights!.length, 3);
      assertClose([p!.sentWeights!.reduce((a, x) => a + x, 0)], [1], 1e-6, 0, 'sentence weights sum to 1');
      p!.wordWeights!.forEach((w, k) => {
        assert.equal(w.length, DOCS[0]![k]!.length, 'one weight per real word');
        assertClose([w.reduce((a, x) => a + x, 0)], [1], 1e-6, 0, `sentence ${k} word weights sum to 1`);
      });
      const b = batchDocuments(DOCS);
      const ww = noGrad(() => model.forward(b, false).wordWeights!.toArray());
      for (let r = 0; r < b.sentences; r++) for (let t = b.wordLens[r]!; t < b.maxWords; t++) assert.equal(ww[r * b.maxWords + t], 0, `padded word ${r},${t} has weight 0`);
    }
  });

  test(`${arch}: learns the labels of a tiny document set through the shared loop`, async () => {
    const model = hanFamily.create(hanConfig({ arch, vocabSize: 12, embedDim: 8, wordHidden: 6, sentHidden: 6, attnDim: 8, dropout: 0 }), { seed: 1 });
    // the label is whether word 7 occurs: not a matter of length or of the first word
    const docs: DocIds[] = [[[1, 2], [7, 3]], [[1, 2], [4, 3]], [[5, 7, 6]], [[5, 8, 6]], [[9], [10, 11, 7]], [[9], [10, 11, 2]]];
    const labels = [1, 0, 1, 0, 1, 0];
    const b = batchDocuments(docs, labels);
    const settings = { maxSteps: 80, gradAccum: 1, gradClip: 5, seed: 1, lr: 0.03, warmupSteps: 0, logInterval: 1000, evalInterval: 0, ckptInterval: 0 };
    const r = await trainLoop({
      model, objective: hanClassify, batches: { batch: () => ({ batch: b, rows: b.docs, tokens: b.words }) },
      optimizer: new AdamW(model.parameters(), { lr: 0.03, weightDecay: 0 }),
      schedule: { maxLr: 0.03, minLr: 0.03, warmupSteps: 0, totalSteps: 80, decay: 'constant' }, settings,
      state: { step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null }, log: () => {},
    });
    assert.ok(r.losses[0]! > 0.5, `starts near ln 2: ${r.losses[0]}`);
    assert.ok(r.losses[r.losses.length - 1]! < 0.05, `ends near 0: ${r.losses[r.losses.length - 1]}`);
    const pred = predictDocuments(model, docs).map((p) => (p.probs[1]! > p.probs[0]! ? 1 : 0));
    assert.deepEqual(pred, labels);
  });
}

test('splitDocument: paragraphs, sentence ends, long sentences cut, sentence limit', () => {
  const o = { maxSentences: 4, maxWords: 3, lowercase: true };
  assert.deepEqual(splitDocument('Win $1000 NOW! Click here.\n\nBye', { ...o, maxWords: 40 }), [['win', '$', '1000', 'now', '!'], ['click', 'here'], ['bye']]);
  assert.deepEqual(splitDocument('a b c d e f g h i j', o), [['a', 'b', 'c'], ['d', 'e', 'f'], ['g', 'h', 'i'], ['j']]);
  assert.deepEqual(splitDocument('one. two. three. four. five. six.', o).length, 4);
  assert.deepEqual(splitDocument('... --- ...', o), []);
  assert.deepEqual(splitDocument("It isn't", o), [['it', "isn't"]]);
});

test('malformed input: empty documents and sentences, bad lengths and configs are LlmtsErrors', () => {
  const code = (fn: () => unknown, c: string, re: RegExp): void => {
    assert.throws(fn, (e: unknown) => e instanceof LlmtsError && e.code === c && re.test(e.message));
  };
  code(() => batchDocuments([]), 'E_INPUT', /at least one document/);
  code(() => batchDocuments([[[1]], []]), 'E_INPUT', /document 1 has no sentences/);
  code(() => batchDocuments([[[1], []]]), 'E_INPUT', /document 0 has an empty sentence/);
  const gx = Tensor.zeros([2, 3, 6]), whh = Tensor.zeros([6, 2]), bhh = Tensor.zeros([6]);
  code(() => gruSequence(gx, whh, bhh, Int32Array.from([3, 4]), false), 'E_RANGE', /length 4 of row 1/);
  code(() => gruSequence(gx, whh, bhh, Int32Array.from([3]), false), 'E_SHAPE', /1 lengths for 2 rows/);
  code(() => gruSequence(gx, Tensor.zeros([6, 3]), bhh, Int32Array.from([3, 3]), false), 'E_SHAPE', /do not fit/);
  code(() => parseHanConfig({ arch: 'han', vocabSize: 0 }, 'config.json: llmts.model'), 'E_CONFIG', /vocabSize/);
  code(() => parseHanConfig({ arch: 'lstm', vocabSize: 4 }, 'm'), 'E_CONFIG', /arch/);
  code(() => parseHanConfig({ arch: 'han', vocabSize: 4, dropout: 1 }, 'm'), 'E_CONFIG', /dropout/);
});

hanFamily.exampleConfigs().forEach((config, i) => {
  test(`${config.arch} #${i}: save -> load gives the same logits, bit for bit; parameter shapes and sizes from the config alone`, () => {
    const model = hanFamily.create(config, { seed: 11 });
    assert.deepEqual(new Map(model.namedParameters().map(([n, p]) => [n, [...p.shape]])), hanFamily.parameterShapes(config));
    assert.equal(hanFamily.info(config).params, model.numParameters());
    const dir = mkdtempSync(join(tmpdir(), 'llmts-han-dir-'));
    try {
      const vocab = Array.from({ length: config.vocabSize }, (_, k) => (k === 0 ? '<unk>' : `w${k}`));
      saveHanModel(dir, { model, vocab, labels: config.numLabels === 2 ? ['ham', 'spam'] : ['a', 'b', 'c'], document: DOCUMENT_DEFAULTS });
      const loaded = loadHanModel(dir);
      assert.deepEqual(loaded.config, config);
      assert.equal(loaded.wordId('W3'), 3, 'lowercased lookup');
      assert.equal(loaded.wordId('nope'), 0);
      const run = (m: typeof model): number[] => { m.eval(); return noGrad(() => m.forward(batchDocuments(DOCS), false).logits.toArray()); };
      assert.deepEqual(run(loaded.model), run(model));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
