// Generative (noisy channel) classification (src/train/channel.ts): the example scores the
// text and eos but not the label prefix; channelScores is log P(text, eos | prefix) as the
// model's own cross-entropy gives it, the same in any batch size; a language model trained
// on labelled texts after their prefixes classifies held-out texts by their likelihood.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2Config } from '../../src/models/decoder/config.ts';
import { createModel } from '../../src/models/registry.ts';
import { AdamW, decayGroups } from '../../src/optim/index.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { channelExample, channelPredict, channelScores } from '../../src/train/channel.ts';
import { sftBatch } from '../../src/train/objectives/causal-lm.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const EOS = 0;
const config = gpt2Config({ vocabSize: 24, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 });

test('channelExample: the prefix is not scored, the text and eos are; the text is cut, not the prefix', () => {
  const e = channelExample([5, 6, 7], [EOS, 2], EOS, 16);
  assert.deepEqual(e.ids, [0, 2, 5, 6, 7, 0]);
  assert.deepEqual(Array.from(e.mask), [0, 0, 1, 1, 1, 1]);
  assert.deepEqual(channelExample([5, 6, 7, 8, 9], [EOS, 2], EOS, 4).ids, [0, 2, 5, 6, 0]); // T + 1 = 5 ids
  assert.throws(() => channelExample([5], [], EOS, 4), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG');
});

test('channelScores: log P(text, eos | prefix) from the model\'s own loss, independent of the batch size', () => {
  const model = createModel(config, { seed: 4 });
  model.eval();
  const texts = [[5, 6, 7], [9, 3], [4, 4, 4, 4, 8]];
  const prefixes = [[EOS, 1], [EOS, 2]];
  const scores = channelScores(model, texts, prefixes, EOS, 16);
  const one = channelScores(model, texts, prefixes, EOS, 16, 1);
  texts.forEach((t, i) => prefixes.forEach((p, k) => {
    const ex = channelExample(t, p, EOS, 16);
    const b = sftBatch([ex], { T: ex.ids.length - 1, padId: EOS });
    const mean = noGrad(() => model.forward(b.ids, 1, b.T, b.targets).loss!.data[0]!); // mean over the t.length + 1 scored ids
    const want = -mean * (t.length + 1);
    assert.ok(Math.abs(scores[i]![k]! - want) < 1e-3, `text ${i} label ${k}: ${scores[i]![k]} vs ${want}`);
    assert.ok(Math.abs(one[i]![k]! - scores[i]![k]!) < 1e-4, `batch 1 vs 32: ${one[i]![k]} vs ${scores[i]![k]}`);
  }));
  assert.deepEqual(channelPredict([[-3, -2], [-1, -5]]), [1, 0]);
});

test('channel: a tiny LM trained on texts after their label prefix classifies new texts by likelihood', () => {
  // label 0 texts use ids 5..9, label 1 texts ids 10..14, in orders that depend on i
  const make = (label: number, i: number) => Array.from({ length: 4 }, (_, j) => 5 + 5 * label + ((i * 3 + j * 2) % 5));
  const prefixes = [[EOS, 1], [EOS, 2]];
  const train = Array.from({ length: 24 }, (_, i) => channelExample(make(i % 2, i), prefixes[i % 2]!, EOS, 16));
  const model = createModel(config, { seed: 2 });
  const opt = new AdamW(decayGroups(model.trainableParameters(), { weightDecay: 0 }), { lr: 1e-2, betas: [0.9, 0.99], weightDecay: 0 });
  model.train();
  for (let step = 0; step < 40; step++) {
    const b = sftBatch(train, { T: 6, padId: EOS });
    model.zeroGrad();
    model.forward(b.ids, b.rows, b.T, b.targets).loss!.backward();
    opt.step();
  }
  const held = [0, 1, 0, 1, 1, 0].map((label, i) => ({ label, ids: make(label, 100 + 7 * i) }));
  const pred = channelPredict(channelScores(model, held.map((h) => h.ids), prefixes, EOS, 16));
  assert.deepEqual(pred, held.map((h) => h.label));
});
