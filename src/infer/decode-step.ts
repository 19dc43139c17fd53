/**
 * One decoding step (one new token, T = 1) of a `Decoder` on preallocated buffers: the
 * same arithmetic as `Decoder.forward(ids, 1, 1, null, cache)`, but straight through the
 * backend kernels, with no tensors, autograd bookkeeping or allocation per token.
 *
 * Why: decoding is matrix-vector bound, and for small models the per-op cost of the
 * tensor layer (tensor objects, the buffer pool, transposes/reshapes that are no-ops at
 * T = 1) was larger than the arithmetic (measured: stories260K ran ~10x slower through
 * `Decoder.forward`). Prefill (many tokens at once) still goes through `Decoder.forward`,
 * which fills the same `KVCache`; the two are tested to give the same logits.
 *
 * At T = 1 every (1, nh, 1, hs) tensor is just its (C) vector, so q, k, v come out of
 * their projections ready for RoPE, and the attention output is ready for o_proj.
 *
 * @example
 * const step = new DecodeStep(model);
 * model.forward(promptIds, 1, n, null, cache);   // prefill
 * step.run(nextId, cache, logits);               // logits Float32Array(V); cache.length += 1
 */
import { backend } from '../backend/index.ts';
import type { Backend } from '../backend/backend.ts';
import type { DecoderConfig } from '../models/config.ts';
import type { Decoder } from '../models/decoder.ts';
import type { KVCache } from '../nn/kv-cache.ts';
import { LlmtsError } from '../util/errors.ts';

interface LayerWeights {
  norm1w: Float32Array;
  norm1b: Float32Array | null;
  /** Llama: q, k, v projections; GPT-2: the fused c_attn in `qkv`. */
  qw: Float32Array | null;
  kw: Float32Array | null;
  vw: Float32Array | null;
  qb: Float32Array | null;
  kb: Float32Array | null;
  vb: Float32Array | null;
  qkvw: Float32Array | null;
  qkvb: Float32Array | null;
  ow: Float32Array;
  ob: Float32Array | null;
  norm2w: Float32Array;
  norm2b: Float32Array | null;
  /** Llama: gate/up/down; GPT-2: c_fc in `upw`, c_proj in `downw`. */
  gatew: Float32Array | null;
  gateb: Float32Array | null;
  upw: Float32Array;
  upb: Float32Array | null;
  downw: Float32Array;
  downb: Float32Array | null;
}

/** See the module comment. */
export class DecodeStep {
  private readonly c: DecoderConfig;
  private readonly be: Backend;
  private readonly tokens: Float32Array;
  private readonly positions: Float32Array | null;
  private readonly layers: LayerWeights[];
  private readonly normFw: Float32Array;
  private readonly normFb: Float32Array | null;
  private readonly head: Float32Array;
  // scratch
  private readonly x: Float32Array;
  private readonly xn: Float32Array;
  private readonly tmp: Float32Array;
  private readonly q: Float32Array;
  private readonly k: Float32Array;
  private readonly v: Float32Array;
  private readonly qkv: Float32Array;
  /** q, k, v views of `qkv` (GPT-2's fused projection), made once. */
  private readonly qkvParts: [Float32Array, Float32Array, Float32Array];
  private readonly att: Float32Array;
  private probs: Float32Array;
  private readonly h1: Float32Array;
  private readonly h2: Float32Array;
  private readonly h3: Float32Array;
  private readonly mean = new Float32Array(1);
  private readonly rstd = new Float32Array(1);

  constructor(model: Decoder) {
    const c = model.config;
    this.c = c;
    this.be = backend();
    const sd = model.stateDict();
    const get = (name: string): Float32Array => {
      const t = sd.get(name);
      if (!t) throw new LlmtsError('E_STATE_DICT', `decoder has no tensor ${name}`, { where: 'DecodeStep' });
      return t.data;
    };
    const opt = (name: string): Float32Array | null => sd.get(name)?.data ?? null;
    const gpt2 = c.arch === 'gpt2';
    const root = gpt2 ? 'transformer' : 'model';
    this.tokens = get(`${root}.${gpt2 ? 'wte' : 'embed_tokens'}.weight`);
    this.positions = gpt2 ? get('transformer.wpe.weight') : null;
    this.layers = Array.from({ length: c.nLayer }, (_, i): LayerWeights => {
      const p = `${root}.${gpt2 ? 'h' : 'layers'}.${i}.`;
      if (gpt2) {
        return {
          norm1w: get(`${p}ln_1.weight`), norm1b: get(`${p}ln_1.bias`),
          qw: null, kw: null, vw: null, qb: null, kb: null, vb: null,
          qkvw: get(`${p}attn.c_attn.weight`), qkvb: opt(`${p}attn.c_attn.bias`),
          ow: get(`${p}attn.c_proj.weight`), ob: opt(`${p}attn.c_proj.bias`),
          norm2w: get(`${p}ln_2.weight`), norm2b: get(`${p}ln_2.bias`),
          gatew: null, gateb: null,
          upw: get(`${p}mlp.c_fc.weight`), upb: opt(`${p}mlp.c_fc.bias`),
          downw: get(`${p}mlp.c_proj.weight`), downb: opt(`${p}mlp.c_proj.bias`),
        };
      }
      const a = `${p}self_attn.`;
      return {
        norm1w: get(`${p}input_layernorm.weight`), norm1b: null,
        qw: get(`${a}q_proj.weight`), kw: get(`${a}k_proj.weight`), vw: get(`${a}v_proj.weight`),
        qb: opt(`${a}q_proj.bias`), kb: opt(`${a}k_proj.bias`), vb: opt(`${a}v_proj.bias`),
        qkvw: null, qkvb: null,
        ow: get(`${a}o_proj.weight`), ob: opt(`${a}o_proj.bias`),
        norm2w: get(`${p}post_attention_layernorm.weight`), norm2b: null,
        gatew: get(`${p}mlp.gate_proj.weight`), gateb: opt(`${p}mlp.gate_proj.bias`),
        upw: get(`${p}mlp.up_proj.weight`), upb: opt(`${p}mlp.up_proj.bias`),
        downw: get(`${p}mlp.down_proj.weight`), downb: opt(`${p}mlp.down_proj.bias`),
      };
    });
    this.normFw = get(`${root}.${gpt2 ? 'ln_f' : 'norm'}.weight`);
    this.normFb = gpt2 ? get('transformer.ln_f.bias') : null;
    this.head = c.tieEmbeddings ? this.tokens : get('lm_head.weight');
    const C = c.nEmbd, hs = C / c.nHead, kvC = c.nKvHead * hs, H = c.intermediateSize;
    this.x = new Float32Array(C);
    this.xn = new Float32Array(C);
    this.tmp = new Float32Array(C);
    this.q = new Float32Array(C);
    this.k = new Float32Array(kvC);
    this.v = new Float32Array(kvC);
    this.qkv = new Float32Array(gpt2 ? C + 2 * kvC : 0);
    this.qkvParts = [this.qkv.subarray(0, C), this.qkv.subarray(C, C + kvC), this.qkv.subarray(C + kvC, C + 2 * kvC)];
    this.att = new Float32Array(C);
    this.probs = new Float32Array(c.nHead * c.blockSize);
    this.h1 = new Float32Array(H);
    this.h2 = new Float32Array(H);
    this.h3 = new Float32Array(H);
  }

  /** y (N) = W (N, K) x (K) [+ b]. */
  private matvec(w: Float32Array, b: Float32Array | null, x: Float32Array, y: Float32Array, N: number, K: number): void {
    this.be.gemm(false, true, 1, N, K, 1, x, K, 0, w, K, 0, 0, y, N, 0, 1);
    if (b) this.be.addBias(1, N, y, b, y);
  }

  private norm(w: Float32Array, b: Float32Array | null, x: Float32Array, out: Float32Array): void {
    const C = this.c.nEmbd;
    if (b) this.be.layerNorm(1, C, this.c.normEps, x, w, b, out, this.mean, this.rstd);
    else this.be.rmsNorm(1, C, this.c.normEps, x, w, out, this.rstd);
  }

  /**
   * Feeds `id` at position cache.length: writes its keys/values into the cache, advances
   * it by one, and writes the next-token logits (V) into `logits`.
   */
  run(id: number, cache: KVCache, logits: Float32Array): void {
    const c = this.c, be = this.be;
    const C = c.nEmbd, nh = c.nHead, nkv = c.nKvHead, hs = C / nh, kvC = nkv * hs, H = c.intermediateSize, V = c.vocabSize;
    const pos = cache.length;
    if (pos >= cache.capacity) {
      throw new LlmtsError('E_CACHE_FULL', `KV cache holds ${cache.capacity} positions, all used`, { where: 'DecodeStep.run', hint: 'reset the cache and re-feed the last tokens' });
    }
    if (!(id >= 0 && id < V)) throw new LlmtsError('E_TOKEN_ID', `token id ${id} is outside the vocabulary of ${V}`, { where: 'DecodeStep.run' });
    if (this.probs.length < nh * cache.capacity) this.probs = new Float32Array(nh * cache.capacity);
    const x = this.x, xn = this.xn, tmp = this.tmp;
    for (let i = 0, src = id * C; i < C; i++, src++) x[i] = this.tokens[src]!;
    if (this.positions) be.add(C, x, this.positions.subarray(pos * C, pos * C + C), x);
    const scale = 1 / Math.sqrt(hs);
    const rope = c.arch === 'llama';
    for (let l = 0; l < c.nLayer; l++) {
      const w = this.layers[l]!;
      this.norm(w.norm1w, w.norm1b, x, xn);
      let q = this.q, k = this.k, v = this.v;
      if (w.qkvw) {
        this.matvec(w.qkvw, w.qkvb, xn, this.qkv, C + 2 * kvC, C); // (C + 2 kvC)
        [q, k, v] = this.qkvParts;
      } else {
        this.matvec(w.qw!, w.qb, xn, q, C, C); // (nh * hs)
        this.matvec(w.kw!, w.kb, xn, k, kvC, C); // (nkv * hs)
        this.matvec(w.vw!, w.vb, xn, v, kvC, C); // (nkv * hs)
      }
      if (rope) {
        be.rope(1, nh, 1, hs, pos, c.ropeTheta, c.ropeInterleaved, false, q); // (1, nh, 1, hs)
        be.rope(1, nkv, 1, hs, pos, c.ropeTheta, c.ropeInterleaved, false, k); // (1, nkv, 1, hs)
      }
      const kc = cache.keys[l]!.data, vc = cache.values[l]!.data;
      // element copies, not set(subarray): no typed-array views allocated per head
      for (let h = 0; h < nkv; h++) {
        const dst = (h * cache.capacity + pos) * hs; // cache (1, nkv, cap, hs)
        for (let d = 0, src = h * hs; d < hs; d++, src++) {
          kc[dst + d] = k[src]!;
          vc[dst + d] = v[src]!;
        }
      }
      be.attention(1, nh, nkv, 1, pos + 1, cache.capacity, hs, scale, true, pos, null, q, kc, vc, this.att, this.probs); // (1, nh, 1, hs)
      this.matvec(w.ow, w.ob, this.att, tmp, C, C); // (C)
      be.add(C, x, tmp, x);
      this.norm(w.norm2w, w.norm2b, x, xn);
      if (w.gatew) {
        this.matvec(w.gatew, w.gateb, xn, this.h1, H, C); // (H)
        this.matvec(w.upw, w.upb, xn, this.h2, H, C); // (H)
        be.swiglu(H, this.h1, this.h2, this.h3); // (H)
      } else {
        this.matvec(w.upw, w.upb, xn, this.h1, H, C); // (H)
        be.gelu(H, this.h1, this.h3); // (H)
      }
      this.matvec(w.downw, w.downb, this.h3, tmp, C, H); // (C)
      be.add(C, x, tmp, x);
    }
    cache.advance(1);
    this.norm(this.normFw, this.normFb, x, xn);
    this.matvec(this.head, null, xn, logits, V, C); // (V)
  }
}
