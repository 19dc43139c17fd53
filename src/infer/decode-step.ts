/**
 * One decoding step (one new token, T = 1) of a language model on preallocated buffers:
 * the same arithmetic as `model.forward(ids, 1, 1, null, cache)`, but straight through the
 * backend kernels, with no tensors, autograd bookkeeping or allocation per token. It runs
 * the model's `DecodePlan` (src/models/decode-plan.ts: typed per-layer weights), so it
 * never reads tensor names or asks which family the model is.
 *
 * Why: decoding is matrix-vector bound, and for small models the per-op cost of the
 * tensor layer (tensor objects, the buffer pool, transposes/reshapes that are no-ops at
 * T = 1) was larger than the arithmetic (measured: stories260K ran ~10x slower through
 * the model's `forward`). Prefill (many tokens at once) still goes through `forward`,
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
 * Quantised decoding: the plan comes from `decodePlanOf(model)`, so a model given bf16 or
 * Q8_0 weights (`setDecodeWeights`, src/models/decode-weights.ts; a bf16 / Q8_0 GGUF load
 * does it) multiplies those matrices with `gemvBf16` / `gemvQ8_0`, per matrix as its
 * `DecodeMatrix` says. Prefill still runs the fp32 weights through `forward`.
 *
 * @example
 * const step = new DecodeStep(model);
 * model.forward(promptIds, 1, n, null, cache);   // prefill
 * step.run(nextId, cache, logits);               // logits Float32Array(V); cache.length += 1
 * step.runBatch([a, b], [cacheA, cacheB], logits2); // logits2 Float32Array(2 * V), row per sequence
 */
import { backend } from '../backend/index.ts';
import type { Backend } from '../backend/backend.ts';
import type { DecodeMatrix, DecodePlan, LinearWeights, NormWeights } from '../models/decode-plan.ts';
import { decodePlanOf } from '../models/decode-weights.ts';
import type { LanguageModel } from '../models/model.ts';
import type { KVCache } from '../nn/kv-cache.ts';
import { RopeFrequencies } from '../nn/rope-scaling.ts';
import { LlmtsError } from '../util/errors.ts';

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
  /** The model's typed weights (live views), what every step reads. */
  readonly plan: DecodePlan;
  private readonly be: Backend;
  /** Rows the scratch buffers hold (grows on demand). */
  private rows = 0;
  // scratch, (B, *) row-major, and per-row views of them made once per size
  private x = new Float32Array(0); // (B, C)
  private xn = new Float32Array(0); // (B, C)
  private tmp = new Float32Array(0); // (B, C)
  private q = new Float32Array(0); // (B, C)
  private k = new Float32Array(0); // (B, kvC)
  private v = new Float32Array(0); // (B, kvC)
  private qkv = new Float32Array(0); // fused: (B, C + 2 kvC)
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
  /** Whether the layers' q/k/v come fused (one GEMM into `qkv`). */
  private readonly fused: boolean;
  /** The RoPE frequency tables (scaled or not), or null without RoPE. */
  private readonly freqs: RopeFrequencies | null;

  constructor(model: LanguageModel) {
    this.plan = decodePlanOf(model);
    this.be = backend();
    this.rowConsistent = probeRowConsistency(this.be);
    const kinds = new Set(this.plan.layers.map((l) => l.attention.kind));
    if (kinds.size > 1) throw new LlmtsError('E_MODEL', 'decode plan mixes fused and separate q/k/v projections', { where: 'DecodeStep', hint: 'a model gives one attention layout for all layers' });
    this.fused = kinds.has('fused');
    this.freqs = this.plan.rope ? new RopeFrequencies(this.plan.rope, this.plan.headSize) : null;
    this.probs = new Float32Array(this.plan.nHead * this.plan.blockSize);
    this.reserve(1);
  }

  /** Sizes the scratch buffers (and their row views) for B rows. */
  private reserve(B: number): void {
    if (B <= this.rows) return;
    const p = this.plan;
    const C = p.hiddenSize, kvC = p.nKvHead * p.headSize, H = p.intermediateSize;
    const fused = this.fused;
    this.rows = B;
    this.x = new Float32Array(B * C);
    this.xn = new Float32Array(B * C);
    this.tmp = new Float32Array(B * C);
    this.q = new Float32Array(fused ? 0 : B * C);
    this.k = new Float32Array(fused ? 0 : B * kvC);
    this.v = new Float32Array(fused ? 0 : B * kvC);
    const W = C + 2 * kvC;
    this.qkv = new Float32Array(fused ? B * W : 0);
    this.att = new Float32Array(B * C);
    this.h1 = new Float32Array(B * H);
    this.h2 = new Float32Array(B * H);
    this.h3 = new Float32Array(B * H);
    this.mean = new Float32Array(B);
    this.rstd = new Float32Array(B);
    const rows = (n: number, f: (b: number) => Float32Array): Float32Array[] => Array.from({ length: n }, (_, b) => f(b));
    if (fused) {
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
  private matmul(M: number, lin: LinearWeights, x: Float32Array, y: Float32Array): void {
    this.product(M, lin.matrix, x, y, lin.out, lin.in);
    if (lin.bias) this.be.addBias(M, lin.out, y, lin.bias, y);
  }

  /**
   * y (M, N) = x (M, K) W^T for W in any `DecodeMatrix` format: fp32 through `gemmRows`;
   * bf16 and Q8_0 through their decoding kernels, one call for all M rows (each weight read
   * once; every row summed as a lone row is, so batches equal lone steps bit for bit).
   */
  private product(M: number, w: DecodeMatrix, x: Float32Array, y: Float32Array, N: number, K: number): void {
    if (w.format === 'q8_0') this.be.gemvQ8_0(M, N, K, x, w.data, y); // (M, N)
    else if (w.format === 'bf16') this.be.gemvBf16(M, N, K, x, w.data, y); // (M, N)
    else this.gemmRows(M, w.data, x, y, N, K);
  }

  /** y (M, N) = x (M, K) W^T (K, N), without bias; see `matmul`. */
  private gemmRows(M: number, w: Float32Array, x: Float32Array, y: Float32Array, N: number, K: number): void {
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

  private norm(M: number, n: NormWeights, x: Float32Array, out: Float32Array): void {
    const C = this.plan.hiddenSize;
    if (n.kind === 'layernorm') this.be.layerNorm(M, C, n.eps, x, n.weight, n.bias!, out, this.mean, this.rstd);
    else this.be.rmsNorm(M, C, n.eps, x, n.weight, out, this.rstd);
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
    const p = this.plan, be = this.be;
    const C = p.hiddenSize, nh = p.nHead, nkv = p.nKvHead, hs = p.headSize, V = p.vocabSize;
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
    const tokens = p.embedding, positions = p.positions;
    for (let b = 0; b < B; b++) {
      const id = ids[b]!, pos = caches[b]!.length;
      for (let i = 0, src = id * C, dst = b * C; i < C; i++) x[dst + i] = tokens[src + i]!; // (B, C)
      if (positions) for (let i = 0, src = pos * C, dst = b * C; i < C; i++) x[dst + i] = x[dst + i]! + positions[src + i]!;
    }
    const scale = 1 / Math.sqrt(hs);
    const rope = p.rope, freqs = this.freqs;
    p.layers.forEach((w, l) => {
      this.norm(B, w.norm1, x, xn); // (B, C)
      if (w.attention.kind === 'fused') {
        this.matmul(B, w.attention.qkv, xn, this.qkv); // (B, C + 2 kvC)
      } else {
        this.matmul(B, w.attention.q, xn, this.q); // (B, nh * hs)
        this.matmul(B, w.attention.k, xn, this.k); // (B, nkv * hs)
        this.matmul(B, w.attention.v, xn, this.v); // (B, nkv * hs)
      }
      for (let b = 0; b < B; b++) {
        const cache = caches[b]!, pos = cache.length;
        const q = this.qRows[b]!, k = this.kRows[b]!, v = this.vRows[b]!;
        if (rope && freqs) {
          const { invFreq, attnFactor } = freqs.at(pos + 1);
          be.rope(1, nh, 1, hs, pos, rope.theta, rope.interleaved, false, q, invFreq, attnFactor); // (1, nh, 1, hs)
          be.rope(1, nkv, 1, hs, pos, rope.theta, rope.interleaved, false, k, invFreq, attnFactor); // (1, nkv, 1, hs)
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
      this.matmul(B, w.out, this.att, tmp); // (B, C)
      be.add(B * C, x, tmp, x);
      this.norm(B, w.norm2, x, xn); // (B, C)
      const H = p.intermediateSize;
      if (w.mlp.kind === 'swiglu') {
        this.matmul(B, w.mlp.gate, xn, this.h1); // (B, H)
        this.matmul(B, w.mlp.up, xn, this.h2); // (B, H)
        be.swiglu(B * H, this.h1, this.h2, this.h3); // (B, H)
      } else {
        this.matmul(B, w.mlp.up, xn, this.h1); // (B, H)
        be.gelu(B * H, this.h1, this.h3); // (B, H)
      }
      this.matmul(B, w.mlp.down, this.h3, tmp); // (B, C)
      be.add(B * C, x, tmp, x);
    });
    for (let b = 0; b < B; b++) caches[b]!.advance(1);
    this.norm(B, p.finalNorm, x, xn); // (B, C)
    this.product(B, p.lmHeadMatrix, xn, logits, V, C); // (B, V)
  }
}
