/*
 * Decoding with low-precision weights: y (M, N) = x (M, K) W^T for a few rows of x
 * (M <= 8 in a batched decode step, any M allowed) and W in bf16 or Q8_0, plus the format
 * conversions (fp32 <-> bf16, fp32 <-> Q8_0).
 *
 * Q8_0 is llama.cpp's q8_0 x q8_0 product: each row of x is quantised per block of 32 to
 * int8 with an fp16 scale (the same quantiser as the weights), each block's 32 int8
 * products are summed exactly in int32, scaled by d_w * d_x and summed in fp32. With
 * AVX512-VNNI the int8 sums are VPDPBUSD (unsigned x signed bytes): w + 128 (one XOR) is the
 * unsigned operand, and each sum starts from -128 . x, which depends on x only and so is
 * made once per block pair for all the rows of a pass (one VPDPBUSD and one XOR per row,
 * against llama.cpp's |w| . sign(x, w) with two sign moves per row). AMX-INT8 does
 * not pay here: a decode step is bound by reading the weights (34 bytes per 32), and
 * AMX's 16-row tiles would sit 15/16 empty with M = 1 while each 32-wide block still needs
 * its own scale.
 *
 * Weight rows are split over the pool in chunks of about 32 KB; each output is summed the
 * same way in any chunk, so results do not depend on the thread count.
 * Included by lowp_*.c (LOWP_AVX512 / LOWP_AMX 0 or 1).
 */
#include "lowp_common.h"
#if LOWP_AVX512 || LOWP_AMX
#include <immintrin.h>
#define LOWP_SIMD 1
#else
#define LOWP_SIMD 0
#endif

#define GV_CHUNK_BYTES 32768L
#define GV_PARALLEL_MIN 65536.0 /* weights below which a product stays on the calling thread */
#define GV_ROWS 4 /* weight rows per pass */
#ifndef GV_Q8_AHEAD
#define GV_Q8_AHEAD 4 /* Q8_0 rows ahead that are prefetched */
#endif
#ifndef GV_PF_HINT
#define GV_PF_HINT 1
#endif

static void k_to_bf16(long n, const float *x, uint16_t *out) {
  for (long i = 0; i < n; i++) out[i] = bf16_round(x[i]);
}

static void k_from_bf16(long n, const uint16_t *x, float *out) {
  for (long i = 0; i < n; i++) out[i] = bits_f32((uint32_t)x[i] << 16);
}

static void k_dequantize_q8_0(long n, const uint8_t *q, float *out) {
  for (long b = 0; b < n / Q8_BLOCK; b++) {
    uint16_t dh;
    memcpy(&dh, q + b * Q8_BYTES, 2);
    float d = f16_float(dh);
    const int8_t *qs = (const int8_t *)(q + b * Q8_BYTES + 2);
    for (int i = 0; i < Q8_BLOCK; i++) out[b * Q8_BLOCK + i] = d * (float)qs[i];
  }
}

typedef struct {
  long M, N, K, rows_per_task;
  const float *x;
  const void *w;
  float *y;
  const int8_t *xq; /* Q8_0: x quantised, (M, K) int8 */
  const float *xd;  /* Q8_0: its scales as floats, (M, K / 32) */
} gv_args;

/* ------------------------------------------------------------------ bf16 weights */
/* Rows w + r K (r < R) . x into out[r], each summed the same way for any R (always
 * inlined with a constant R); the next group's rows are prefetched as these are read. */
static inline __attribute__((always_inline)) void gv_dot_bf16(const uint16_t *w, const float *x, long K, const int R,
                                                               float *out) {
#if LOWP_SIMD
  __m512 acc0[4], acc1[4];
  for (int r = 0; r < R; r++) acc0[r] = acc1[r] = _mm512_setzero_ps();
  long k = 0;
  for (; k + 32 <= K; k += 32) {
    __m512 x0 = _mm512_loadu_ps(x + k), x1 = _mm512_loadu_ps(x + k + 16);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const uint16_t *wr = w + r * K + k;
      __builtin_prefetch(wr + R * K, 0, 1);
      __m512i w0 = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)wr)), 16);
      __m512i w1 = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(wr + 16))), 16);
      acc0[r] = _mm512_fmadd_ps(_mm512_castsi512_ps(w0), x0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(_mm512_castsi512_ps(w1), x1, acc1[r]);
    }
  }
  for (; k < K; k += 16) {
    __mmask16 m = K - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (K - k)) - 1);
    __m512 xv = _mm512_maskz_loadu_ps(m, x + k);
    for (int r = 0; r < R; r++) {
      __m512i w0 = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, w + r * K + k)), 16);
      acc0[r] = _mm512_fmadd_ps(_mm512_castsi512_ps(w0), xv, acc0[r]);
    }
  }
  for (int r = 0; r < R; r++) out[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[r], acc1[r]));
#else
  for (int r = 0; r < R; r++) {
    const uint16_t *wr = w + r * K;
    float acc[8] = {0};
    long k = 0;
    for (; k + 8 <= K; k += 8)
      for (int i = 0; i < 8; i++) acc[i] += bf16_float(wr[k + i]) * x[k + i];
    for (; k < K; k++) acc[0] += bf16_float(wr[k]) * x[k];
    out[r] = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  }
#endif
}


static void gv_task_bf16(void *ctx, long t, int tid) {
  const gv_args *g = (const gv_args *)ctx;
  long n0 = t * g->rows_per_task, n1 = n0 + g->rows_per_task < g->N ? n0 + g->rows_per_task : g->N;
  const uint16_t *w = (const uint16_t *)g->w;
  float out[GV_ROWS];
  for (long m = 0; m < g->M; m++) {
    const float *x = g->x + m * g->K;
    float *y = g->y + m * g->N;
    long n = n0;
    for (; n + GV_ROWS <= n1; n += GV_ROWS) {
      gv_dot_bf16(w + n * g->K, x, g->K, GV_ROWS, out);
      memcpy(y + n, out, sizeof(out));
    }
    for (; n < n1; n++) gv_dot_bf16(w + n * g->K, x, g->K, 1, y + n);
  }
}

/* Runs fn over weight rows in chunks of about 32 KB (bytes_per_row each; a multiple of 4 rows). */
static void gv_run(gv_args *g, llmts_task_fn fn, long bytes_per_row) {
  g->rows_per_task = GV_CHUNK_BYTES / bytes_per_row / 4 * 4;
  if (g->rows_per_task < 4) g->rows_per_task = 4;
  long tasks = lp_div_up(g->N, g->rows_per_task);
  if ((double)g->N * g->K < GV_PARALLEL_MIN || llmts_get_threads() == 1) {
    for (long t = 0; t < tasks; t++) fn(g, t, 0);
  } else {
    llmts_parallel_for(tasks, fn, g);
  }
}

static void k_gemv_bf16(long M, long N, long K, const float *x, const uint16_t *w, float *y) {
  if (M <= 0 || N <= 0) return;
  gv_args g = {.M = M, .N = N, .K = K, .x = x, .w = w, .y = y};
  gv_run(&g, gv_task_bf16, K * 2 > 0 ? K * 2 : 1);
}

/* ------------------------------------------------------------------ Q8_0 weights */
static inline float q8_scale(const uint8_t *block) {
  uint16_t dh;
  memcpy(&dh, block, 2);
#if LOWP_SIMD
  return _cvtsh_ss(dh);
#else
  return f16_float(dh);
#endif
}

/* The rows w + r row_bytes (r < R, nb blocks each) . the quantised x (xq int8, xd
 * scales) into out[r]. Each row is summed the same way for any R (R is a constant at each
 * call: always inlined), so a row's result does not depend on its group. With SIMD, the
 * rows R ahead (the next group) are prefetched as these are read: one core's hardware
 * prefetchers keep too few lines in flight to stream at full bandwidth. */
static inline __attribute__((always_inline)) void gv_dot_q8(const uint8_t *w, long row_bytes, const int8_t *xq,
                                                             const float *xd, long nb, const int R, float *out) {
#if LOWP_SIMD
  __m512 acc[4];
  const __m512i zero = _mm512_setzero_si512();
  for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
  long b = 0;
  /* the two blocks' fp16 scales are 16-bit words 0 and 17 of the 64 bytes from w0: one
   * word permute puts them in lanes 0-7 and 8-15 */
  static const uint16_t scale_words[32] = {0, 0, 0, 0, 0, 0, 0, 0, 17, 17, 17, 17, 17, 17, 17, 17};
  const __m512i sidx = _mm512_loadu_si512(scale_words), c128 = _mm512_set1_epi8((char)0x80);
  for (; b + 2 <= nb; b += 2) {
    __m512i xv = _mm512_loadu_si512(xq + b * Q8_BLOCK);
    /* -128 . x per group of 4 bytes: shared by the R rows, the start of each row's sums */
    __m512i xc = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, c128, xv));
    __m512 dx = _mm512_insertf32x8(_mm512_set1_ps(xd[b]), _mm256_set1_ps(xd[b + 1]), 1);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const uint8_t *w0 = w + r * row_bytes + b * Q8_BYTES, *w1 = w0 + Q8_BYTES;
      __builtin_prefetch(w0 + GV_Q8_AHEAD * row_bytes, 0, GV_PF_HINT);
      __builtin_prefetch(w0 + GV_Q8_AHEAD * row_bytes + 64, 0, GV_PF_HINT);
      __m512i wq = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(w0 + 2))),
                                      _mm256_loadu_si256((const __m256i *)(w1 + 2)), 1);
      /* (w + 128) (unsigned) . x - 128 . x = w . x: one VPDPBUSD and one XOR per row */
      __m512i dot = _mm512_dpbusd_epi32(xc, _mm512_xor_si512(wq, c128), xv);
      __m256i dh = _mm512_castsi512_si256(_mm512_permutexvar_epi16(sidx, _mm512_loadu_si512(w0)));
      __m512 d = _mm512_mul_ps(_mm512_cvtph_ps(dh), dx); /* d_w d_x per lane, as the scalar product */
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), d, acc[r]);
    }
  }
  for (int r = 0; r < R; r++) {
    float sum = _mm512_reduce_add_ps(acc[r]);
    if (b < nb) {
      const uint8_t *w0 = w + r * row_bytes + b * Q8_BYTES;
      __m256i wq = _mm256_loadu_si256((const __m256i *)(w0 + 2));
      __m256i xv = _mm256_loadu_si256((const __m256i *)(xq + b * Q8_BLOCK));
      __m256i dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(wq), _mm256_sign_epi8(xv, wq));
      __m128i s = _mm_add_epi32(_mm256_castsi256_si128(dot), _mm256_extracti128_si256(dot, 1));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
      sum += (q8_scale(w0) * xd[b]) * (float)_mm_cvtsi128_si32(s);
    }
    out[r] = sum;
  }
#else
  for (int r = 0; r < R; r++) {
    float sum = 0.0f;
    for (long b = 0; b < nb; b++) {
      const uint8_t *blk = w + r * row_bytes + b * Q8_BYTES;
      const int8_t *wq = (const int8_t *)(blk + 2), *xb = xq + b * Q8_BLOCK;
      int32_t s = 0;
      for (int i = 0; i < Q8_BLOCK; i++) s += (int32_t)wq[i] * (int32_t)xb[i];
      sum += (q8_scale(blk) * xd[b]) * (float)s;
    }
    out[r] = sum;
  }
#endif
}

/* One block of x quantised as q8_quantize_block does, bit for bit: 32 int8 into q, and
 * the scale as the float its fp16 stands for (returned). The SIMD path rounds half away
 * from zero as roundf: truncate, then step away from zero where the dropped part is >= 1/2
 * (exact: |x / d| <= 127 has at most 23 fraction bits). */
static inline float q8_quantize_x(const float *x, int8_t *q) {
#if LOWP_SIMD
  __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
  /* MAXPS returns its second operand when one is NaN: NaNs are passed over, as by the scalar max */
  __m512 m = _mm512_max_ps(_mm512_abs_ps(x1), _mm512_max_ps(_mm512_abs_ps(x0), _mm512_setzero_ps()));
  float amax = _mm512_reduce_max_ps(m);
  float d = amax / 127.0f;
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  const __m512 vid = _mm512_set1_ps(id), half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
  __m512 v[2] = {_mm512_mul_ps(x0, vid), _mm512_mul_ps(x1, vid)};
  for (int h = 0; h < 2; h++) {
    __m512 t = _mm512_roundscale_ps(v[h], _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __mmask16 up = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(v[h], t)), half, _CMP_GE_OQ);
    __m512 away = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(one),
                                                      _mm512_and_si512(_mm512_castps_si512(v[h]),
                                                                       _mm512_set1_epi32((int)0x80000000u))));
    t = _mm512_mask_add_ps(t, up, t, away);
    _mm_storeu_si128((__m128i *)(q + 16 * h), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(t)));
  }
  return f16_float(f16_round(d));
#else
  uint8_t blk[Q8_BYTES];
  q8_quantize_block(x, blk);
  memcpy(q, blk + 2, Q8_BLOCK);
  return q8_scale(blk);
#endif
}

static void k_quantize_q8_0(long n, const float *x, uint8_t *out) {
  for (long b = 0; b < n / Q8_BLOCK; b++) {
    uint8_t *blk = out + b * Q8_BYTES;
    uint16_t dh = f16_round(q8_quantize_x(x + b * Q8_BLOCK, (int8_t *)(blk + 2)));
    memcpy(blk, &dh, 2);
  }
}

static void gv_task_q8(void *ctx, long t, int tid) {
  const gv_args *g = (const gv_args *)ctx;
  long nb = g->K / Q8_BLOCK, row_bytes = nb * Q8_BYTES;
  long n0 = t * g->rows_per_task, n1 = n0 + g->rows_per_task < g->N ? n0 + g->rows_per_task : g->N;
  const uint8_t *w = (const uint8_t *)g->w;
  float out[GV_ROWS];
  for (long m = 0; m < g->M; m++) {
    const int8_t *xq = g->xq + m * g->K;
    const float *xd = g->xd + m * nb;
    float *y = g->y + m * g->N;
    long n = n0;
    for (; n + GV_ROWS <= n1; n += GV_ROWS) {
      gv_dot_q8(w + n * row_bytes, row_bytes, xq, xd, nb, GV_ROWS, out);
      memcpy(y + n, out, sizeof(out));
    }
    for (; n < n1; n++) gv_dot_q8(w + n * row_bytes, row_bytes, xq, xd, nb, 1, y + n);
  }
}

static void k_gemv_q8_0(long M, long N, long K, const float *x, const uint8_t *w, float *y) {
  if (M <= 0 || N <= 0) return;
  long nb = K / Q8_BLOCK;
  int8_t *xq = (int8_t *)llmts_scratch(-1, 0, (size_t)(M * K + 64));
  float *xd = (float *)llmts_scratch(-1, 1, (size_t)(M * nb + 1) * sizeof(float));
  if (!xq || !xd) return;
  for (long i = 0; i < M * nb; i++) xd[i] = q8_quantize_x(x + i * Q8_BLOCK, xq + i * Q8_BLOCK);
  gv_args g = {.M = M, .N = N, .K = K, .x = x, .w = w, .y = y, .xq = xq, .xd = xd};
  gv_run(&g, gv_task_q8, nb * Q8_BYTES > 0 ? nb * Q8_BYTES : 1);
}
