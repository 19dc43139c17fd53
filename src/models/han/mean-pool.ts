/**
 * The flat baseline of the HAN family (arch `mean-pool`): the mean of every word vector
 * of a document, sentences ignored, then u = tanh(W m + b) and a linear classifier. It
 * reads the same `DocBatch` as `Han` (only word ids and lengths), so both train through
 * the same objective and budget. Parameter names: `mean.embeddings.weight`,
 * `mean.proj.*`, `classifier.*`.
 *
 * @example
 * const base = new MeanPoolModel(hanConfig({ arch: 'mean-pool', vocabSize: 100 }), { seed: 1 });
 * base.forward(batchDocuments(docs, labels)).loss!.backward();
 */
import { Dropout } from '../../nn/dropout.ts';
import { Embedding } from '../../nn/embedding.ts';
import { Linear } from '../../nn/linear.ts';
import { Module } from '../../nn/module.ts';
import { crossEntropy, matmul, reshape, scatterAddRows, tanh, Tensor } from '../../tensor/index.ts';
import { Rng } from '../../util/rng.ts';
import type { CreateOptions, InfoOptions, Model, ModelInfo } from '../model.ts';
import type { DocBatch } from './batch.ts';
import type { HanConfig } from './config.ts';
import type { HanOutput } from './han.ts';
import { hanInfo } from './info.ts';

/** Embeddings and the tanh layer: documents -> (B, attnDim). */
export class MeanPoolTrunk extends Module {
  readonly embeddings: Embedding;
  readonly proj: Linear;
  readonly drop: Dropout;

  constructor(readonly config: HanConfig, rng: Rng, seed: number) {
    super();
    this.embeddings = this.addModule('embeddings', new Embedding(config.vocabSize, config.embedDim, { std: 0.1, rng }));
    this.proj = this.addModule('proj', new Linear(config.embedDim, config.attnDim, { std: 1 / Math.sqrt(config.embedDim), rng }));
    this.drop = this.addModule('drop', new Dropout(config.dropout, { seed }));
  }

  /** (B, attnDim): tanh(W mean(words) + b) per document. */
  forward(b: DocBatch): Tensor {
    const Ns = b.sentences, T = b.maxWords;
    // per word 1 / (words of its document): a sentence's weighted sum is its share of the document mean
    const w = new Float32Array(Ns * T), docOf = new Int32Array(Ns);
    let row = 0;
    for (let d = 0; d < b.docs; d++) {
      let n = 0;
      for (let k = 0; k < b.sentLens[d]!; k++) n += b.wordLens[row + k]!;
      for (let k = 0; k < b.sentLens[d]!; k++, row++) {
        w.fill(1 / n, row * T, row * T + b.wordLens[row]!);
        docOf[row] = d;
      }
    }
    const x = this.drop.forward(this.embeddings.forward(b.wordIds, [Ns, T])); // (Ns, T, D)
    const sums = reshape(matmul(new Tensor(w, [Ns, 1, T]), x), [Ns, this.config.embedDim]); // (Ns, 1, T) @ (Ns, T, D) -> (Ns, D)
    const mean = scatterAddRows(sums, docOf, b.docs); // (B, D)
    return tanh(this.proj.forward(mean)); // (B, A)
  }
}

/** See the module comment. */
export class MeanPoolModel extends Module implements Model<HanConfig, DocBatch> {
  readonly trunk: MeanPoolTrunk;
  readonly trunkName = 'mean';
  readonly classifier: Linear;
  readonly hiddenSize: number;

  constructor(readonly config: HanConfig, opts: CreateOptions = {}) {
    super();
    const seed = opts.seed ?? 1337;
    const rng = new Rng(seed);
    this.hiddenSize = config.attnDim;
    this.trunk = this.addModule('mean', new MeanPoolTrunk(config, rng, seed));
    this.classifier = this.addModule('classifier', new Linear(config.attnDim, config.numLabels, { std: 1 / Math.sqrt(config.attnDim), rng }));
  }

  /** Document vectors, (B, attnDim). */
  hiddenStates(b: DocBatch): Tensor {
    return this.trunk.forward(b);
  }

  /** Logits and the loss (with `withLoss`, default true); no attention weights. */
  forward(b: DocBatch, withLoss = true): HanOutput {
    const logits = this.classifier.forward(this.trunk.forward(b)); // (B, numLabels)
    return { logits, loss: withLoss ? crossEntropy(logits, b.labels) : null, wordWeights: null, sentWeights: null };
  }

  info(o: InfoOptions = {}): ModelInfo {
    return hanInfo(this.config, o);
  }
}
