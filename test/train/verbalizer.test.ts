// Prompt-style classification (src/train/verbalizer.ts): a classifier whose head starts as
// the LM head's verbalizer rows gives, before any training, exactly the language model's
// logits for the verbalizer tokens after the template (tied and untied GPT-2 / Llama
// heads); the prompt ids cut the text, never the template; bad prompts are E_CONFIG errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bertConfig } from '../../src/models/encoder/config.ts';
import { gpt2Config, llamaConfig } from '../../src/models/decoder/config.ts';
import { classificationHead, withHead } from '../../src/models/heads.ts';
import { createModel, type AnyModel, type ModelConfig } from '../../src/models/registry.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { trainBpe } from '../../src/tokenizer/bpe-trainer.ts';
import type { Tokenizer } from '../../src/tokenizer/types.ts';
import { classifierInput, classifyBatch } from '../../src/train/objectives/classify.ts';
import { initVerbalizerHead, makeVerbalizer, promptIds } from '../../src/train/verbalizer.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const TEXT = Array.from({ length: 40 }, (_, i) => (i % 2 ? 'the food was great. It was great.' : 'the film was terrible. It was terrible.')).join(' ');

async function tokenizer(): Promise<Tokenizer> {
  return (await trainBpe([TEXT], { vocabSize: 300, specialTokens: ['<|endoftext|>'], threads: 1 })).tokenizer;
}

/** The LM's logits (V) at the last position of `ids`. */
function lastLogits(model: AnyModel, ids: number[]): Float32Array {
  const V = model.config.vocabSize;
  const logits = noGrad(() => model.forward(Int32Array.from(ids), 1, ids.length).logits.data); // (1, T, V)
  return logits.slice((ids.length - 1) * V, ids.length * V);
}

for (const [name, config] of [
  ['gpt2 (tied)', gpt2Config({ vocabSize: 300, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 16 })],
  ['llama (untied)', llamaConfig({ vocabSize: 300, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 16, intermediateSize: 32, tieEmbeddings: false })],
] as [string, ModelConfig][]) {
  test(`verbalizer head: ${name} logits before training are the LM's verbalizer logits after the template`, async () => {
    const tok = await tokenizer();
    const v = makeVerbalizer(tok, ' It was', [' terrible', ' great']);
    assert.deepEqual(v.labelIds, [tok.encode(' terrible')[0], tok.encode(' great')[0]]);
    const model = createModel(config, { seed: 5 });
    model.eval();
    const pad = tok.specialIds.eos!;
    const clf = withHead(model, classificationHead({ numLabels: 2, pooling: 'last', padId: pad }), { seed: 6 });
    initVerbalizerHead(clf, model, v);
    clf.eval();
    const texts = ['the food was great.', 'the film was terrible. the film was'];
    const rows = texts.map((t, k) => ({ ids: promptIds(tok.encode(t), v, 32), label: k }));
    const b = classifyBatch(rows, { T: 32, padId: pad }); // right-padded: the last non-pad token is the template's end
    const got = noGrad(() => clf.forward(classifierInput(b)).logits.data); // (2, 2)
    rows.forEach((r, i) => {
      const lm = lastLogits(model, r.ids);
      for (let k = 0; k < 2; k++) {
        assert.ok(Math.abs(got[2 * i + k]! - lm[v.labelIds[k]!]!) < 1e-4, `row ${i} label ${k}: head ${got[2 * i + k]} vs LM ${lm[v.labelIds[k]!]}`);
      }
    });
  });
}

test('promptIds: the text is cut from the right, the template is kept whole', async () => {
  const v = { template: [7, 8], labelIds: [1, 2] };
  assert.deepEqual(promptIds([1, 2, 3], v, 10), [1, 2, 3, 7, 8]);
  assert.deepEqual(promptIds([1, 2, 3, 4, 5], v, 4), [1, 2, 7, 8]);
  assert.throws(() => promptIds([1], v, 2), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG');
});

test('makeVerbalizer: a word of several tokens, one word, or an empty template is an E_CONFIG error', async () => {
  const tok = await tokenizer();
  const isConfig = (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG';
  assert.throws(() => makeVerbalizer(tok, ' It was', [' terrible', ' magnificent']), (e: unknown) => isConfig(e) && /magnificent/.test((e as Error).message));
  assert.throws(() => makeVerbalizer(tok, ' It was', [' great']), isConfig);
  assert.throws(() => makeVerbalizer(tok, '', [' terrible', ' great']), isConfig);
  assert.throws(() => makeVerbalizer(tok, ' It was', [' great', ' great']), isConfig);
});

test('initVerbalizerHead: mean pooling or an encoder is refused', async () => {
  const tok = await tokenizer();
  const v = makeVerbalizer(tok, ' It was', [' terrible', ' great']);
  const gpt = createModel(gpt2Config({ vocabSize: 300, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 16 }), { seed: 1 });
  const mean = withHead(gpt, classificationHead({ numLabels: 2, pooling: 'mean', padId: 0 }));
  assert.throws(() => initVerbalizerHead(mean, gpt, v), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG');
  const bert = createModel(bertConfig({ vocabSize: 300, nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 32, head: 'none' }), { seed: 1 });
  const clf = withHead(bert, classificationHead({ numLabels: 2, pooling: 'last', padId: 0 }));
  assert.throws(() => initVerbalizerHead(clf, bert, v), (e: unknown) => e instanceof LlmtsError && e.code === 'E_MODEL');
});
