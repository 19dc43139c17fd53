/*
 * Forward-only kernels of the BERT encoder's inference path (src/models/encoder/inference.ts):
 * - packed attention: bidirectional attention over the packed rows of S sequences, read
 *   straight from the fused projection (N, 3C). Sequence s owns rows rowStart[s] ..
 *   rowStart[s+1]: its queries are all of them, its keys the first nKeys[s] (the real
 *   tokens; any padded rows of the sequence follow them). No (B, H, T, T) buffer and no key
 *   mask: scores exist only per task (32 query rows x nKeys) in scratch memory, and padding
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
  float *sc = (float *)llmts_scratch(tid, 2, (size_t)(rows * nk) * sizeof(float));
  if (!sc) return;
  const float *q = a->qkv + q0 * ld + h * hs, *k = a->qkv + r0 * ld + C + h * hs, *v = a->qkv + r0 * ld + 2 * C + h * hs;
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
