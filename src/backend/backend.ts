/**
 * The `Backend` interface: one method per numeric kernel, over flat Float32Array
 * buffers (row-major, contiguous unless a stride says otherwise). Two implementations:
 * `native` (the C addon in native/) and `reference` (plain TypeScript, the oracle).
 *
 * Rules every implementation follows:
 * - Kernels never allocate and never resize; callers pass every output buffer.
 * - Buffers may be `subarray` views; offsets are carried by the view itself.
 * - "accumulates" means `out += ...`; otherwise the kernel overwrites `out`.
 * - Backward kernels accumulate into gradient buffers (so micro-batches add up).
 * - Integer inputs (token ids, targets) are Int32Array.
 * - Same inputs -> same outputs, whatever the thread count (reductions are split in a
 *   fixed way that does not depend on the number of threads).
 */
export interface Backend {
  /** 'native' or 'reference'. */
  readonly name: string;
  /** Threads kernels may use (1 for reference). */
  getThreads(): number;
  /** Sets the thread count (native: clamps to >= 1; reference: ignored). */
  setThreads(n: number): void;

  // ---------------------------------------------------------------- GEMM
  /**
   * Batched strided GEMM: for each b in [0, batch):
   *   C_b = alpha * op(A_b) @ op(B_b) + beta * C_b
   * with op(X) = X or X^T, op(A_b) (M, K), op(B_b) (K, N), C_b (M, N).
   * A_b starts at a[b * strideA] and is stored row-major with leading dimension lda
   * (lda >= K if !transA else >= M); likewise B (ldb), C (ldc).
   * beta = 0 means C is not read (garbage/NaN in C is fine).
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, a: Float32Array, lda: number, strideA: number,
    b: Float32Array, ldb: number, strideB: number,
    beta: number, c: Float32Array, ldc: number, strideC: number,
    batch: number,
  ): void;

  // ---------------------------------------------------------------- bf16 and int8 (Q8_0)
  // Formats (src/backend/lowp-format.ts): bf16 = Uint16Array of the top halves of fp32
  // values (rounded to nearest even); Q8_0 = Uint8Array of llama.cpp's blocks (34 bytes per
  // 32 weights: fp16 scale, 32 int8), rows of K weights back to back (K % 32 == 0).
  /** out[i] = bf16(x[i]), nearest even, NaN -> 0x7FC0 (PyTorch's rounding), i < n. */
  toBf16(n: number, x: Float32Array, out: Uint16Array): void;
  /** out[i] = the fp32 value of bf16 x[i] (exact), i < n. */
  fromBf16(n: number, x: Uint16Array, out: Float32Array): void;
  /**
   * `gemm` (same arguments, layouts, batching and beta rule) with bf16 products and fp32
   * sums: each of a and b is bf16 (Uint16Array) or fp32 (Float32Array, rounded to bf16
   * as it is read, so fp32 master weights need no bf16 copy). C stays fp32. Native: AMX
   * tiles or AVX512-BF16 where the CPU has them (see `NativeBackend.lowpInfo`).
   */
  gemmBf16(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, a: Float32Array | Uint16Array, lda: number, strideA: number,
    b: Float32Array | Uint16Array, ldb: number, strideB: number,
    beta: number, c: Float32Array, ldc: number, strideC: number,
    batch: number,
  ): void;
  /** y (M, N) = x (M, K) W^T for bf16 weights w (N, K), fp32 products and sums (decoding). */
  gemvBf16(M: number, N: number, K: number, x: Float32Array, w: Uint16Array, y: Float32Array): void;
  /** n floats (n % 32 == 0) -> n / 32 Q8_0 blocks in out (llama.cpp's and gguf-py's quantiser). */
  quantizeQ8_0(n: number, x: Float32Array, out: Uint8Array): void;
  /** n / 32 Q8_0 blocks -> n floats (d * q, exact). */
  dequantizeQ8_0(n: number, q: Uint8Array, out: Float32Array): void;
  /**
   * y (M, N) = x (M, K) W^T for Q8_0 weights w (N rows of K / 32 blocks), K % 32 == 0:
   * llama.cpp's q8_0 x q8_0 product. Each row of x is quantised to Q8_0 (same quantiser),
   * each block's int8 dot product is exact, scaled by d_w * d_x and summed in fp32.
   * Rows of y do not depend on M or the thread count (a batched decode step equals lone ones).
   */
  gemvQ8_0(M: number, N: number, K: number, x: Float32Array, w: Uint8Array, y: Float32Array): void;

  // ---------------------------------------------------------------- elementwise
  /** out[i] = a[i] + b[i], i < n. */
  add(n: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out[i] = a[i] * b[i], i < n. */
  mul(n: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out[i] += a[i] * b[i], i < n (the product rule's backward). */
  mulAcc(n: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out[i] = s * x[i], i < n (out may alias x). */
  scale(n: number, s: number, x: Float32Array, out: Float32Array): void;
  /** y[i] += alpha * x[i], i < n. */
  axpy(n: number, alpha: number, x: Float32Array, y: Float32Array): void;
  /** out[r, c] = x[r, c] + bias[c] for rows x cols (out may alias x). */
  addBias(rows: number, cols: number, x: Float32Array, bias: Float32Array, out: Float32Array): void;
  /** dbias[c] += sum_r dout[r, c] (bias backward). */
  addBiasBackward(rows: number, cols: number, dout: Float32Array, dbias: Float32Array): void;

  // ---------------------------------------------------------------- reductions
  /**
   * Sum over the middle axis of x viewed as (outer, axis, inner): out (outer, inner).
   * Mean = sumAxis then scale by 1/axis.
   */
  sumAxis(outer: number, axis: number, inner: number, x: Float32Array, out: Float32Array): void;
  /**
   * Backward of sumAxis: dx (outer, axis, inner) += s * dout (outer, inner) broadcast over
   * the axis (s = 1 for sum, 1/axis for mean).
   */
  sumAxisBackward(outer: number, axis: number, inner: number, s: number, dout: Float32Array, dx: Float32Array): void;
  /** Sum of squares of x[0..n) computed in float64 (for global-norm clipping). */
  sumSquares(n: number, x: Float32Array): number;
  /**
   * Index of the largest of x[0..n) (greedy decoding): the first on ties; a NaN never wins,
   * and a NaN at 0 gives 0 (the scan `if (x[i] > x[best]) best = i`, as llama2.c's). 0 for
   * n = 0.
   */
  argmax(n: number, x: Float32Array): number;

  // ---------------------------------------------------------------- layout
  /**
   * Swaps axes 1 and 2 of a 4-D tensor: x (d0, d1, d2, d3) -> out (d0, d2, d1, d3).
   * Its own backward with d1 and d2 exchanged. (B, T, nh, hs) <-> (B, nh, T, hs).
   */
  transpose12(d0: number, d1: number, d2: number, d3: number, x: Float32Array, out: Float32Array): void;

  // ---------------------------------------------------------------- softmax / norms / activations
  /** Row softmax of x (rows, cols) into out (out may alias x). */
  softmax(rows: number, cols: number, x: Float32Array, out: Float32Array): void;
  /** dx += y * (dy - sum(dy * y)) per row, where y = softmax output. */
  softmaxBackward(rows: number, cols: number, y: Float32Array, dy: Float32Array, dx: Float32Array): void;

  /**
   * LayerNorm over the last dim C of x (rows, C): out = (x - mean) * rstd * w + b.
   * Saves mean (rows) and rstd (rows) for backward.
   */
  layerNorm(rows: number, C: number, eps: number, x: Float32Array, w: Float32Array, b: Float32Array,
    out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** LayerNorm backward: dx, dw, db accumulate. */
  layerNormBackward(rows: number, C: number, dout: Float32Array, x: Float32Array, w: Float32Array,
    mean: Float32Array, rstd: Float32Array, dx: Float32Array, dw: Float32Array, db: Float32Array): void;

  /** RMSNorm over the last dim: out = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps); saves rstd (rows). */
  rmsNorm(rows: number, C: number, eps: number, x: Float32Array, w: Float32Array, out: Float32Array, rstd: Float32Array): void;
  /** RMSNorm backward: dx, dw accumulate. */
  rmsNormBackward(rows: number, C: number, dout: Float32Array, x: Float32Array, w: Float32Array,
    rstd: Float32Array, dx: Float32Array, dw: Float32Array): void;

  /** GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  gelu(n: number, x: Float32Array, out: Float32Array): void;
  /** dx += gelu'(x) * dout. */
  geluBackward(n: number, x: Float32Array, dout: Float32Array, dx: Float32Array): void;
  /** GELU, exact: 0.5 x (1 + erf(x / sqrt 2)) (BERT). */
  geluErf(n: number, x: Float32Array, out: Float32Array): void;
  /** dx += (Phi(x) + x phi(x)) * dout. */
  geluErfBackward(n: number, x: Float32Array, dout: Float32Array, dx: Float32Array): void;
  /** SiLU: x * sigmoid(x). */
  silu(n: number, x: Float32Array, out: Float32Array): void;
  /** dx += silu'(x) * dout. */
  siluBackward(n: number, x: Float32Array, dout: Float32Array, dx: Float32Array): void;
  /** SwiGLU: out = silu(gate) * up. */
  swiglu(n: number, gate: Float32Array, up: Float32Array, out: Float32Array): void;
  /** dgate += silu'(gate) * up * dout; dup += silu(gate) * dout. */
  swigluBackward(n: number, gate: Float32Array, up: Float32Array, dout: Float32Array, dgate: Float32Array, dup: Float32Array): void;

  // ---------------------------------------------------------------- attention
  /**
   * Fused scaled-dot-product attention, probabilities saved for backward.
   * q (B, nh, Tq, hs); k, v (B, nkv, Tk, hs) stored with capacity kvCap >= Tk along T
   * (a KV cache: element (b, h, t, d) at ((b*nkv + h)*kvCap + t)*hs + d); nh % nkv == 0
   * (GQA: query head h reads kv head floor(h / (nh / nkv))).
   * Query row i sits at absolute position posOffset + i. With causal, it sees keys
   * j <= posOffset + i. keyMask, if given, is (B, Tk) of 0/1: keys with 0 are hidden
   * (padding). A row that sees no key outputs zeros.
   * out (B, nh, Tq, hs); att (B, nh, Tq, Tk) receives the softmax probabilities.
   * scale is usually 1/sqrt(hs). Tq = 1 with a cache is the decode path.
   */
  attention(B: number, nh: number, nkv: number, Tq: number, Tk: number, kvCap: number, hs: number,
    scale: number, causal: boolean, posOffset: number, keyMask: Float32Array | null,
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, att: Float32Array): void;
  /** Attention backward (kvCap = Tk): dq, dk, dv accumulate. */
  attentionBackward(B: number, nh: number, nkv: number, Tq: number, Tk: number, hs: number, scale: number,
    q: Float32Array, k: Float32Array, v: Float32Array, att: Float32Array, dout: Float32Array,
    dq: Float32Array, dk: Float32Array, dv: Float32Array): void;

  /**
   * Self-attention read straight from a fused projection, with no head transposes:
   * qkv (B, T, 3C), C = nh * hs, each row [q | k | v], head h at columns h*hs..h*hs+hs of
   * each part; out (B, T, C), heads side by side (ready for the output projection).
   * Same result as `attention` with nkv = nh, Tq = Tk = kvCap = T, posOffset 0 on the
   * (B, nh, T, hs) transposes; att (B, nh, T, T) receives the probabilities; keyMask (B, T) or null.
   */
  attentionQkv(B: number, T: number, nh: number, hs: number, scale: number, causal: boolean,
    keyMask: Float32Array | null, qkv: Float32Array, out: Float32Array, att: Float32Array): void;
  /** Backward of attentionQkv: dqkv (B, T, 3C) accumulates (dq, dk, dv in place of q, k, v). */
  attentionQkvBackward(B: number, T: number, nh: number, hs: number, scale: number,
    qkv: Float32Array, att: Float32Array, dout: Float32Array, dqkv: Float32Array): void;

  // ---------------------------------------------------------------- encoder inference (forward only)
  /**
   * Bidirectional attention over the packed rows of S sequences, read from a fused
   * projection qkv (N, 3C), C = nh * hs, each row [q | k | v]: sequence s owns rows
   * rowStart[s] .. rowStart[s+1] (rowStart (S + 1), non-decreasing, N = rowStart[S]); its
   * queries are all of them, its keys the first nKeys[s] (0 <= nKeys[s] <= its rows). out
   * (N, C), heads side by side. Nothing is saved (no backward); a sequence with no key gives
   * zero rows. `attentionQkv` with a key mask, without the (B, nh, T, T) buffer or padding.
   */
  packedAttention(S: number, nh: number, hs: number, scale: number, rowStart: Int32Array, nKeys: Int32Array,
    qkv: Float32Array, out: Float32Array): void;
  /** out[r, c] = geluErf(x[r, c] + bias[c]) for rows x cols (out may alias x). */
  biasGeluErf(rows: number, cols: number, x: Float32Array, bias: Float32Array, out: Float32Array): void;
  /**
   * out = LayerNorm(residual + (x + bias)) over rows of C (bias (C) may be null: then
   * residual + x); w, b are the LayerNorm's. out may alias x or residual. Nothing saved.
   */
  addLayerNorm(rows: number, C: number, eps: number, x: Float32Array, bias: Float32Array | null, residual: Float32Array,
    w: Float32Array, b: Float32Array, out: Float32Array): void;

  /**
   * Self-attention for training, in the projections' layout and without the probabilities:
   * q (B, T, nh*hs), k, v (B, T, nkv*hs) (heads side by side in each row; GQA as in
   * `attention`) -> out (B, T, nh*hs), and lse (B, nh, T) the log-sum-exp of each row of
   * scaled scores (-inf for a row that sees no key; its output is zeros). causal: row t sees
   * keys j <= t; keyMask (B, T) of 0/1 hides keys. cs (T, hs/2, 2) of cos, sin (see
   * `ropeTable` in src/tensor/self-attention.ts), or null: q and k are rotated by it (RoPE,
   * pairs as `rope`'s interleaved) before the scores. Equal to `rope` + `transpose12` +
   * `attention` up to float rounding.
   */
  selfAttention(B: number, T: number, nh: number, nkv: number, hs: number, scale: number, causal: boolean,
    keyMask: Float32Array | null, cs: Float32Array | null, interleaved: boolean,
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, lse: Float32Array): void;
  /** Backward of selfAttention from its inputs, out and lse (probabilities recomputed): dq, dk, dv accumulate. */
  selfAttentionBackward(B: number, T: number, nh: number, nkv: number, hs: number, scale: number, causal: boolean,
    keyMask: Float32Array | null, cs: Float32Array | null, interleaved: boolean,
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, lse: Float32Array, dout: Float32Array,
    dq: Float32Array, dk: Float32Array, dv: Float32Array): void;

  /**
   * Rotary position embedding in place on x (B, H, T, hs), position of row t = posOffset + t,
   * angle = pos * invFreq[i], invFreq[i] = theta^(-2i/hs) (computed in double) unless
   * `invFreq` (hs/2) is given (scaled RoPE: src/nn/rope-scaling.ts). interleaved: rotate
   * pairs (2i, 2i+1) (llama2.c / Meta); else rotate halves (i, i + hs/2) (Hugging Face).
   * inverse rotates by -angle (the backward). cos and sin are multiplied by `attnFactor`
   * (default 1; YaRN's attention scaling), so the inverse is also the transpose.
   */
  rope(B: number, H: number, T: number, hs: number, posOffset: number, theta: number,
    interleaved: boolean, inverse: boolean, x: Float32Array, invFreq?: Float32Array | null, attnFactor?: number): void;

  // ---------------------------------------------------------------- embedding / loss
  /** out[i, :] = table[ids[i], :] for i < n; ids out of [0, V) throw in the caller. */
  embedding(n: number, C: number, ids: Int32Array, table: Float32Array, out: Float32Array): void;
  /** dtable[ids[i], :] += dout[i, :] (scatter-add; deterministic order). */
  embeddingBackward(n: number, C: number, ids: Int32Array, dout: Float32Array, dtable: Float32Array): void;

  /**
   * Softmax cross-entropy per row of logits (N, V) against targets (N); rows whose target
   * equals ignoreIndex give loss 0 and are not counted. Writes losses (N) and lse (N, the
   * log-sum-exp per row, kept for backward). Returns the number of counted rows.
   */
  crossEntropy(N: number, V: number, logits: Float32Array, targets: Int32Array, ignoreIndex: number,
    losses: Float32Array, lse: Float32Array): number;
  /** dlogits += dloss * (softmax(logits) - onehot(target)) per counted row (ignored rows: 0). */
  crossEntropyBackward(N: number, V: number, logits: Float32Array, targets: Int32Array, ignoreIndex: number,
    lse: Float32Array, dloss: number, dlogits: Float32Array): void;

  /**
   * Inverted dropout: keep element i iff hashUniform(seed, i) >= p (src/util/rng.ts);
   * out = x * mask / (1 - p); mask (n) receives 0 or 1/(1-p). Backward is mulAcc with mask.
   */
  dropout(n: number, p: number, seed: number, x: Float32Array, out: Float32Array, mask: Float32Array): void;

  // ---------------------------------------------------------------- optimizers
  /**
   * AdamW step in place (decoupled weight decay), t = step number starting at 1:
   *   m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2
   *   p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p)
   */
  adamw(n: number, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, t: number): void;
  /**
   * SGD with momentum in place: g' = g + wd p; buf = mu buf + g'; p -= lr * (nesterov ? g' + mu buf : buf).
   */
  sgd(n: number, p: Float32Array, g: Float32Array, buf: Float32Array,
    lr: number, momentum: number, weightDecay: number, nesterov: boolean): void;
}
