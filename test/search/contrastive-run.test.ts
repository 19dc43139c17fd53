// A tiny contrastive run (src/train/contrastive-run.ts) learns a made-up two-language
// lexicon: after training, each "english" sentence retrieves its "french" pair far above
// chance, the same seed gives the same weights, and the saved model embeds as llmts embed does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sentenceEmbeddings } from '../../src/infer/encoder.ts';
import { evaluateRetrieval } from '../../src/search/recall.ts';
import { trainContrastive } from '../../src/train/contrastive-run.ts';
import type { TextPair } from '../../src/train/contrastive.ts';
import { Rng } from '../../src/util/rng.ts';

const EN = ['cat', 'dog', 'red', 'big', 'house', 'tree', 'runs', 'sleeps', 'eats', 'small', 'blue', 'car'];
const FR = ['chat', 'chien', 'rouge', 'grand', 'maison', 'arbre', 'court', 'dort', 'mange', 'petit', 'bleu', 'voiture'];

function sentences(n: number, seed: number): TextPair[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, g) => {
    const words = [rng.int(EN.length), rng.int(EN.length), rng.int(EN.length)];
    return { query: words.map((w) => EN[w]).join(' '), doc: words.map((w) => FR[w]).join(' '), group: g };
  });
}

test('contrastive training on a toy lexicon: retrieval far above chance, deterministic', async () => {
  const train = sentences(300, 1), held = sentences(40, 2);
  const opts = {
    sets: [{ pairs: train, batchSize: 32, maxLen: [8, 8] as [number, number] }], steps: 120, seed: 3, lr: 3e-3, vocabSize: 60,
    model: { nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 16, dropout: 0 }, log: () => {},
  };
  const run = await trainContrastive(opts);
  assert.ok(run.loop.losses.at(-1)! < run.loop.losses[0]! / 2, `loss ${run.loop.losses[0]} -> ${run.loop.losses.at(-1)}`);
  const embed = (texts: readonly string[]) => sentenceEmbeddings(run.model, run.tokenizer, texts);
  const r = evaluateRetrieval({ name: 'toy', queries: held.map((p) => p.query), docs: held.map((p) => p.doc), relevant: held.map((_, i) => i) }, embed);
  assert.equal(r.recallAt1.bm25, 0, 'no word is shared, so BM25 finds nothing');
  assert.ok(r.recallAt1.dense! >= 0.5, `dense R@1 ${r.recallAt1.dense} (chance 0.025)`);
  const again = await trainContrastive(opts);
  assert.deepEqual(again.loop.losses, run.loop.losses, 'the same seed gives the same run');
});
