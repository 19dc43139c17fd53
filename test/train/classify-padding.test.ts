// Padding in the classify path (finetune --task classify): a sequence's logits and loss do
// not depend on how much padding its batch adds, for a bidirectional encoder (the padding
// must be masked out of attention, HF's attention_mask) and for a causal decoder (right
// padding comes after every real token), with mean and last-token pooling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { predictLabels } from '../../src/eval/classification.ts';
import { bertConfig } from '../../src/models/encoder/config.ts';
import { gpt2Config } from '../../src/models/decoder/config.ts';
import { classificationHead, withHead, type Pooling } from '../../src/models/heads.ts';
import { createModel, type ModelConfig } from '../../src/models/registry.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { classifierInput, classify, classifyBatch } from '../../src/train/objectives/classify.ts';

const PAD = 0;
const rows = [{ ids: [5, 9, 3, 7], label: 1 }, { ids: [4, 8], label: 0 }];

function classifier(config: ModelConfig, pooling: Pooling) {
  const clf = withHead(createModel(config, { seed: 3 }), classificationHead({ numLabels: 2, pooling, padId: PAD }), { seed: 4 });
  clf.eval();
  return clf;
}

/** Logits of each row alone (no padding), then of the two in one batch padded to T. */
function logitsAloneAndPadded(config: ModelConfig, pooling: Pooling, T: number): { alone: number[][]; padded: number[][] } {
  const clf = classifier(config, pooling);
  const alone = rows.map((r) => Array.from(noGrad(() => clf.forward({ ids: Int32Array.from(r.ids), B: 1, T: r.ids.length }).logits.data)));
  const b = classifyBatch(rows, { T, padId: PAD });
  const data = noGrad(() => clf.forward(classifierInput(b)).logits.data);
  return { alone, padded: [Array.from(data.slice(0, 2)), Array.from(data.slice(2, 4))] };
}

function close(a: number[][], b: number[][], what: string): void {
  for (let r = 0; r < a.length; r++) for (let j = 0; j < a[r]!.length; j++) assert.ok(Math.abs(a[r]![j]! - b[r]![j]!) < 1e-5, `${what}: row ${r} logit ${j}: ${a[r]![j]} alone vs ${b[r]![j]} padded`);
}

const bert = bertConfig({ vocabSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 16, head: 'none' });
const gpt2 = gpt2Config({ vocabSize: 16, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16 });

test('encoder classifier: padding is masked out of attention (mean and last pooling)', () => {
  for (const pooling of ['mean', 'last'] as const) {
    const { alone, padded } = logitsAloneAndPadded(bert, pooling, 8);
    close(alone, padded, `bert ${pooling}`);
  }
});

test('decoder classifier: right padding changes nothing (mean and last pooling)', () => {
  for (const pooling of ['mean', 'last'] as const) {
    const { alone, padded } = logitsAloneAndPadded(gpt2, pooling, 8);
    close(alone, padded, `gpt2 ${pooling}`);
  }
});

test('the classify objective and predictLabels pass the padding mask: same loss and labels at any T', () => {
  const clf = classifier(bert, 'mean');
  const loss = (T: number) => noGrad(() => classify.loss(clf, classifyBatch(rows, { T, padId: PAD })).loss.item());
  assert.ok(Math.abs(loss(4) - loss(12)) < 1e-5, `loss at T 4 ${loss(4)} vs T 12 ${loss(12)}`);
  // predictLabels hands the batch's mask to the model
  const seen: (Float32Array | null | undefined)[] = [];
  const spy = Object.assign(Object.create(clf) as typeof clf, {
    forward(input: Parameters<typeof clf.forward>[0] & { attentionMask?: Float32Array | null }) {
      seen.push(input.attentionMask);
      return clf.forward(input);
    },
  });
  const b = classifyBatch(rows, { T: 12, padId: PAD });
  assert.deepEqual(predictLabels(spy, [b]).gold, [1, 0]);
  assert.equal(seen[0], b.attentionMask);
});

test('classifyBatch: the attention mask is 1 on each row\'s ids (a real id equal to the pad id included), 0 on the padding', () => {
  const b = classifyBatch([{ ids: [5, PAD, 3, 7], label: 1 }, { ids: [4, 8], label: 0 }], { T: 5, padId: PAD });
  assert.deepEqual(Array.from(b.attentionMask), [1, 1, 1, 1, 0, 1, 1, 0, 0, 0]);
});
