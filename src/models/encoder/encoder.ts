/**
 * The BERT-style encoder (see config.ts) with Hugging Face's names: the trunk `bert.*`
 * (layers.ts) and one head:
 * - 'mlm': cls.predictions.transform.{dense, LayerNorm}, the decoder tied to
 *   bert.embeddings.word_embeddings, cls.predictions.bias -> logits (B, T, V);
 * - 'sequence': dropout + classifier over the pooler's output -> (B, numLabels);
 * - 'token': dropout + classifier over every position -> (B, T, numLabels);
 * - 'none' (BertModel): `forward` gives the last hidden states (B, T, C).
 * It follows the `LanguageModel` contract (`forward(ids, B, T, targets)`), so the
 * masked-LM objective and the checkpoint code take it as they take a decoder; it does
 * not generate (`newCache` / `decodePlan` are E_MODEL errors).
 *
 * With targets, the 'mlm' head scores only the positions whose target is not -100 (the
 * ~15% masked ones): `logits` are then those rows (N, V) in order, followed by padding rows
 * up to a multiple of 64 (fewer than B*T rows in all; see mlmOutput), and the loss is the
 * mean cross-entropy of the N, as BertForMaskedLM's.
 *
 * @example
 * const bert = createModel(bertConfig({ vocabSize: 30522, nLayer: 4, nHead: 4, nEmbd: 256 }));
 * const { hidden, pooled } = bert.encode({ ids, B, T, attentionMask });
 */
import { Dropout } from '../../nn/dropout.ts';
import type { KVCache } from '../../nn/kv-cache.ts';
import { Linear } from '../../nn/linear.ts';
import { Module } from '../../nn/module.ts';
import { LayerNorm } from '../../nn/norm.ts';
import { Parameter } from '../../nn/parameter.ts';
import { add, crossEntropy, embedding, isGradEnabled, linear, narrow, reshape, tanh, type Tensor } from '../../tensor/index.ts';
import { LlmtsError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import type { DecodePlan } from '../decode-plan.ts';
import type { InfoOptions, LanguageModel, LMOutput, ModelInfo, TokenInput } from '../model.ts';
import { validateEncoderConfig, type EncoderConfig } from './config.ts';
import { encoderInfo } from './info.ts';
import { activation, EncoderTrunk, Group } from './layers.ts';
import { inferenceHiddenStates } from './inference.ts';

/** An encoder's input: token ids, and optionally the padding mask and segment ids. */
export interface EncoderInput extends TokenInput {
  /** (B, T) of 0/1, 0 = padding (HF's attention_mask); default all 1. */
  attentionMask?: Float32Array | null;
  /** (B, T) segment ids (HF's token_type_ids); default all 0. */
  tokenTypes?: Int32Array | null;
  /**
   * Inference only (inside noGrad, dropout off): padded positions (mask 0) are not computed
   * and their hidden states are zeros, instead of the values transformers computes there
   * (which attend to the real tokens and which nothing should read). Default false.
   */
  skipPadding?: boolean;
}

/** What `encode` returns. */
export interface EncoderOutput {
  /** Last hidden states (B, T, C). */
  hidden: Tensor;
  /** The pooler's output tanh(dense(hidden[:, 0])) (B, C), or null without a pooler. */
  pooled: Tensor | null;
}

/** The MLM head's scored rows are padded to a multiple of this (see mlmOutput). */
const MLM_ROW_BUCKET = 64;

/** HF's BertLMPredictionHead: transform (dense, activation, LayerNorm), then the tied decoder plus its own bias. */
class MlmHead extends Module {
  readonly dense: Linear;
  readonly norm: LayerNorm;
  readonly bias: Tensor;

  constructor(c: EncoderConfig, rng: Rng) {
    super();
    const transform = this.addModule('transform', new Group());
    this.dense = transform.add('dense', new Linear(c.nEmbd, c.nEmbd, { std: 0.02, rng }));
    this.norm = transform.add('LayerNorm', new LayerNorm(c.nEmbd, { eps: c.normEps }));
    this.bias = this.addParameter('bias', Parameter.zeros([c.vocabSize]));
  }

  /** hidden (..., C), the word embeddings (V, C) -> logits (..., V). */
  forward(c: EncoderConfig, hidden: Tensor, words: Tensor): Tensor {
    const t = this.norm.forward(activation(c, this.dense.forward(hidden))); // (..., C)
    return linear(t, words, this.bias); // (..., V)
  }
}

/** See the module comment. */
export class Encoder extends Module implements LanguageModel<EncoderConfig> {
  readonly config: EncoderConfig;
  readonly trunk: EncoderTrunk;
  readonly trunkName = 'bert';
  private readonly mlm: MlmHead | null = null;
  private readonly classifier: Linear | null = null;
  private readonly drop: Dropout;
  private readonly positionIds: Int32Array;

  /** Builds the model; all weights come from Rng(seed) in construction order. */
  constructor(config: EncoderConfig, opts: { seed?: number } = {}) {
    super();
    this.config = validateEncoderConfig(config);
    const rng = new Rng(opts.seed ?? 1337);
    this.trunk = this.addModule('bert', new EncoderTrunk(config, rng));
    if (config.head === 'mlm') this.mlm = this.addModule('cls', new Group()).add('predictions', new MlmHead(config, rng));
    if (config.head === 'sequence' || config.head === 'token') {
      this.classifier = this.addModule('classifier', new Linear(config.nEmbd, config.numLabels, { std: 0.02, rng }));
    }
    this.drop = this.addModule('dropout', new Dropout(config.dropout, { seed: rng.nextUint32() }));
    this.positionIds = Int32Array.from({ length: config.blockSize }, (_, i) => i);
  }

  /** Width of the hidden states (nEmbd). */
  get hiddenSize(): number {
    return this.config.nEmbd;
  }

  /** ids (B, T) (+ padding mask, segment ids) -> the last hidden states (B, T, C). */
  hiddenStates(input: EncoderInput): Tensor {
    const { ids, B, T } = input;
    const c = this.config;
    if (ids.length !== B * T) {
      throw new LlmtsError('E_SHAPE', `Encoder: ${ids.length} ids for B=${B}, T=${T}`, { where: 'Encoder.forward', hint: 'pass B*T ids' });
    }
    if (T > c.blockSize) {
      throw new LlmtsError('E_SHAPE', `sequence of ${T} tokens is longer than the encoder's ${c.blockSize} positions`, { where: 'Encoder.forward', hint: `cut inputs to ${c.blockSize} tokens` });
    }
    const mask = input.attentionMask ?? null;
    if (mask && mask.length !== B * T) {
      throw new LlmtsError('E_SHAPE', `Encoder: attention mask of ${mask.length} entries for B=${B}, T=${T}`, { where: 'Encoder.forward', hint: 'one 0/1 entry per id' });
    }
    if (!isGradEnabled() && (!this.training || c.dropout === 0)) {
      const { tokenTypes = null, skipPadding = false } = input;
      return inferenceHiddenStates(this.trunk, c, { ids, B, T, attentionMask: mask, tokenTypes, skipPadding }); // (B, T, C)
    }
    const emb = this.trunk.embeddings;
    const types = input.tokenTypes ?? new Int32Array(B * T);
    let x = add(emb.words.forward(ids, [B, T]), emb.tokenTypes.forward(types, [B, T])); // (B, T, C)
    x = add(x, emb.positions.forward(this.positionIds.subarray(0, T), [T])); // (B, T, C) + (T, C)
    x = emb.drop.forward(emb.norm.forward(x)); // (B, T, C)
    for (const layer of this.trunk.layers.items) x = layer.forward(x, mask); // (B, T, C)
    return x;
  }

  /** The last hidden states and the pooler's output (null without a pooler). */
  encode(input: EncoderInput): EncoderOutput {
    const hidden = this.hiddenStates(input); // (B, T, C)
    return { hidden, pooled: this.pool(hidden) };
  }

  private pool(hidden: Tensor): Tensor | null {
    if (!this.trunk.pooler) return null;
    const [B, , C] = hidden.shape as [number, number, number];
    const first = reshape(narrow(hidden, 1, 0, 1), [B, C]); // (B, C): the [CLS] position
    return tanh(this.trunk.pooler.forward(first)); // (B, C)
  }

  /**
   * ids (B, T) -> the head's logits (see the module comment) and, with targets, its loss
   * (-100 = ignore): MLM (B*T targets), sequence (B labels), token (B*T labels).
   */
  forward(ids: Int32Array, B: number, T: number, targets?: Int32Array | null, cache?: KVCache | null): LMOutput {
    return this.run({ ids, B, T, cache }, targets ?? null);
  }

  /** `forward` with a padding mask and segment ids. */
  run(input: EncoderInput, targets: Int32Array | null = null): LMOutput {
    if (input.cache) throw noGeneration('a KV cache');
    const c = this.config;
    const hidden = this.hiddenStates(input); // (B, T, C)
    const { B, T } = input;
    if (c.head === 'mlm') return this.mlmOutput(hidden, targets);
    if (c.head === 'none') {
      if (targets) throw new LlmtsError('E_MODEL', 'a bert model without a head (BertModel) has no loss', { where: 'Encoder.forward', hint: "use head 'mlm', 'sequence' or 'token'" });
      return { logits: hidden, loss: null };
    }
    const feats = c.head === 'sequence' ? this.pool(hidden)! : hidden; // (B, C) or (B, T, C)
    const logits = this.classifier!.forward(this.drop.forward(feats)); // (B, numLabels) or (B, T, numLabels)
    const want = c.head === 'sequence' ? B : B * T;
    if (targets && targets.length !== want) {
      throw new LlmtsError('E_SHAPE', `Encoder (${c.head} head): ${targets.length} labels, expected ${want}`, { where: 'Encoder.forward', hint: c.head === 'sequence' ? 'one label per sequence' : 'one label per token' });
    }
    return { logits, loss: targets ? crossEntropy(logits, targets) : null };
  }

  private mlmOutput(hidden: Tensor, targets: Int32Array | null): LMOutput {
    const [B, T, C] = hidden.shape as [number, number, number];
    const words = this.trunk.embeddings.words.weight;
    if (!targets) return { logits: this.mlm!.forward(this.config, hidden, words), loss: null }; // (B, T, V)
    if (targets.length !== B * T) {
      throw new LlmtsError('E_SHAPE', `Encoder: ${targets.length} targets for B=${B}, T=${T}`, { where: 'Encoder.forward', hint: 'one target (or -100) per id' });
    }
    const rows: number[] = [];
    for (let i = 0; i < targets.length; i++) if (targets[i] !== -100) rows.push(i);
    if (rows.length === 0) {
      const logits = this.mlm!.forward(this.config, hidden, words); // (B, T, V)
      return { logits, loss: crossEntropy(logits, targets) };
    }
    // The count of masked positions varies from batch to batch; rounded up to a multiple of
    // MLM_ROW_BUCKET (the extra rows pick position 0 and are ignored by the loss), the (N, V)
    // buffers come in a few sizes that the buffer pool reuses, instead of new ~75 MB buffers
    // for every new count (which grew a bert-mini run past 10 GB).
    const padded = Math.ceil(rows.length / MLM_ROW_BUCKET) * MLM_ROW_BUCKET;
    const n = padded < B * T ? padded : rows.length;
    const picks = new Int32Array(n), pickedTargets = new Int32Array(n).fill(-100);
    rows.forEach((i, k) => { picks[k] = i; pickedTargets[k] = targets[i]!; });
    const picked = embedding(reshape(hidden, [B * T, C]), picks, [n]); // (n, C): the scored positions, then padding
    const logits = this.mlm!.forward(this.config, picked, words); // (n, V)
    return { logits, loss: crossEntropy(logits, pickedTargets) };
  }

  /** Encoders do not generate: an E_MODEL error. */
  newCache(): KVCache {
    throw noGeneration('newCache');
  }

  /** Encoders do not generate: an E_MODEL error. */
  decodePlan(): DecodePlan {
    throw noGeneration('decodePlan');
  }

  /** Parameters, FLOPs and memory (see info.ts). */
  info(o?: InfoOptions): ModelInfo {
    return encoderInfo(this.config, o);
  }
}

function noGeneration(what: string): LlmtsError {
  return new LlmtsError('E_MODEL', `bert is an encoder: it does not generate text (${what})`, {
    where: 'Encoder', hint: 'use llmts fill-mask or llmts embed with an encoder; generate, chat and completions need a decoder' });
}
