/*
 * Forward-only kernels of the BERT encoder's inference path (src/models/encoder/inference.ts):
 * - packed attention: bidirectional attention over the packed rows of S sequences, read
 *   straight from the fused projection (N, 3C). Sequence s owns rows rowStart[s] ..
 *   rowStart[s+1]: its queries are all of them, its keys the first nKeys[s] (the real
 *   tokens; any padded rows of the sequence follow them). No (B, H, T, T) buffer and no key
 *   mask: scores exist only per task (up to 64 query rows x nKeys) in scratch memory, and padding
 *   that is not packed is never computed;
 * - bias + exact GELU in one pass (the MLP's intermediate activation);
 * - bias + residual + LayerNorm in one pass (post-LayerNorm blocks).
 * Included by isa_*.c after attention.c (uses gemm_serial, softmax_visible_row,
 * gelu_erf_cdf, row_sum, run_rows). Attention splits over (sequence, head, query block):
 * each task owns its output rows, so results do not depend on the thread count.
 */

#define ENC_ROWS_PER_TASK 64L

typedef struct {
  long S, nh, hs;
  float scale;
  const int *rowStart, *nKeys;
  const float *qkv;
  float *out;
} enc_att_args;

/* The register-blocked path, for head sizes of 1 to 4 whole vectors (hs 64 on AVX-512): the
 * keys' K^T (hs, nkp) in scratch (nkp = nk rounded up to whole vectors, zero columns after
 * nk); per group of ENC_QR query rows, S = scale Q K^T in 4-vector chunks of keys held in
 * ENC_QR x 4 accumulators, then the softmax of each row, then O = P V with ENC_QR x (hs / VL)
 * accumulators (V rows read in place), without the general GEMM's packing (bert-mini, one
 * layer at one thread: 1.17 -> 1.02 ms CPU; the K^T copy is about a quarter of what is
 * left, the softmax another). A group's missing rows repeat its last row and are not stored. */
#define ENC_QR 4
/* Scores of ENC_QR query rows against kv (1..4, a constant where it is inlined) vectors of
 * keys: s[r][c] = scale * sum_d q[r][d] K^T[d][c]; rows r >= R are not stored. */
static inline __attribute__((always_inline)) void enc_scores_chunk(const float *const *qr, const float *kt, long nkp,
                                                                   long hs, long kv, vf vscale, float *s, long R) {
  vf acc[ENC_QR][4];
  for (long r = 0; r < ENC_QR; r++)
    for (long c = 0; c < 4; c++) acc[r][c] = vset1(0.0f);
  for (long d = 0; d < hs; d++) {
    const float *kd = kt + d * nkp;
    vf kvec[4];
    for (long c = 0; c < kv; c++) kvec[c] = vload(kd + c * VL);
    for (long r = 0; r < ENC_QR; r++) {
      vf qd = vset1(qr[r][d]);
      for (long c = 0; c < kv; c++) acc[r][c] += qd * kvec[c];
    }
  }
  for (long r = 0; r < R; r++)
    for (long c = 0; c < kv; c++) vstore(s + r * nkp + c * VL, acc[r][c] * vscale);
}

static void enc_attention_regs(const float *q, const float *k, const float *v, long ld, long rows, long nk, long hs,
                               float scale, float *kt, float *sc, float *o, long ldo) {
  long nv = hs / VL, nkp = ldiv_up(nk, VL) * VL;
  for (long d = 0; d < hs; d++) {
    float *row = kt + d * nkp;
    for (long j = 0; j < nk; j++) row[j] = k[j * ld + d];
    for (long j = nk; j < nkp; j++) row[j] = 0.0f;
  }
  vf zero = vset1(0.0f), vscale = vset1(scale);
  for (long i0 = 0; i0 < rows; i0 += ENC_QR) {
    long R = lmin(ENC_QR, rows - i0);
    const float *qr[ENC_QR];
    for (long r = 0; r < ENC_QR; r++) qr[r] = q + (i0 + lmin(r, R - 1)) * ld;
    for (long kc = 0; kc < nkp; kc += 4 * VL) {
      long kv = lmin(4, (nkp - kc) / VL);
      float *s0 = sc + i0 * nkp + kc;
      switch (kv) { /* constant vector counts: no FMA on absent key vectors */
        case 1: enc_scores_chunk(qr, kt + kc, nkp, hs, 1, vscale, s0, R); break;
        case 2: enc_scores_chunk(qr, kt + kc, nkp, hs, 2, vscale, s0, R); break;
        case 3: enc_scores_chunk(qr, kt + kc, nkp, hs, 3, vscale, s0, R); break;
        default: enc_scores_chunk(qr, kt + kc, nkp, hs, 4, vscale, s0, R); break;
      }
    }
  }
  for (long i = 0; i < rows; i++) softmax_visible_row(sc + i * nkp, nk, nk - 1, NULL);
  for (long i0 = 0; i0 < rows; i0 += ENC_QR) {
    long R = lmin(ENC_QR, rows - i0);
    const float *pr[ENC_QR];
    for (long r = 0; r < ENC_QR; r++) pr[r] = sc + (i0 + lmin(r, R - 1)) * nkp;
    vf acc[ENC_QR][4];
    for (long r = 0; r < ENC_QR; r++)
      for (long c = 0; c < 4; c++) acc[r][c] = zero;
    for (long j = 0; j < nk; j++) {
      const float *vj = v + j * ld;
      vf v0 = vload(vj), v1 = nv > 1 ? vload(vj + VL) : zero, v2 = nv > 2 ? vload(vj + 2 * VL) : zero,
         v3 = nv > 3 ? vload(vj + 3 * VL) : zero;
      for (long r = 0; r < ENC_QR; r++) {
        vf p = vset1(pr[r][j]);
        acc[r][0] += p * v0;
        acc[r][1] += p * v1;
        acc[r][2] += p * v2;
        acc[r][3] += p * v3;
      }
    }
    for (long r = 0; r < R; r++)
      for (long c = 0; c < nv; c++) vstore(o + (i0 + r) * ldo + c * VL, acc[r][c]);
  }
}

static void task_enc_attention(void *ctx, long t, int tid) {
  const enc_att_args *a = (const enc_att_args *)ctx;
  long s = 0, blocks = 0;
  for (; s < a->S; s++) {
    blocks = ldiv_up(a->rowStart[s + 1] - a->rowStart[s], ENC_ROWS_PER_TASK);
    if (t < a->nh * blocks) break;
    t -= a->nh * blocks;
  }
  if (s == a->S) return;
  long hs = a->hs, C = a->nh * hs, ld = 3 * C;
  long h = t / blocks, qb = t % blocks;
  long r0 = a->rowStart[s], nk = a->nKeys[s];
  long q0 = r0 + qb * ENC_ROWS_PER_TASK, q1 = lmin(a->rowStart[s + 1], q0 + ENC_ROWS_PER_TASK), rows = q1 - q0;
  float *o = a->out + q0 * C + h * hs;
  if (nk <= 0) {
    for (long i = 0; i < rows; i++)
      for (long d = 0; d < hs; d++) o[i * C + d] = 0.0f;
    return;
  }
  const float *q = a->qkv + q0 * ld + h * hs, *k = a->qkv + r0 * ld + C + h * hs, *v = a->qkv + r0 * ld + 2 * C + h * hs;
  if (hs % VL == 0 && hs <= 4 * VL) {
    long nkp = ldiv_up(nk, VL) * VL;
    float *kt = (float *)llmts_scratch(tid, 2, (size_t)((hs + rows) * nkp) * sizeof(float));
    if (!kt) return;
    enc_attention_regs(q, k, v, ld, rows, nk, hs, a->scale, kt, kt + hs * nkp, o, C);
    return;
  }
  float *sc = (float *)llmts_scratch(tid, 2, (size_t)(rows * nk) * sizeof(float));
  if (!sc) return;
  gemm_serial(0, 1, rows, nk, hs, a->scale, q, ld, k, ld, 0.0f, sc, nk, tid); /* S = scale Q K^T (rows, nk) */
  for (long i = 0; i < rows; i++) softmax_visible_row(sc + i * nk, nk, nk - 1, NULL);
  gemm_serial(0, 0, rows, hs, nk, 1.0f, sc, nk, v, ld, 0.0f, o, C, tid); /* O = P V (rows, hs) */
}

static void k_packed_attention(long S, long nh, long hs, float scale, const int *rowStart, const int *nKeys,
                               const float *qkv, float *out) {
  if (S <= 0 || nh <= 0 || hs <= 0) return;
  enc_att_args a = {S, nh, hs, scale, rowStart, nKeys, qkv, out};
  long tasks = 0, work = 0;
  for (long s = 0; s < S; s++) {
    long rows = rowStart[s + 1] - rowStart[s];
    tasks += nh * ldiv_up(rows, ENC_ROWS_PER_TASK);
    work += rows * nKeys[s];
  }
  if (work * nh * hs < PAR_MIN) for (long t = 0; t < tasks; t++) task_enc_attention(&a, t, 0);
  else llmts_parallel_for(tasks, task_enc_attention, &a);
}

/* ------------------------------------------------------------------ bias + exact GELU */
/* x = x, b = bias; o1 = out */
static void row_bias_gelu_erf(const row_args *a, long r) {
  const float *x = a->x + r * a->cols;
  float *o = a->o1 + r * a->cols;
  long i0 = 0, i1 = a->cols;
  VEC_LOOP({
    vf v = LOAD(x) + LOAD(a->b);
    STORE(o, v * gelu_erf_cdf(v, NULL));
  })
}

static void k_bias_gelu_erf(long rows, long cols, const float *x, const float *bias, float *out) {
  row_args a = {.fn = row_bias_gelu_erf, .rows = rows, .cols = cols, .x = x, .b = bias, .o1 = out};
  run_rows(&a);
}

/* ------------------------------------------------------------------ bias + residual + LayerNorm */
/* x = x, p4 = bias of x (or NULL), y = residual, w, b = LayerNorm's; o1 = out. out = LN(res + (x + bias)):
 * the sum goes to out first, then LayerNorm as row_layer_norm computes it, in place. */
static void row_add_layer_norm(const row_args *a, long r) {
  long C = a->cols;
  const float *x = a->x + r * C, *res = a->y + r * C, *xb = a->p4;
  float *o = a->o1 + r * C;
  long i0 = 0, i1 = C;
  if (xb) VEC_LOOP(STORE(o, LOAD(res) + (LOAD(x) + LOAD(xb)));)
  else VEC_LOOP(STORE(o, LOAD(res) + LOAD(x));)
  float m = row_sum(o, C) / (float)C;
  vf vm = vset1(m), acc = vset1(0.0f);
  VEC_LOOP({
    vf d = LOAD(o) - vm;
    if (len < VL)
      for (long q = len; q < VL; q++) d[q] = 0.0f;
    acc += d * d;
  })
  float s = 1.0f / sqrtf(vhsum(acc) / (float)C + a->eps);
  vf vs = vset1(s);
  VEC_LOOP(STORE(o, (LOAD(o) - vm) * vs * LOAD(a->w) + LOAD(a->b));)
}

static void k_add_layer_norm(long rows, long C, float eps, const float *x, const float *bias, const float *residual,
                             const float *w, const float *b, float *out) {
  row_args a = {.fn = row_add_layer_norm, .rows = rows, .cols = C, .x = x, .p4 = bias, .y = residual, .w = w,
                .b = b, .o1 = out, .eps = eps};
  run_rows(&a);
}
