/**
 * Multi-head self-attention: causal or bidirectional, grouped-query (nKvHead < nHead),
 * optional RoPE, optional KV cache for decoding. Two naming schemes (Hugging Face):
 * - fused (GPT-2): c_attn (one (C + 2 kvC, C) projection), c_proj
 * - separate (Llama): q_proj, k_proj, v_proj, o_proj
 *
 * Dropout (train mode) applies to the output projection (resid dropout); the fused
 * attention kernel has no dropout on the probabilities.
 *
 * @example
 * const attn = new Attention({ dim: 128, nHead: 4, rng });
 * attn.forward(x); // (B, T, 128) -> (B, T, 128), causal
 */
import {
  attention, attentionQkv, reshape, rope, ropeTable, selfAttention, split, transpose12, type SelfAttentionRope, type Tensor,
} from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { Dropout } from './dropout.ts';
import type { KVCache } from './kv-cache.ts';
import { Linear } from './linear.ts';
import { Module } from './module.ts';
import { RopeFrequencies, type RopeSettings } from './rope-scaling.ts';

export interface AttentionConfig {
  dim: number;
  nHead: number;
  /** Key/value heads (default nHead). */
  nKvHead?: number;
  /** Causal mask (default true). */
  causal?: boolean;
  /** Biases on the projections (default true). */
  bias?: boolean;
  /** One fused qkv projection named c_attn/c_proj (GPT-2), else q/k/v/o_proj (default true). */
  fused?: boolean;
  /** RoPE on q and k (base, pair layout, optional scaling), or null for none (default null). */
  rope?: RopeSettings | null;
  /** Output dropout probability (default 0). */
  dropout?: number;
  /** Init std of the input projections (default 0.02). */
  std?: number;
  /** Init std of the output projection (default std). */
  outStd?: number;
  rng?: Rng;
}

/** Per-call options of `Attention.forward`. */
export interface AttentionCall {
  /** (B, T) of 0/1, 1 = visible key (padding mask). */
  keyMask?: Float32Array | null;
  /** Cache to read and extend (inference, inside noGrad). */
  cache?: KVCache | null;
  /** Which layer of the cache this module uses. */
  layer?: number;
}

export class Attention extends Module {
  readonly dim: number;
  readonly nHead: number;
  readonly nKvHead: number;
  readonly headSize: number;
  readonly causal: boolean;
  readonly ropeCfg: RopeSettings | null;
  /** The RoPE frequency tables (scaled or not), or null without RoPE. */
  private readonly freqs: RopeFrequencies | null;
  readonly qkv: Linear | null = null;
  readonly q: Linear | null = null;
  readonly k: Linear | null = null;
  readonly v: Linear | null = null;
  readonly out: Linear;
  private readonly drop: Dropout;
  /** The last RoPE cos/sin table given to selfAttention, for up to T positions of one inv_freq table. */
  private ropeTables: { T: number; invFreq: Float32Array | null; rope: SelfAttentionRope } | null = null;

  constructor(cfg: AttentionConfig) {
    super();
    const nKv = cfg.nKvHead ?? cfg.nHead;
    if (cfg.dim % cfg.nHead !== 0 || cfg.nHead % nKv !== 0) {
      throw new LlmtsError('E_CONFIG', `Attention: dim ${cfg.dim}, nHead ${cfg.nHead}, nKvHead ${nKv} do not fit`, {
        where: 'Attention', hint: 'dim must be a multiple of nHead, and nHead a multiple of nKvHead' });
    }
    this.dim = cfg.dim;
    this.nHead = cfg.nHead;
    this.nKvHead = nKv;
    this.headSize = cfg.dim / cfg.nHead;
    this.causal = cfg.causal ?? true;
    this.ropeCfg = cfg.rope ?? null;
    this.freqs = this.ropeCfg ? new RopeFrequencies(this.ropeCfg, this.headSize) : null;
    const rng = cfg.rng ?? new Rng(1337);
    const bias = cfg.bias ?? true, std = cfg.std ?? 0.02, outStd = cfg.outStd ?? std;
    const kvDim = nKv * this.headSize;
    if (cfg.fused ?? true) {
      this.qkv = this.addModule('c_attn', new Linear(cfg.dim, cfg.dim + 2 * kvDim, { bias, std, rng }));
      this.out = this.addModule('c_proj', new Linear(cfg.dim, cfg.dim, { bias, std: outStd, rng }));
    } else {
      this.q = this.addModule('q_proj', new Linear(cfg.dim, cfg.dim, { bias, std, rng }));
      this.k = this.addModule('k_proj', new Linear(cfg.dim, kvDim, { bias, std, rng }));
      this.v = this.addModule('v_proj', new Linear(cfg.dim, kvDim, { bias, std, rng }));
      this.out = this.addModule('o_proj', new Linear(cfg.dim, cfg.dim, { bias, std: outStd, rng }));
    }
    this.drop = this.addModule('drop', new Dropout(cfg.dropout ?? 0, { seed: rng.nextUint32() }));
  }

  /** x (B, T, C) -> (B, T, C). With a cache, T new positions follow cache.length. */
  forward(x: Tensor, call: AttentionCall = {}): Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    const nh = this.nHead, nkv = this.nKvHead, hs = this.headSize;
    const cache = call.cache ?? null;
    if (this.qkv && !cache && !this.ropeCfg && nkv === nh) {
      // fused projection, no cache, no RoPE: attention reads heads in place (no splits, no transposes)
      const qkv = this.qkv.forward(x); // (B, T, 3C)
      const y = attentionQkv(qkv, nh, { causal: this.causal, keyMask: call.keyMask ?? null }); // (B, T, C)
      return this.drop.forward(this.out.forward(y)); // (B, T, C)
    }
    let q: Tensor, k: Tensor, v: Tensor;
    if (this.qkv) {
      const qkv = this.qkv.forward(x); // (B, T, C + 2 kvC)
      [q, k, v] = split(qkv, [C, nkv * hs, nkv * hs]) as [Tensor, Tensor, Tensor]; // (B, T, C), (B, T, kvC) x 2
    } else {
      q = this.q!.forward(x); // (B, T, C)
      k = this.k!.forward(x); // (B, T, kvC)
      v = this.v!.forward(x); // (B, T, kvC)
    }
    if (!cache) {
      // training and scoring: attention straight from the projections (RoPE inside, no head
      // transposes, no saved probabilities: backward recomputes them)
      const y = selfAttention(q, k, v, {
        nHead: nh, nKvHead: nkv, causal: this.causal, keyMask: call.keyMask ?? null, rope: this.ropeFor(T),
      }); // (B, T, C)
      return this.drop.forward(this.out.forward(y)); // (B, T, C)
    }
    q = transpose12(reshape(q, [B, T, nh, hs])); // (B, nh, T, hs)
    k = transpose12(reshape(k, [B, T, nkv, hs])); // (B, nkv, T, hs)
    v = transpose12(reshape(v, [B, T, nkv, hs])); // (B, nkv, T, hs)
    const pos = cache.length;
    if (this.ropeCfg && this.freqs) {
      const { theta, interleaved } = this.ropeCfg;
      const { invFreq, attnFactor } = this.freqs.at(pos + T);
      q = rope(q, { posOffset: pos, theta, interleaved, invFreq, attnFactor }); // (B, nh, T, hs)
      k = rope(k, { posOffset: pos, theta, interleaved, invFreq, attnFactor }); // (B, nkv, T, hs)
    }
    const layer = call.layer ?? 0;
    cache.write(layer, k, v);
    let y = attention(q, cache.keys[layer]!, cache.values[layer]!, {
      causal: this.causal, posOffset: pos, kvLen: pos + T, keyMask: call.keyMask ?? null,
    }); // (B, nh, T, hs)
    y = reshape(transpose12(y), [B, T, C]); // (B, T, C)
    return this.drop.forward(this.out.forward(y)); // (B, T, C)
  }

  /** The RoPE table of positions [0, T) for selfAttention (null without RoPE), kept while its inv_freq is. */
  private ropeFor(T: number): SelfAttentionRope | null {
    if (!this.ropeCfg || !this.freqs) return null;
    const { invFreq, attnFactor } = this.freqs.at(T);
    const last = this.ropeTables;
    if (last && last.T >= T && last.invFreq === invFreq) return last.rope;
    const { theta, interleaved } = this.ropeCfg;
    const cs = ropeTable(T, this.headSize, { theta, interleaved, invFreq, attnFactor });
    this.ropeTables = { T, invFreq, rope: { cs, interleaved } };
    return this.ropeTables.rope;
  }
}
