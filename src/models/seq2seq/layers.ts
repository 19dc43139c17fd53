/**
 * BART's blocks with Hugging Face's names (`BartEncoderLayer`, `BartDecoderLayer`):
 * layers.{i}.{self_attn.{k,v,q,out}_proj, self_attn_layer_norm, [encoder_attn.{k,v,q,out}_proj,
 * encoder_attn_layer_norm], fc1, fc2, final_layer_norm}. Post-LayerNorm: each sublayer's
 * output (after dropout) is added to its input, then normalised.
 *
 * Attention is the tensor-level composition of projections and the fused `attention` op
 * (causal or not, key padding mask, a KV cache with an offset): cross-attention is
 * `attention(q_dec, k_enc, v_enc, { causal: false, keyMask: sourceMask })` with Tq != Tk,
 * whose backward is the attention kernel's. For decoding, the cross keys/values of each
 * layer are computed once per source (`crossKeyValues`) and read at every step.
 *
 * @example
 * const y = layer.forward(x, memory, { selfMask: null, sourceMask }); // (B, T, C)
 */
import { Dropout } from '../../nn/dropout.ts';
import type { KVCache } from '../../nn/kv-cache.ts';
import { Linear } from '../../nn/linear.ts';
import { Module } from '../../nn/module.ts';
import { LayerNorm } from '../../nn/norm.ts';
import { add, attention, gelu, geluErf, reshape, transpose12, type Tensor } from '../../tensor/index.ts';
import type { Rng } from '../../util/rng.ts';
import type { Seq2SeqConfig } from './config.ts';

/** A padded source batch: ids (B, S) and the mask of real tokens (1) and padding (0). */
export interface SourceBatch {
  ids: Int32Array;
  B: number;
  S: number;
  /** (B, S) of 0/1; null = no padding. */
  mask?: Float32Array | Uint8Array | null;
}

/** A 0/1 mask as Float32Array (what attention takes), or null when absent. */
export function floatMask(mask: Float32Array | Uint8Array | null | undefined): Float32Array | null {
  if (!mask) return null;
  return mask instanceof Float32Array ? mask : Float32Array.from(mask);
}

/** The config's activation: exact GELU ('gelu') or its tanh form ('gelu_new'). */
function activation(c: Seq2SeqConfig, x: Tensor): Tensor {
  return c.hiddenAct === 'gelu' ? geluErf(x) : gelu(x);
}

/** Keys and values of one attention layer, (B, nh, Tk, hs) each. */
export interface KeyValues {
  k: Tensor;
  v: Tensor;
}

/** HF's BartAttention: k/v/q/out projections with biases, heads of nEmbd / nHead. */
export class BartAttention extends Module {
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly qProj: Linear;
  readonly outProj: Linear;
  readonly nHead: number;

  constructor(c: Seq2SeqConfig, rng: Rng) {
    super();
    const C = c.nEmbd;
    this.nHead = c.nHead;
    this.kProj = this.addModule('k_proj', new Linear(C, C, { std: 0.02, rng }));
    this.vProj = this.addModule('v_proj', new Linear(C, C, { std: 0.02, rng }));
    this.qProj = this.addModule('q_proj', new Linear(C, C, { std: 0.02, rng }));
    this.outProj = this.addModule('out_proj', new Linear(C, C, { std: 0.02, rng }));
  }

  /** x (B, T, C) -> (B, nh, T, hs). */
  heads(x: Tensor): Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    return transpose12(reshape(x, [B, T, this.nHead, C / this.nHead])); // (B, nh, T, hs)
  }

  /** Keys and values of `src` (B, Tk, C): (B, nh, Tk, hs) each. */
  keyValues(src: Tensor): KeyValues {
    return { k: this.heads(this.kProj.forward(src)), v: this.heads(this.vProj.forward(src)) }; // (B, nh, Tk, hs)
  }

  /**
   * x (B, T, C) attends to `kv` (B, nh, Tk, hs) -> (B, T, C). `kvLen` < Tk reads a
   * partly filled cache (noGrad); `posOffset` is the position of x's first row.
   */
  attend(x: Tensor, kv: KeyValues, o: { causal: boolean; keyMask: Float32Array | null; posOffset?: number; kvLen?: number }): Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    const q = this.heads(this.qProj.forward(x)); // (B, nh, T, hs)
    const y = attention(q, kv.k, kv.v, { causal: o.causal, keyMask: o.keyMask, posOffset: o.posOffset, kvLen: o.kvLen }); // (B, nh, T, hs)
    return this.outProj.forward(reshape(transpose12(y), [B, T, C])); // (B, T, C)
  }
}

/** residual + dropout(y), then LayerNorm. */
function addNorm(norm: LayerNorm, drop: Dropout, residual: Tensor, y: Tensor): Tensor {
  return norm.forward(add(residual, drop.forward(y))); // (B, T, C)
}

/** fc1, activation, fc2: the position-wise MLP. */
function mlp(c: Seq2SeqConfig, fc1: Linear, fc2: Linear, x: Tensor): Tensor {
  return fc2.forward(activation(c, fc1.forward(x))); // (B, T, C)
}

/** One encoder block: bidirectional self-attention over the source, then the MLP. */
export class EncoderLayer extends Module {
  readonly selfAttn: BartAttention;
  readonly selfNorm: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly finalNorm: LayerNorm;
  private readonly drop: Dropout;
  private readonly c: Seq2SeqConfig;

  constructor(c: Seq2SeqConfig, rng: Rng) {
    super();
    this.c = c;
    this.selfAttn = this.addModule('self_attn', new BartAttention(c, rng));
    this.selfNorm = this.addModule('self_attn_layer_norm', new LayerNorm(c.nEmbd, { eps: c.normEps }));
    this.fc1 = this.addModule('fc1', new Linear(c.nEmbd, c.intermediateSize, { std: 0.02, rng }));
    this.fc2 = this.addModule('fc2', new Linear(c.intermediateSize, c.nEmbd, { std: 0.02, rng }));
    this.finalNorm = this.addModule('final_layer_norm', new LayerNorm(c.nEmbd, { eps: c.normEps }));
    this.drop = this.addModule('dropout', new Dropout(c.dropout, { seed: rng.nextUint32() }));
  }

  /** x (B, S, C), sourceMask (B, S) of 0/1 or null -> (B, S, C). */
  forward(x: Tensor, sourceMask: Float32Array | null): Tensor {
    const a = this.selfAttn.attend(x, this.selfAttn.keyValues(x), { causal: false, keyMask: sourceMask }); // (B, S, C)
    const h = addNorm(this.selfNorm, this.drop, x, a); // (B, S, C)
    return addNorm(this.finalNorm, this.drop, h, mlp(this.c, this.fc1, this.fc2, h)); // (B, S, C)
  }
}

/** Where a decoder block reads the source from, and its self-attention cache. */
export interface DecoderLayerCall {
  /** Cross keys/values of this layer: (B, nh, S, hs) each. */
  cross: KeyValues;
  /** (B, S) of 0/1, 0 = source padding. */
  sourceMask: Float32Array | null;
  /** Self-attention cache (inference, inside noGrad); the T new positions follow cache.length. */
  cache?: KVCache | null;
  layer: number;
}

/** One decoder block: causal self-attention, cross-attention over the encoder output, the MLP. */
export class DecoderLayer extends Module {
  readonly selfAttn: BartAttention;
  readonly selfNorm: LayerNorm;
  readonly crossAttn: BartAttention;
  readonly crossNorm: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly finalNorm: LayerNorm;
  private readonly drop: Dropout;
  private readonly c: Seq2SeqConfig;

  constructor(c: Seq2SeqConfig, rng: Rng) {
    super();
    this.c = c;
    this.selfAttn = this.addModule('self_attn', new BartAttention(c, rng));
    this.selfNorm = this.addModule('self_attn_layer_norm', new LayerNorm(c.nEmbd, { eps: c.normEps }));
    this.crossAttn = this.addModule('encoder_attn', new BartAttention(c, rng));
    this.crossNorm = this.addModule('encoder_attn_layer_norm', new LayerNorm(c.nEmbd, { eps: c.normEps }));
    this.fc1 = this.addModule('fc1', new Linear(c.nEmbd, c.intermediateSize, { std: 0.02, rng }));
    this.fc2 = this.addModule('fc2', new Linear(c.intermediateSize, c.nEmbd, { std: 0.02, rng }));
    this.finalNorm = this.addModule('final_layer_norm', new LayerNorm(c.nEmbd, { eps: c.normEps }));
    this.drop = this.addModule('dropout', new Dropout(c.dropout, { seed: rng.nextUint32() }));
  }

  /** x (B, T, C) -> (B, T, C). With a cache, x's rows continue after cache.length. */
  forward(x: Tensor, call: DecoderLayerCall): Tensor {
    const cache = call.cache ?? null;
    let a: Tensor;
    if (cache) {
      const pos = cache.length;
      const T = x.shape[1]!;
      const kv = this.selfAttn.keyValues(x); // (B, nh, T, hs) each
      cache.write(call.layer, kv.k, kv.v);
      const past = { k: cache.keys[call.layer]!, v: cache.values[call.layer]! }; // (B, nh, capacity, hs)
      a = this.selfAttn.attend(x, past, { causal: true, keyMask: null, posOffset: pos, kvLen: pos + T }); // (B, T, C)
    } else {
      a = this.selfAttn.attend(x, this.selfAttn.keyValues(x), { causal: true, keyMask: null }); // (B, T, C)
    }
    const h = addNorm(this.selfNorm, this.drop, x, a); // (B, T, C)
    const xa = this.crossAttn.attend(h, call.cross, { causal: false, keyMask: call.sourceMask }); // (B, T, C)
    const h2 = addNorm(this.crossNorm, this.drop, h, xa); // (B, T, C)
    return addNorm(this.finalNorm, this.drop, h2, mlp(this.c, this.fc1, this.fc2, h2)); // (B, T, C)
  }
}
