/*
 * The matrix-vector path of GEMM: M = 1 (token-by-token decoding), and 2 <= M <= 8 rows
 * with B transposed (a few sequences decoded together). Included by gemm.c (it uses
 * gemm_args and div_up from there), compiled once per ISA like the rest.
 */

/* ------------------------------------------------------------------ M = 1 (GEMV)
 * One output row (token-by-token decoding): packing B would cost as much as the product,
 * so B is read in place. B not transposed: fixed column chunks (one task each). B
 * transposed (y = W x, the decode case): row chunks of decreasing size (guided: each
 * about the rows left / (2 threads), down to ~64 KB of weights), handed out dynamically,
 * so the threads finish within a few microseconds of each other (fixed 64-row chunks left
 * one thread idle for half a chunk, ~6 us, at the end of each of a token's ~85 products).
 * Each row is summed the same way in any chunk, so the split never changes a result. */
#define GEMV_COLS 64L
/* Elements of B below which a GEMV stays on the calling thread: 65536 splits the 15M
 * shape's 288 x 288 products (15M decode 614 -> 682-698 tok/s, 2 threads) and keeps
 * stories260K's 512 x 64 lm_head on one thread (at 32768 it went 9.9k -> 8.7-9.0k tok/s). */
#ifndef GEMV_PARALLEL_MIN
#define GEMV_PARALLEL_MIN 65536.0
#endif
/* Smallest row chunk of the transposed GEMV, in weights (64 KB). */
#define GEMV_MIN_CHUNK 16384L
#define GEMV_MAX_CHUNKS 64

/* Most rows of op(A) the matrix-vector path takes (B transposed): a few sequences decoded
 * together read each weight once for all of them. */
#define GEMV_MAX_M 8

typedef struct {
  const gemm_args *g;
  const float *xs[GEMV_MAX_M]; /* the rows of op(A), each a contiguous K-vector */
  long nchunks;
  long start[GEMV_MAX_CHUNKS + 1]; /* transposed B: row chunk t is [start[t], start[t + 1]) */
} gemv_args;

/* Weight rows per pass of the transposed GEMV: two accumulators per row must stay in
 * registers (AVX-512 has 32 vector registers, AVX2/SSE 16). */
#if VL == 16
#define GEMV_ROWS 8
#else
#define GEMV_ROWS 4
#endif
/* c[m, j .. j + R) for MM rows x_m of op(A) and R weight rows from j (B transposed), with
 * every (m, j) summed exactly as the one-row path below sums it (two accumulators along k
 * in steps of 2 VL, a VL step, a masked tail, the fixed-order reduction): a row of a
 * batch gets the same bits as the same row decoded alone. Each weight load serves MM
 * rows. R and MM are constants at every call (always inlined), so the accumulators stay
 * in registers. */
static inline __attribute__((always_inline)) void gemv_multi_group(const gemm_args *g, const float *const *xs, long j,
                                                                    const int R, const int MM, int pf) {
  long K = g->K, ldb = g->ldb, ldc = g->ldc, K2 = K / (2 * VL) * (2 * VL);
  int one_step = K - K2 >= VL;
  long kt = K2 + (one_step ? VL : 0), tail = K - kt;
  const float *bb = g->b + j * ldb, *nb = bb + R * ldb;
  vf a0[4][GEMV_MAX_M], a1[4][GEMV_MAX_M];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int m = 0; m < MM; m++) a0[r][m] = a1[r][m] = vset1(0.0f);
  for (long k = 0; k < K2; k += 2 * VL) {
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      if (pf) {
        __builtin_prefetch(nb + r * ldb + k, 0, 1);
#if VL == 16
        __builtin_prefetch(nb + r * ldb + k + VL, 0, 1);
#endif
      }
      vf w0 = vload(bb + r * ldb + k), w1 = vload(bb + r * ldb + k + VL);
#pragma GCC unroll 8
      for (int m = 0; m < MM; m++) {
        a0[r][m] += vload(xs[m] + k) * w0;
        a1[r][m] += vload(xs[m] + k + VL) * w1;
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    if (one_step) {
      vf w0 = vload(bb + r * ldb + K2);
#pragma GCC unroll 8
      for (int m = 0; m < MM; m++) a0[r][m] += vload(xs[m] + K2) * w0;
    }
    if (tail) {
      vf wt = vload_part(bb + r * ldb + kt, tail);
#pragma GCC unroll 8
      for (int m = 0; m < MM; m++) a1[r][m] += vload_part(xs[m] + kt, tail) * wt;
    }
#pragma GCC unroll 8
    for (int m = 0; m < MM; m++) {
      float s = vhsum(a0[r][m] + a1[r][m]);
      float *cp = g->c + m * ldc + j + r;
      *cp = g->beta == 0.0f ? g->alpha * s : g->alpha * s + g->beta * *cp;
    }
  }
}

/* Rows [j0, j1) of the multi-row product: groups of R weight rows (as many as registers
 * allow for MM rows of op(A)), then single rows. */
#define GEMV_MULTI(MM, R)                                                                  \
  static __attribute__((noinline)) void gemv_multi_##MM(const gemm_args *g, const float *const *xs, long j0, long j1) { \
    long j = j0;                                                                           \
    for (; j + R <= j1; j += R) gemv_multi_group(g, xs, j, R, MM, j + 2 * R <= j1);         \
    for (; j < j1; j++) gemv_multi_group(g, xs, j, 1, MM, 0);                              \
  }
#if VL == 16
GEMV_MULTI(2, 4)
GEMV_MULTI(3, 2)
GEMV_MULTI(4, 2)
#else
GEMV_MULTI(2, 2)
GEMV_MULTI(3, 1)
GEMV_MULTI(4, 1)
#endif
GEMV_MULTI(5, 1)
GEMV_MULTI(6, 1)
GEMV_MULTI(7, 1)
GEMV_MULTI(8, 1)

static void gemv_chunk(const gemm_args *g, const float *const *xs, long j0, long j1) {
  long K = g->K;
  float *c = g->c;
  const float *x = xs[0];
  if (g->transB && g->M > 1) {
    switch (g->M) {
      case 2: gemv_multi_2(g, xs, j0, j1); break;
      case 3: gemv_multi_3(g, xs, j0, j1); break;
      case 4: gemv_multi_4(g, xs, j0, j1); break;
      case 5: gemv_multi_5(g, xs, j0, j1); break;
      case 6: gemv_multi_6(g, xs, j0, j1); break;
      case 7: gemv_multi_7(g, xs, j0, j1); break;
      default: gemv_multi_8(g, xs, j0, j1); break;
    }
    return;
  }
  if (!g->transB) {
    /* c[j] = sum_k x[k] B[k, j]: vectors along j, k in order */
    for (long j = j0; j < j1; j += 4 * VL) {
      long w = j1 - j < 4 * VL ? j1 - j : 4 * VL;
      vf acc[4] = {vset1(0.0f), vset1(0.0f), vset1(0.0f), vset1(0.0f)};
      if (w == 4 * VL) {
        for (long k = 0; k < K; k++) {
          vf xk = vset1(x[k]);
          const float *bk = g->b + k * g->ldb + j;
          for (int v = 0; v < 4; v++) acc[v] += xk * vload(bk + v * VL);
        }
      } else {
        for (long k = 0; k < K; k++) {
          vf xk = vset1(x[k]);
          const float *bk = g->b + k * g->ldb + j;
          for (int v = 0; v < 4 && v * VL < w; v++)
            acc[v] += xk * vload_part(bk + v * VL, w - v * VL < VL ? w - v * VL : VL);
        }
      }
      float out[4 * VL];
      for (int v = 0; v < 4; v++) vstore(out + v * VL, acc[v]);
      for (long q = 0; q < w; q++)
        c[j + q] = g->beta == 0.0f ? g->alpha * out[q] : g->alpha * out[q] + g->beta * c[j + q];
    }
    return;
  }
  /* c[j] = x . B[j, :] (the decode-time y = W x): GEMV_ROWS rows per pass share each load
   * of x and stream that many weight rows at once (2 GEMV_ROWS independent FMA chains).
   * Every row is summed the same way whether it runs in a group or alone (two accumulators
   * along k in steps of 2 VL, a VL step, a masked tail, then a fixed-order reduction), so
   * results do not depend on how rows are grouped or split over threads. */
  long ldb = g->ldb, K2 = K / (2 * VL) * (2 * VL);
  int one_step = K - K2 >= VL;
  long kt = K2 + (one_step ? VL : 0), tail = K - kt;
  long j = j0;
  for (; j + GEMV_ROWS <= j1; j += GEMV_ROWS) {
    const float *bb = g->b + j * ldb;
    vf a0[GEMV_ROWS], a1[GEMV_ROWS];
#pragma GCC unroll 16
    for (int r = 0; r < GEMV_ROWS; r++) a0[r] = a1[r] = vset1(0.0f);
    /* prefetch the next row group into L2 while this one streams: one core's hardware
     * prefetchers alone keep too few lines in flight (1 thread: ~14 -> ~16.5 GB/s) */
    const float *nb = bb + GEMV_ROWS * ldb;
    int pf = j + 2 * GEMV_ROWS <= j1;
    for (long k = 0; k < K2; k += 2 * VL) {
      vf x0 = vload(x + k), x1 = vload(x + k + VL);
      if (pf) {
#pragma GCC unroll 16
        for (int r = 0; r < GEMV_ROWS; r++) {
          __builtin_prefetch(nb + r * ldb + k, 0, 1);
#if VL == 16 /* a step covers two cache lines per row */
          __builtin_prefetch(nb + r * ldb + k + VL, 0, 1);
#endif
        }
      }
#pragma GCC unroll 16
      for (int r = 0; r < GEMV_ROWS; r++) {
        a0[r] += x0 * vload(bb + r * ldb + k);
        a1[r] += x1 * vload(bb + r * ldb + k + VL);
      }
    }
    if (one_step) {
      vf x0 = vload(x + K2);
#pragma GCC unroll 16
      for (int r = 0; r < GEMV_ROWS; r++) a0[r] += x0 * vload(bb + r * ldb + K2);
    }
    if (tail) {
      vf xt = vload_part(x + kt, tail);
#pragma GCC unroll 16
      for (int r = 0; r < GEMV_ROWS; r++) a1[r] += xt * vload_part(bb + r * ldb + kt, tail);
    }
    for (int r = 0; r < GEMV_ROWS; r++) {
      float s = vhsum(a0[r] + a1[r]);
      c[j + r] = g->beta == 0.0f ? g->alpha * s : g->alpha * s + g->beta * c[j + r];
    }
  }
  for (; j < j1; j++) {
    const float *b0 = g->b + j * ldb;
    vf a00 = vset1(0.0f), a01 = a00;
    for (long k = 0; k < K2; k += 2 * VL) {
      a00 += vload(x + k) * vload(b0 + k);
      a01 += vload(x + k + VL) * vload(b0 + k + VL);
    }
    if (one_step) a00 += vload(x + K2) * vload(b0 + K2);
    if (tail) a01 += vload_part(x + kt, tail) * vload_part(b0 + kt, tail);
    float s = vhsum(a00 + a01);
    c[j] = g->beta == 0.0f ? g->alpha * s : g->alpha * s + g->beta * c[j];
  }
}

static void task_gemv(void *ctx, long t, int tid) {
  (void)tid;
  const gemv_args *a = (const gemv_args *)ctx;
  if (a->g->transB) {
    gemv_chunk(a->g, a->xs, a->start[t], a->start[t + 1]);
    return;
  }
  long j0 = t * GEMV_COLS, j1 = a->g->N - j0 < GEMV_COLS ? a->g->N : j0 + GEMV_COLS;
  gemv_chunk(a->g, a->xs, j0, j1);
}

/* The guided row chunks of a transposed GEMV over nt threads (see above). */
static void gemv_plan_rows(gemv_args *a, int nt) {
  long N = a->g->N, K = a->g->K;
  long min_rows = div_up(div_up(GEMV_MIN_CHUNK, K), GEMV_ROWS) * GEMV_ROWS;
  long j = 0, t = 0;
  while (j < N) {
    long left = N - j;
    long rows = div_up(div_up(left, 2L * nt), GEMV_ROWS) * GEMV_ROWS;
    if (rows < min_rows) rows = min_rows;
    if (rows > left || t == GEMV_MAX_CHUNKS - 1) rows = left;
    a->start[t++] = j;
    j += rows;
  }
  a->start[t] = N;
  a->nchunks = t;
}

static void gemv(const gemm_args *g, int parallel, int tid) {
  gemv_args a;
  a.g = g;
  if (!g->transA || (g->M == 1 && g->lda == 1)) {
    for (long m = 0; m < g->M; m++) a.xs[m] = g->a + m * g->lda;
  } else {
    /* op(A)(m, k) = A[k, m]: gather each column into a contiguous vector */
    float *xs = (float *)llmts_scratch(tid, 0, (size_t)g->M * g->K * sizeof(float));
    if (!xs) return;
    for (long m = 0; m < g->M; m++) {
      for (long k = 0; k < g->K; k++) xs[m * g->K + k] = g->a[k * g->lda + m];
      a.xs[m] = xs + m * g->K;
    }
  }
  if (!(parallel && (double)g->N * g->K >= GEMV_PARALLEL_MIN)) {
    gemv_chunk(g, a.xs, 0, g->N);
    return;
  }
  long tasks = div_up(g->N, GEMV_COLS);
  if (g->transB) {
    gemv_plan_rows(&a, llmts_get_threads());
    tasks = a.nchunks;
  }
  llmts_parallel_for(tasks, task_gemv, &a);
}
