/**
 * The hierarchical attention network (Yang et al. 2016) over a `DocBatch`:
 *   words (Ns, T) -> embeddings (Ns, T, D) -> bi-GRU (Ns, T, 2Hw) -> word attention
 *   -> sentence vectors (Ns, 2Hw) -> the (B, S) grid -> bi-GRU (B, S, 2Hs)
 *   -> sentence attention -> document vectors (B, 2Hs) -> classifier (B, L)
 * Padding is masked at both levels (the GRUs carry their state over it, the attention
 * gives it weight 0). Parameter names: `han.embeddings.weight`, `han.word_gru.*` and
 * `han.sent_gru.*` (torch.nn.GRU's), `han.word_attn.*` / `han.sent_attn.*` (`proj`,
 * `context`), `classifier.*`.
 *
 * @example
 * const model = new Han(hanConfig({ arch: 'han', vocabSize: 100 }), { seed: 1 });
 * const { logits, loss, wordWeights } = model.forward(batchDocuments(docs, labels));
 */
import { Dropout } from '../../nn/dropout.ts';
import { Embedding } from '../../nn/embedding.ts';
import { Linear } from '../../nn/linear.ts';
import { Module } from '../../nn/module.ts';
import { crossEntropy, gatherRows, reshape, Tensor } from '../../tensor/index.ts';
import { Rng } from '../../util/rng.ts';
import type { CreateOptions, InfoOptions, Model, ModelInfo } from '../model.ts';
import { AttentionPool, maskBias } from './attention-pool.ts';
import type { DocBatch } from './batch.ts';
import { BiGru } from './bigru.ts';
import type { HanConfig } from './config.ts';
import { hanInfo } from './info.ts';

/** What the models of this family return. */
export interface HanOutput {
  /** (B, numLabels). */
  logits: Tensor;
  /** Mean cross-entropy over the documents' labels, when asked for. */
  loss: Tensor | null;
  /** (sentences, T) word attention weights (han only). */
  wordWeights: Tensor | null;
  /** (B, S) sentence attention weights (han only). */
  sentWeights: Tensor | null;
}

/** Embeddings, both encoders and both attention layers: documents -> document vectors. */
export class HanTrunk extends Module {
  readonly embeddings: Embedding;
  readonly wordGru: BiGru;
  readonly wordAttn: AttentionPool;
  readonly sentGru: BiGru;
  readonly sentAttn: AttentionPool;
  readonly drop: Dropout;

  constructor(readonly config: HanConfig, rng: Rng, seed: number) {
    super();
    const c = config;
    this.embeddings = this.addModule('embeddings', new Embedding(c.vocabSize, c.embedDim, { std: 0.1, rng }));
    this.wordGru = this.addModule('word_gru', new BiGru(c.embedDim, c.wordHidden, rng));
    this.wordAttn = this.addModule('word_attn', new AttentionPool(2 * c.wordHidden, c.attnDim, rng));
    this.sentGru = this.addModule('sent_gru', new BiGru(2 * c.wordHidden, c.sentHidden, rng));
    this.sentAttn = this.addModule('sent_attn', new AttentionPool(2 * c.sentHidden, c.attnDim, rng));
    this.drop = this.addModule('drop', new Dropout(c.dropout, { seed }));
  }

  /** Document vectors (B, 2Hs) and both levels' attention weights. */
  forward(b: DocBatch): { docs: Tensor; wordWeights: Tensor; sentWeights: Tensor } {
    const Ns = b.sentences, T = b.maxWords, B = b.docs, S = b.maxSentences;
    const x = this.drop.forward(this.embeddings.forward(b.wordIds, [Ns, T])); // (Ns, T, D)
    const hw = this.wordGru.forward(x, b.wordLens); // (Ns, T, 2Hw)
    const words = this.wordAttn.forward(hw, maskBias(b.wordLens, T)); // (Ns, 2Hw), (Ns, T)
    const zero = Tensor.zeros([1, 2 * this.config.wordHidden]);
    const grid = reshape(gatherRows([words.pooled, zero], b.sentSource, b.sentRow), [B, S, 2 * this.config.wordHidden]); // (B, S, 2Hw)
    const hs = this.sentGru.forward(grid, b.sentLens); // (B, S, 2Hs)
    const sents = this.sentAttn.forward(hs, maskBias(b.sentLens, S)); // (B, 2Hs), (B, S)
    return { docs: sents.pooled, wordWeights: words.weights, sentWeights: sents.weights };
  }
}

/** See the module comment. */
export class Han extends Module implements Model<HanConfig, DocBatch> {
  readonly trunk: HanTrunk;
  readonly trunkName = 'han';
  readonly classifier: Linear;
  readonly drop: Dropout;
  readonly hiddenSize: number;

  constructor(readonly config: HanConfig, opts: CreateOptions = {}) {
    super();
    const seed = opts.seed ?? 1337;
    const rng = new Rng(seed);
    this.hiddenSize = 2 * config.sentHidden;
    this.trunk = this.addModule('han', new HanTrunk(config, rng, seed));
    this.classifier = this.addModule('classifier', new Linear(this.hiddenSize, config.numLabels, { std: 1 / Math.sqrt(this.hiddenSize), rng }));
    this.drop = this.addModule('drop', new Dropout(config.dropout, { seed: seed + 1 }));
  }

  /** Document vectors, (B, 2Hs). */
  hiddenStates(b: DocBatch): Tensor {
    return this.trunk.forward(b).docs;
  }

  /** Logits, the loss (with `withLoss`, default true) and the attention weights of both levels. */
  forward(b: DocBatch, withLoss = true): HanOutput {
    const t = this.trunk.forward(b);
    const logits = this.classifier.forward(this.drop.forward(t.docs)); // (B, numLabels)
    return { logits, loss: withLoss ? crossEntropy(logits, b.labels) : null, wordWeights: t.wordWeights, sentWeights: t.sentWeights };
  }

  info(o: InfoOptions = {}): ModelInfo {
    return hanInfo(this.config, o);
  }
}
