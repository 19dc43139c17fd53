/**
 * Heads: small modules on a model's trunk (its final hidden states (B, T, C)), so one
 * pretrained trunk serves language modelling, sequence classification and token
 * classification. `withHead(model, head)` puts a head on any model that follows the
 * contract (../model.ts): the result holds the model's trunk under its own HF name
 * (`transformer` / `model`) and the head under HF's (`lm_head`, `score`), so its state dict
 * is what transformers' `...ForSequenceClassification` / `...ForTokenClassification` save.
 * - `lmHead({ vocabSize })`: logits (B, T, V), `lm_head.weight`, no bias;
 * - `classificationHead({ numLabels, pooling, padId })`: one vector per sequence, the
 *   hidden state of its last non-pad token (HF's rule: the rightmost id != padId; without
 *   padId the last position) or the mean over its non-pad tokens, then `score.weight`
 *   (no bias, as GPT2/LlamaForSequenceClassification) -> logits (B, numLabels);
 * - `tokenClassificationHead({ numLabels })`: logits (B, T, numLabels), `score.weight` +
 *   `score.bias` (as LlamaForTokenClassification).
 * Each head's `loss` is the cross-entropy of its logits against integer labels (-100 =
 * ignore).
 *
 * @example
 * const clf = withHead(loadModel('runs/x').model, classificationHead({ numLabels: 2, padId: 0 }), { seed: 1 });
 * const { logits, loss } = clf.forward({ ids, B, T }, labels); // logits (B, 2); labels Int32Array(B)
 * loss!.backward();
 */
import { Module } from '../nn/module.ts';
import { Parameter } from '../nn/parameter.ts';
import { crossEntropy, linear, matmul, reshape, Tensor } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { InfoOptions, Model, ModelConfigBase, ModelInfo, TokenInput } from './model.ts';

/** A head on hidden states (B, T, C). */
export abstract class Head extends Module {
  /** The name HF gives the head's submodule ('lm_head', 'score'). */
  abstract readonly hfName: string;
  /** hidden (B, T, C) and the trunk's input (ids, for pooling) -> logits. */
  abstract forward(hidden: Tensor, input: TokenInput): Tensor;

  /** Mean cross-entropy of `logits` (rows, classes) against `labels` (one per row, -100 = ignore). */
  loss(logits: Tensor, labels: Int32Array): Tensor {
    return crossEntropy(logits, labels); // ()
  }
}

/** Builds a head for hidden width C from a seeded Rng (what `withHead` calls). */
export type HeadFactory = (hiddenSize: number, rng: Rng) => Head;

/** Language-model head: hidden (B, T, C) -> logits (B, T, V) through `lm_head.weight` (V, C). */
class LMHead extends Head {
  readonly hfName = 'lm_head';
  readonly weight: Tensor;

  constructor(C: number, V: number, rng: Rng) {
    super();
    this.weight = this.addParameter('weight', Parameter.normal([V, C], 0.02, rng));
  }

  forward(hidden: Tensor): Tensor {
    return linear(hidden, this.weight); // (B, T, V)
  }
}

/** See the module comment. */
export function lmHead(o: { vocabSize: number }): HeadFactory {
  positive(o.vocabSize, 'vocabSize');
  return (C, rng) => new LMHead(C, o.vocabSize, rng);
}

/** How a sequence becomes one vector: its last non-pad token, or the mean over its non-pad tokens. */
export type Pooling = 'last' | 'mean';

/** Sequence classification: pooled hidden (B, C) -> logits (B, numLabels) through `score.weight`. */
class ClassificationHead extends Head {
  readonly hfName = 'score';
  readonly weight: Tensor;
  readonly pooling: Pooling;
  readonly padId: number | undefined;

  constructor(C: number, numLabels: number, pooling: Pooling, padId: number | undefined, rng: Rng) {
    super();
    this.pooling = pooling;
    this.padId = padId;
    this.weight = this.addParameter('weight', Parameter.normal([numLabels, C], 0.02, rng));
  }

  forward(hidden: Tensor, input: TokenInput): Tensor {
    const [B, , C] = hidden.shape as [number, number, number];
    const w = poolingWeights(input, this.pooling, this.padId); // (B, 1, T), no gradient
    const pooled = reshape(matmul(w, hidden), [B, C]); // (B, 1, T) @ (B, T, C) -> (B, C)
    return linear(pooled, this.weight); // (B, numLabels)
  }
}

/**
 * The pooling of each row as weights over its positions (B, 1, T): 'last' puts 1 on the
 * rightmost id != padId (the last position without padId), 'mean' 1/n on the n non-pad
 * positions. A row of only padding is an error.
 */
export function poolingWeights(input: TokenInput, pooling: Pooling, padId: number | undefined): Tensor {
  const { ids, B, T } = input;
  const w = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const row = ids.subarray(b * T, (b + 1) * T);
    const keep = Array.from(row, (id) => padId === undefined || id !== padId);
    const n = keep.filter(Boolean).length;
    if (n === 0) {
      throw new LlmtsError('E_INPUT', `sequence ${b} is all padding (pad id ${padId})`, { where: 'classificationHead', hint: 'give every sequence at least one real token' });
    }
    if (pooling === 'last') w[b * T + keep.lastIndexOf(true)] = 1;
    else keep.forEach((k, t) => { if (k) w[b * T + t] = 1 / n; });
  }
  return new Tensor(w, [B, 1, T]); // (B, 1, T)
}

/** See the module comment. */
export function classificationHead(o: { numLabels: number; pooling?: Pooling; padId?: number }): HeadFactory {
  positive(o.numLabels, 'numLabels');
  const pooling = o.pooling ?? 'last';
  if (pooling !== 'last' && pooling !== 'mean') {
    throw new LlmtsError('E_CONFIG', `pooling must be 'last' or 'mean', got ${JSON.stringify(pooling)}`, { where: 'classificationHead.pooling' });
  }
  return (C, rng) => new ClassificationHead(C, o.numLabels, pooling, o.padId, rng);
}

/** Token classification: hidden (B, T, C) -> logits (B, T, numLabels) through `score` (weight and bias). */
class TokenClassificationHead extends Head {
  readonly hfName = 'score';
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(C: number, numLabels: number, rng: Rng) {
    super();
    this.weight = this.addParameter('weight', Parameter.normal([numLabels, C], 0.02, rng));
    this.bias = this.addParameter('bias', Parameter.zeros([numLabels]));
  }

  forward(hidden: Tensor): Tensor {
    return linear(hidden, this.weight, this.bias); // (B, T, numLabels)
  }
}

/** See the module comment. */
export function tokenClassificationHead(o: { numLabels: number }): HeadFactory {
  positive(o.numLabels, 'numLabels');
  return (C, rng) => new TokenClassificationHead(C, o.numLabels, rng);
}

/** Output of `ModelWithHead.forward`. */
export interface HeadOutput {
  /** The head's logits: (B, T, V), (B, numLabels) or (B, T, numLabels). */
  logits: Tensor;
  /** The head's loss when labels were given. */
  loss: Tensor | null;
}

/** A model's trunk with a head; see the module comment. */
export class ModelWithHead<C extends ModelConfigBase = ModelConfigBase> extends Module {
  readonly base: Model<C, TokenInput>;
  readonly head: Head;

  constructor(base: Model<C, TokenInput>, head: Head) {
    super();
    this.base = base;
    this.head = head;
    this.addModule(base.trunkName, base.trunk);
    this.addModule(head.hfName, head);
  }

  get config(): C {
    return this.base.config;
  }

  get hiddenSize(): number {
    return this.base.hiddenSize;
  }

  /** The trunk's hidden states (B, T, C). */
  hiddenStates(input: TokenInput): Tensor {
    return this.base.hiddenStates(input); // (B, T, C)
  }

  /** input -> the head's logits, and its loss against `labels` when given. */
  forward(input: TokenInput, labels?: Int32Array | null): HeadOutput {
    const logits = this.head.forward(this.hiddenStates(input), input);
    return { logits, loss: labels ? this.head.loss(logits, labels) : null };
  }

  /** The trunk's FLOPs and memory, with this model's parameters (trunk + head). */
  info(o?: InfoOptions): ModelInfo {
    const n = this.numParameters();
    return { ...this.base.info(o), params: n, weightBytes: 4 * n, trainStateBytes: 16 * n };
  }
}

/** Puts the head `factory` builds (weights from Rng(seed), default 1337) on `model`'s trunk. */
export function withHead<C extends ModelConfigBase>(model: Model<C, TokenInput>, factory: HeadFactory, opts: { seed?: number } = {}): ModelWithHead<C> {
  return new ModelWithHead(model, factory(model.hiddenSize, new Rng(opts.seed ?? 1337)));
}

function positive(v: number, name: string): void {
  if (!Number.isInteger(v) || v <= 0) throw new LlmtsError('E_CONFIG', `${name} must be a positive integer, got ${v}`, { where: name });
}
