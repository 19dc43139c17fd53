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
 * `runBatch` decodes B sequences at once, each with its own cache and position: the
 * matrix products become GEMMs over the B rows, so every weight is read once per group of
 * rows instead of once per sequence (decoding is bound by reading the weights, so this is
 * the serving throughput win); norms run over the B rows; RoPE, cache writes and attention
 * run per row at its own position. On the native backend (GEMMs of up to 8 rows on its
 * matrix-vector path) every row gets the exact bits of the same row decoded alone, so a
 * request's output never depends on what else is in the batch; see `matmul` for the
 * fallbacks. `run` is `runBatch` with B = 1.
 *
 * @example
 * const step = new DecodeStep(model);
 * model.forward(promptIds, 1, n, null, cache);   // prefill
 * step.run(nextId, cache, logits);               // logits Float32Array(V); cache.length += 1
 * step.runBatch([a, b], [cacheA, cacheB], logits2); // logits2 Float32Array(2 * V), row per sequence
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

/** Default of `DecodeStep.gemmMinRows`. */
export const DEFAULT_GEMM_MIN_ROWS = 6;

/** Rows per GEMM call on a row-consistent backend (the native small-M path takes up to 8). */
export const ROW_GROUP = 8;

/**
 * Whether the backend's GEMM (B transposed) gives every row of a 2..ROW_GROUP-row product
 * the exact bits of the same row computed alone (a multi-row matrix-vector path). Probed
 * on a small product with ragged sizes (k tails, odd row counts).
 */
export function probeRowConsistency(be: Backend): boolean {
  const N = 21, K = 83;
  const w = Float32Array.from({ length: N * K }, (_, i) => Math.sin(0.7 * i + 0.3));
  const x = Float32Array.from({ length: ROW_GROUP * K }, (_, i) => Math.cos(1.3 * i + 0.1));
  const lone = new Float32Array(ROW_GROUP * N);
  for (let r = 0; r < ROW_GROUP; r++) be.gemm(false, true, 1, N, K, 1, x.subarray(r * K), K, 0, w, K, 0, 0, lone.subarray(r * N), N, 0, 1);
  const y = new Float32Array(ROW_GROUP * N);
  for (let M = 2; M <= ROW_GROUP; M++) {
    be.gemm(false, true, M, N, K, 1, x, K, 0, w, K, 0, 0, y, N, 0, 1);
    for (let i = 0; i < M * N; i++) if (y[i] !== lone[i]) return false;
  }
  return true;
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
  /** Rows the scratch buffers hold (grows on demand). */
  private rows = 0;
  // scratch, (B, *) row-major, and per-row views of them made once per size
  private x = new Float32Array(0); // (B, C)
  private xn = new Float32Array(0); // (B, C)
  private tmp = new Float32Array(0); // (B, C)
  private q = new Float32Array(0); // (B, C)
  private k = new Float32Array(0); // (B, kvC)
  private v = new Float32Array(0); // (B, kvC)
  private qkv = new Float32Array(0); // GPT-2: (B, C + 2 kvC)
  private att = new Float32Array(0); // (B, C)
  private h1 = new Float32Array(0); // (B, H)
  private h2 = new Float32Array(0); // (B, H)
  private h3 = new Float32Array(0); // (B, H)
  private mean = new Float32Array(0); // (B)
  private rstd = new Float32Array(0); // (B)
  private qRows: Float32Array[] = [];
  private kRows: Float32Array[] = [];
  private vRows: Float32Array[] = [];
  private attRows: Float32Array[] = [];
  private probs: Float32Array;
  private readonly oneId = [0];
  /** GEMM output in the (N, M) orientation. */
  private yT = new Float32Array(0);
  private readonly views = new WeakMap<Float32Array, { len: number; rows: Float32Array[] }>();
  /**
   * Batches of at least this many rows run their products as one GEMM; smaller ones run
   * the matrix-vector path per row (with today's kernels a GEMM of a few rows costs more
   * than that many matrix-vector products; see bench/batch.ts).
   */
  gemmMinRows = DEFAULT_GEMM_MIN_ROWS;
  /** See `probeRowConsistency`; when true, batches run as GEMMs of up to ROW_GROUP rows. */
  rowConsistent: boolean;
  private readonly oneCache: KVCache[] = [];

  constructor(model: Decoder) {
    const c = model.config;
    this.c = c;
    this.be = backend();
    this.rowConsistent = probeRowConsistency(this.be);
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
    this.probs = new Float32Array(c.nHead * c.blockSize);
    this.reserve(1);
  }

  /** Sizes the scratch buffers (and their row views) for B rows. */
  private reserve(B: number): void {
    if (B <= this.rows) return;
    const c = this.c;
    const C = c.nEmbd, hs = C / c.nHead, kvC = c.nKvHead * hs, H = c.intermediateSize;
    const gpt2 = c.arch === 'gpt2';
    this.rows = B;
    this.x = new Float32Array(B * C);
    this.xn = new Float32Array(B * C);
    this.tmp = new Float32Array(B * C);
    this.q = new Float32Array(gpt2 ? 0 : B * C);
    this.k = new Float32Array(gpt2 ? 0 : B * kvC);
    this.v = new Float32Array(gpt2 ? 0 : B * kvC);
    const W = C + 2 * kvC;
    this.qkv = new Float32Array(gpt2 ? B * W : 0);
    this.att = new Float32Array(B * C);
    this.h1 = new Float32Array(B * H);
    this.h2 = new Float32Array(B * H);
    this.h3 = new Float32Array(B * H);
    this.mean = new Float32Array(B);
    this.rstd = new Float32Array(B);
    const rows = (n: number, f: (b: number) => Float32Array): Float32Array[] => Array.from({ length: n }, (_, b) => f(b));
    if (gpt2) {
      this.qRows = rows(B, (b) => this.qkv.subarray(b * W, b * W + C));
      this.kRows = rows(B, (b) => this.qkv.subarray(b * W + C, b * W + C + kvC));
      this.vRows = rows(B, (b) => this.qkv.subarray(b * W + C + kvC, (b + 1) * W));
    } else {
      this.qRows = rows(B, (b) => this.q.subarray(b * C, (b + 1) * C));
      this.kRows = rows(B, (b) => this.k.subarray(b * kvC, (b + 1) * kvC));
      this.vRows = rows(B, (b) => this.v.subarray(b * kvC, (b + 1) * kvC));
    }
    this.attRows = rows(B, (b) => this.att.subarray(b * C, (b + 1) * C));
  }

  /**
   * y (M, N) = x (M, K) W^T (K, N) [+ b], in one of three ways:
   * - one row, or a backend whose GEMMs of up to ROW_GROUP rows sum every row as its
   *   one-row path does (`rowConsistent`, probed once): GEMMs of up to ROW_GROUP rows, each
   *   weight read once per group, every row bit-identical to a lone row;
   * - otherwise, fewer than `gemmMinRows` rows: the one-row path per row (bit-identical,
   *   but each row reads the weights);
   * - otherwise one GEMM computing y^T (N, M) = W (N, K) x^T (K, M), which reads each
   *   weight once for all rows (the (N, M) orientation packs only the small x), then a
   *   transpose into y; rows then differ from lone rows by float rounding.
   */
  private matmul(M: number, w: Float32Array, b: Float32Array | null, x: Float32Array, y: Float32Array, N: number, K: number): void {
    const be = this.be;
    if (M === 1) {
      be.gemm(false, true, 1, N, K, 1, x, K, 0, w, K, 0, 0, y, N, 0, 1); // (1, N)
    } else if (this.rowConsistent) {
      const xr = this.rowViews(x, K), yr = this.rowViews(y, N);
      for (let r = 0; r < M; r += ROW_GROUP) {
        const m = Math.min(ROW_GROUP, M - r);
        be.gemm(false, true, m, N, K, 1, xr[r]!, K, 0, w, K, 0, 0, yr[r]!, N, 0, 1); // (m, N)
      }
    } else if (M < this.gemmMinRows) {
      const xr = this.rowViews(x, K), yr = this.rowViews(y, N);
      for (let r = 0; r < M; r++) be.gemm(false, true, 1, N, K, 1, xr[r]!, K, 0, w, K, 0, 0, yr[r]!, N, 0, 1); // (1, N)
    } else {
      if (this.yT.length < N * M) this.yT = new Float32Array(N * M);
      const yT = this.yT;
      be.gemm(false, true, N, M, K, 1, w, K, 0, x, K, 0, 0, yT, M, 0, 1); // (N, M)
      for (let r = 0; r < M; r++) for (let n = 0, src = r, dst = r * N; n < N; n++, src += M) y[dst + n] = yT[src]!; // (M, N)
    }
    if (b) be.addBias(M, N, y, b, y);
  }

  /** Views of a (*, len) buffer from each row to its end, made once per buffer. */
  private rowViews(buf: Float32Array, len: number): Float32Array[] {
    let v = this.views.get(buf);
    if (!v || v.len !== len) {
      v = { len, rows: Array.from({ length: Math.floor(buf.length / len) }, (_, r) => buf.subarray(r * len)) };
      this.views.set(buf, v);
    }
    return v.rows;
  }

  private norm(M: number, w: Float32Array, b: Float32Array | null, x: Float32Array, out: Float32Array): void {
    const C = this.c.nEmbd;
    if (b) this.be.layerNorm(M, C, this.c.normEps, x, w, b, out, this.mean, this.rstd);
    else this.be.rmsNorm(M, C, this.c.normEps, x, w, out, this.rstd);
  }

  /**
   * Feeds `id` at position cache.length: writes its keys/values into the cache, advances
   * it by one, and writes the next-token logits (V) into `logits`.
   */
  run(id: number, cache: KVCache, logits: Float32Array): void {
    this.oneId[0] = id;
    this.oneCache[0] = cache;
    this.runBatch(this.oneId, this.oneCache, logits);
  }

  /**
   * One decoding step for B sequences at once: row b feeds ids[b] at position
   * caches[b].length of its own cache (distinct caches, any mix of positions), advances
   * that cache by one and writes its next-token logits to logits[b * V, (b + 1) * V).
   * Norms run over the B rows, the projections, MLP and lm_head as GEMMs with M = B (the
   * weights are read once for all rows), RoPE, cache writes and attention per row at the
   * row's own position. Row b's logits are those of `run(ids[b], caches[b], ...)`.
   */
  runBatch(ids: ArrayLike<number>, caches: readonly KVCache[], logits: Float32Array): void {
    const c = this.c, be = this.be;
    const C = c.nEmbd, nh = c.nHead, nkv = c.nKvHead, hs = C / nh, kvC = nkv * hs, H = c.intermediateSize, V = c.vocabSize;
    const B = ids.length;
    if (caches.length !== B || logits.length < B * V) {
      throw new LlmtsError('E_SHAPE', `runBatch: ${B} ids, ${caches.length} caches, logits of ${logits.length} (need ${B * V})`, { where: 'DecodeStep.runBatch', hint: 'pass one cache per id and a (B, V) logits buffer' });
    }
    this.reserve(B);
    for (let b = 0; b < B; b++) {
      const cache = caches[b]!, id = ids[b]!;
      if (cache.length >= cache.capacity) {
        throw new LlmtsError('E_CACHE_FULL', `KV cache holds ${cache.capacity} positions, all used`, { where: 'DecodeStep.run', hint: 'reset the cache and re-feed the last tokens' });
      }
      if (!(id >= 0 && id < V)) throw new LlmtsError('E_TOKEN_ID', `token id ${id} is outside the vocabulary of ${V}`, { where: 'DecodeStep.run' });
      if (this.probs.length < nh * cache.capacity) this.probs = new Float32Array(nh * cache.capacity);
    }
    const x = this.x, xn = this.xn, tmp = this.tmp;
    for (let b = 0; b < B; b++) {
      const id = ids[b]!, pos = caches[b]!.length;
      for (let i = 0, src = id * C, dst = b * C; i < C; i++) x[dst + i] = this.tokens[src + i]!; // (B, C)
      if (this.positions) for (let i = 0, src = pos * C, dst = b * C; i < C; i++) x[dst + i] = x[dst + i]! + this.positions[src + i]!;
    }
    const scale = 1 / Math.sqrt(hs);
    const rope = c.arch === 'llama';
    for (let l = 0; l < c.nLayer; l++) {
      const w = this.layers[l]!;
      this.norm(B, w.norm1w, w.norm1b, x, xn); // (B, C)
      if (w.qkvw) {
        this.matmul(B, w.qkvw, w.qkvb, xn, this.qkv, C + 2 * kvC, C); // (B, C + 2 kvC)
      } else {
        this.matmul(B, w.qw!, w.qb, xn, this.q, C, C); // (B, nh * hs)
        this.matmul(B, w.kw!, w.kb, xn, this.k, kvC, C); // (B, nkv * hs)
        this.matmul(B, w.vw!, w.vb, xn, this.v, kvC, C); // (B, nkv * hs)
      }
      for (let b = 0; b < B; b++) {
        const cache = caches[b]!, pos = cache.length;
        const q = this.qRows[b]!, k = this.kRows[b]!, v = this.vRows[b]!;
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
        be.attention(1, nh, nkv, 1, pos + 1, cache.capacity, hs, scale, true, pos, null, q, kc, vc, this.attRows[b]!, this.probs); // (1, nh, 1, hs)
      }
      this.matmul(B, w.ow, w.ob, this.att, tmp, C, C); // (B, C)
      be.add(B * C, x, tmp, x);
      this.norm(B, w.norm2w, w.norm2b, x, xn); // (B, C)
      if (w.gatew) {
        this.matmul(B, w.gatew, w.gateb, xn, this.h1, H, C); // (B, H)
        this.matmul(B, w.upw, w.upb, xn, this.h2, H, C); // (B, H)
        be.swiglu(B * H, this.h1, this.h2, this.h3); // (B, H)
      } else {
        this.matmul(B, w.upw, w.upb, xn, this.h1, H, C); // (B, H)
        be.gelu(B * H, this.h1, this.h3); // (B, H)
      }
      this.matmul(B, w.downw, w.downb, this.h3, tmp, C, H); // (B, C)
      be.add(B * C, x, tmp, x);
    }
    for (let b = 0; b < B; b++) caches[b]!.advance(1);
    this.norm(B, this.normFw, this.normFb, x, xn); // (B, C)
    this.matmul(B, this.head, null, xn, logits, V, C); // (B, V)
  }
}
