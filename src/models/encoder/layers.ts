/**
 * The BERT trunk's modules with Hugging Face's names (`BertModel`):
 * bert.embeddings.{word_embeddings, position_embeddings, token_type_embeddings, LayerNorm},
 * bert.encoder.layer.{i}.{attention.self.{query, key, value}, attention.output.{dense, LayerNorm},
 * intermediate.dense, output.{dense, LayerNorm}}, bert.pooler.dense.
 * Post-LayerNorm: each sublayer's output is added to its input, then normalised.
 *
 * @example
 * const layer = new EncoderLayer(config, rng);
 * layer.forward(x, keyMask); // (B, T, C) -> (B, T, C), keys with mask 0 hidden
 */
import { Dropout } from '../../nn/dropout.ts';
import { Embedding } from '../../nn/embedding.ts';
import { Linear } from '../../nn/linear.ts';
import { Module, ModuleList } from '../../nn/module.ts';
import { LayerNorm } from '../../nn/norm.ts';
import {
  add, addLayerNorm, attentionQkv, biasGeluErf, concat, gelu, geluErf, linear, packedAttention, type PackedSequences, type Tensor,
} from '../../tensor/index.ts';
import type { Rng } from '../../util/rng.ts';
import type { EncoderConfig } from './config.ts';

/** A named container (HF's nesting: `attention.self`, `cls.predictions.transform`, ...). */
export class Group extends Module {
  /** Registers `m` under `name` and returns it. */
  add<M extends Module>(name: string, m: M): M {
    return this.addModule(name, m);
  }
}

/** The config's activation: exact GELU ('gelu') or its tanh form ('gelu_new'). */
export function activation(c: EncoderConfig, x: Tensor): Tensor {
  return c.hiddenAct === 'gelu' ? geluErf(x) : gelu(x);
}

/** dense, dropout, then LayerNorm(input + that): HF's BertSelfOutput / BertOutput. */
class AddNorm extends Module {
  readonly dense: Linear;
  readonly norm: LayerNorm;
  private readonly drop: Dropout;

  constructor(inF: number, c: EncoderConfig, rng: Rng) {
    super();
    this.dense = this.addModule('dense', new Linear(inF, c.nEmbd, { std: 0.02, rng }));
    this.norm = this.addModule('LayerNorm', new LayerNorm(c.nEmbd, { eps: c.normEps }));
    this.drop = this.addModule('dropout', new Dropout(c.dropout, { seed: rng.nextUint32() }));
  }

  /** h (B, T, inF), residual (B, T, C) -> LayerNorm(residual + dropout(dense(h))) (B, T, C). */
  forward(h: Tensor, residual: Tensor): Tensor {
    return this.norm.forward(add(residual, this.drop.forward(this.dense.forward(h)))); // (B, T, C)
  }

  /** The inference path: LayerNorm(residual + dense(h)) with the bias, residual and norm in one pass (no dropout, no graph). */
  forwardPacked(h: Tensor, residual: Tensor): Tensor {
    return addLayerNorm(linear(h, this.dense.weight), this.dense.bias, residual, this.norm.weight, this.norm.bias, this.norm.eps); // (N, C)
  }
}

/** One post-LayerNorm block: bidirectional self-attention and the MLP. */
export class EncoderLayer extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly attnOut: AddNorm;
  readonly intermediate: Linear;
  readonly out: AddNorm;
  private readonly c: EncoderConfig;

  constructor(c: EncoderConfig, rng: Rng) {
    super();
    this.c = c;
    const C = c.nEmbd;
    const attention = this.addModule('attention', new Group());
    const self = attention.add('self', new Group());
    this.query = self.add('query', new Linear(C, C, { std: 0.02, rng }));
    this.key = self.add('key', new Linear(C, C, { std: 0.02, rng }));
    this.value = self.add('value', new Linear(C, C, { std: 0.02, rng }));
    this.attnOut = attention.add('output', new AddNorm(C, c, rng));
    this.intermediate = this.addModule('intermediate', new Group()).add('dense', new Linear(C, c.intermediateSize, { std: 0.02, rng }));
    this.out = this.addModule('output', new AddNorm(c.intermediateSize, c, rng));
  }

  /** x (B, T, C), keyMask (B, T) of 0/1 or null -> (B, T, C). */
  forward(x: Tensor, keyMask: Float32Array | null): Tensor {
    const qkv = concat([this.query.forward(x), this.key.forward(x), this.value.forward(x)], -1); // (B, T, 3C)
    const y = attentionQkv(qkv, this.c.nHead, { causal: false, keyMask }); // (B, T, C)
    const h = this.attnOut.forward(y, x); // (B, T, C)
    const m = activation(this.c, this.intermediate.forward(h)); // (B, T, H)
    return this.out.forward(m, h); // (B, T, C)
  }

  /**
   * The inference path (inference.ts; no dropout, no graph): x (N, C) packed rows of the
   * sequences `seq` (each one's keys first) -> (N, C). One GEMM for q, k and v over the
   * concatenated weights; attention without a mask or (B, H, T, T) buffer; bias + GELU and
   * bias + residual + LayerNorm fused after bias-free GEMMs.
   */
  forwardPacked(x: Tensor, seq: PackedSequences): Tensor {
    const w = concat([this.query.weight, this.key.weight, this.value.weight], 0); // (3C, C)
    const b = this.query.bias && this.key.bias && this.value.bias ? concat([this.query.bias, this.key.bias, this.value.bias], 0) : null; // (3C)
    const y = packedAttention(linear(x, w, b), this.c.nHead, seq); // (N, 3C) -> (N, C)
    const h = this.attnOut.forwardPacked(y, x); // (N, C)
    const dense = this.intermediate;
    const m = this.c.hiddenAct === 'gelu' && dense.bias ? biasGeluErf(linear(h, dense.weight), dense.bias) : activation(this.c, dense.forward(h)); // (N, F)
    return this.out.forwardPacked(m, h); // (N, C)
  }
}

/** HF's BertEmbeddings: word + position + token type, LayerNorm, dropout. */
export class EncoderEmbeddings extends Module {
  readonly words: Embedding;
  readonly positions: Embedding;
  readonly tokenTypes: Embedding;
  readonly norm: LayerNorm;
  readonly drop: Dropout;

  constructor(c: EncoderConfig, rng: Rng) {
    super();
    this.words = this.addModule('word_embeddings', new Embedding(c.vocabSize, c.nEmbd, { std: 0.02, rng }));
    this.positions = this.addModule('position_embeddings', new Embedding(c.blockSize, c.nEmbd, { std: 0.02, rng }));
    this.tokenTypes = this.addModule('token_type_embeddings', new Embedding(c.typeVocabSize, c.nEmbd, { std: 0.02, rng }));
    this.norm = this.addModule('LayerNorm', new LayerNorm(c.nEmbd, { eps: c.normEps }));
    this.drop = this.addModule('dropout', new Dropout(c.dropout, { seed: rng.nextUint32() }));
  }
}

/** HF's `bert` submodule: embeddings, encoder.layer.{i}, and the pooler when the config has one. */
export class EncoderTrunk extends Module {
  readonly embeddings: EncoderEmbeddings;
  readonly layers: ModuleList<EncoderLayer>;
  readonly pooler: Linear | null;

  constructor(c: EncoderConfig, rng: Rng) {
    super();
    this.embeddings = this.addModule('embeddings', new EncoderEmbeddings(c, rng));
    const layers = Array.from({ length: c.nLayer }, () => new EncoderLayer(c, rng));
    this.layers = this.addModule('encoder', new Group()).add('layer', new ModuleList(layers));
    this.pooler = c.pooler ? this.addModule('pooler', new Group()).add('dense', new Linear(c.nEmbd, c.nEmbd, { std: 0.02, rng })) : null;
  }
}
