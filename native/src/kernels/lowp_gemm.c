/*
 * bf16 GEMM: C = alpha op(A) op(B) + beta C, products of bf16 values summed in fp32.
 * Operands may be bf16 (uint16) or fp32, the latter rounded to bf16 (nearest even) while
 * packed, so fp32 master weights and activations multiply in bf16 with no extra pass.
 *
 * Both operands are packed once per product (in parallel): op(A) as rows of KP bf16 (K
 * padded with zeros to a multiple of 32), rows padded to a multiple of 32; op(B) as panels
 * of 16 columns in the pair-interleaved ("VNNI") layout [k / 2][column][k % 2], which is
 * both what an AMX B tile loads and what VDPBF16PS multiplies against a broadcast pair of
 * A. The product runs in 32 x 32 blocks of C, each summed over all of K by one task (so
 * no result depends on the thread count): on AMX, four 16 x 16 accumulator tiles fed by
 * two A and two B tiles per 32 k; with AVX512-BF16, an 8 x 32 register tile per pass;
 * else plain C. A task takes a group of column blocks (their packed B about 768 KB, so it
 * stays in L2) and a run of row blocks.
 *
 * Included by lowp_*.c, which define LOWP_AMX and LOWP_AVX512 (0 or 1).
 */
#include "lowp_common.h"
#if LOWP_AVX512 || LOWP_AMX
#include <immintrin.h>
#endif

#define BG_B 32           /* rows and columns of a C block */
#define BG_KU 32          /* K is padded to a multiple of this */
#define BG_L2_BYTES 786432L /* packed B per task (per K chunk) */
#define BG_KC 4096L /* k per pass of the AMX tiles over C (a multiple of BG_KU) */
#define BG_PARALLEL_MIN 1048576.0 /* flops below which a product stays on the calling thread */

typedef struct {
  int transA, transB, abf, bbf;
  long M, N, K, KP, mblocks, nblocks;
  float alpha, beta;
  const void *a, *b;
  long lda, ldb, ldc;
  float *c;
  uint16_t *ap, *bp;
  long group, mchunk, ngroups, mchunks;
} bg_args;

/* dst[i] = bf16 of src[i], i < n (src is bf16 when isbf, else fp32). */
static void bg_copy(const void *src, int isbf, long n, uint16_t *dst) {
  if (isbf) {
    memcpy(dst, src, (size_t)n * 2);
    return;
  }
  const float *s = (const float *)src;
  for (long i = 0; i < n; i++) dst[i] = bf16_round(s[i]);
}

static const void *bg_at(const void *p, int isbf, long idx) {
  return isbf ? (const void *)((const uint16_t *)p + idx) : (const void *)((const float *)p + idx);
}

/* bf16 of element idx of an operand (bf16 when isbf, else fp32). */
static inline uint16_t bg_elem(const void *p, int isbf, long idx) {
  return isbf ? ((const uint16_t *)p)[idx] : bf16_round(((const float *)p)[idx]);
}

#if LOWP_AVX512 || LOWP_AMX
/* 16 consecutive elements from idx as bf16 in the low halves of 32-bit lanes (nearest
 * even, NaN -> 0x7FC0, as bg_elem). */
static inline __m512i bg_vec16(const void *p, int isbf, long idx) {
  if (isbf) return _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + idx)));
  __m512i u = _mm512_loadu_si512((const float *)p + idx);
  __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), odd), 16);
  __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                          _mm512_set1_epi32(0x7f800000));
  return _mm512_mask_mov_epi32(r, nan, _mm512_set1_epi32(0x7fc0));
}
#endif

/* Packs rows [32 t, 32 t + 32) of op(A) = A (not transposed): row r at ap + r KP. */
static void bg_task_pack_a(void *ctx, long t, int tid) {
  const bg_args *g = (const bg_args *)ctx;
  long m0 = t * BG_B, rows = g->M - m0 < BG_B ? g->M - m0 : BG_B;
  uint16_t *ap = g->ap + m0 * g->KP;
  for (long r = 0; r < rows; r++) {
    bg_copy(bg_at(g->a, g->abf, (m0 + r) * g->lda), g->abf, g->K, ap + r * g->KP);
    memset(ap + r * g->KP + g->K, 0, (size_t)(g->KP - g->K) * 2);
  }
  memset(ap + rows * g->KP, 0, (size_t)(BG_B - rows) * g->KP * 2);
}

#if LOWP_AVX512 || LOWP_AMX
/* Transposes 16 x 16 32-bit words in registers: r[i] lane j <- r[j] lane i. */
static inline void bg_transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    r[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 4; j++) {
      t[8 * i + j] = _mm512_shuffle_i32x4(r[8 * i + j], r[8 * i + 4 + j], 0x88);
      t[8 * i + 4 + j] = _mm512_shuffle_i32x4(r[8 * i + j], r[8 * i + 4 + j], 0xdd);
    }
  for (int j = 0; j < 8; j++) {
    r[j] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0x88);
    r[8 + j] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0xdd);
  }
}
#endif

/* Packs columns [32 t', 32 t' + 32) of rows [m0, m0 + 256) of op(A) = A^T (A stored (K, M)):
 * two rows of A (contiguous runs of 16) make 16 32-bit (k, k + 1) pairs; with SIMD, 16 pairs
 * x 16 packed rows are transposed in registers, so each packed row gets one whole 64-byte
 * line. (32-bit scatters instead, to rows KP * 2 bytes apart, hit few L1 sets and made a
 * 768 x 128 x 512 TN product 4x slower.) */
#define BG_AT_ROWS 256L /* rows of op(A) per packing task of A^T */
static void bg_task_pack_at(void *ctx, long t, int tid) {
  const bg_args *g = (const bg_args *)ctx;
  long Mp = g->mblocks * BG_B, half = g->KP / 2, mtasks = lp_div_up(Mp, BG_AT_ROWS);
  long kt = t / mtasks, m0 = t % mtasks * BG_AT_ROWS, m1 = m0 + BG_AT_ROWS < Mp ? m0 + BG_AT_ROWS : Mp;
  long k0 = kt * BG_KU;
  uint32_t *ap = (uint32_t *)g->ap;
  long m = m0;
#if LOWP_AVX512 || LOWP_AMX
  long mv = m1 < g->M ? m1 : g->M; /* rows read from A */
  for (; m + 16 <= mv; m += 16) {
    __m512i r[16];
    for (int p = 0; p < 16; p++) {
      long k = k0 + 2 * p;
      __m512i lo = k < g->K ? bg_vec16(g->a, g->abf, k * g->lda + m) : _mm512_setzero_si512();
      __m512i hi = k + 1 < g->K ? bg_vec16(g->a, g->abf, (k + 1) * g->lda + m) : _mm512_setzero_si512();
      r[p] = _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16));
    }
    bg_transpose16(r);
    for (int i = 0; i < 16; i++) _mm512_storeu_si512(ap + (m + i) * half + k0 / 2, r[i]);
  }
#endif
  for (; m < m1; m++) {
    for (long k = k0; k < k0 + BG_KU; k += 2) {
      uint32_t lo = m < g->M && k < g->K ? bg_elem(g->a, g->abf, k * g->lda + m) : 0;
      uint32_t hi = m < g->M && k + 1 < g->K ? bg_elem(g->a, g->abf, (k + 1) * g->lda + m) : 0;
      ap[m * half + k / 2] = lo | hi << 16;
    }
  }
}

/* Packs k pairs [16 t, 16 t + 16) of every panel of op(B) = B (stored (K, N)): two whole
 * rows of B (read in order) make one row of pairs, 64 bytes per 16-column panel. */
static void bg_task_pack_bn(void *ctx, long t, int tid) {
  const bg_args *g = (const bg_args *)ctx;
  long panels = 2 * g->nblocks;
  for (long kp = t * (BG_KU / 2); kp < (t + 1) * (BG_KU / 2); kp++) {
    long k0 = 2 * kp, k1 = k0 + 1;
    for (long p = 0; p < panels; p++) {
      long n0 = 16 * p;
      uint32_t *d = (uint32_t *)(g->bp + p * g->KP * 16) + kp * 16;
#if LOWP_AVX512 || LOWP_AMX
      if (n0 + 16 <= g->N && k1 < g->K) {
        __m512i lo = bg_vec16(g->b, g->bbf, k0 * g->ldb + n0), hi = bg_vec16(g->b, g->bbf, k1 * g->ldb + n0);
        _mm512_storeu_si512(d, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
        continue;
      }
#endif
      for (long c = 0; c < 16; c++) {
        long n = n0 + c;
        uint32_t lo = n < g->N && k0 < g->K ? bg_elem(g->b, g->bbf, k0 * g->ldb + n) : 0;
        uint32_t hi = n < g->N && k1 < g->K ? bg_elem(g->b, g->bbf, k1 * g->ldb + n) : 0;
        d[c] = lo | hi << 16;
      }
    }
  }
}

/* Packs the two 16-column panels of column block t of op(B) = B^T: [k / 2][column][k % 2]. */
static void bg_task_pack_bt(void *ctx, long t, int tid) {
  const bg_args *g = (const bg_args *)ctx;
  long n0 = t * BG_B, cols = g->N - n0 < BG_B ? g->N - n0 : BG_B;
  uint16_t *bp = g->bp + 2 * t * g->KP * 16;
  /* B^T stored (N, K): column n of op(B) is row n of the stored matrix. The block's 32
   * rows are converted to bf16 first; then a k pair of one column is one 32-bit word of
   * its row, and 16 x 16 words (16 columns, 16 pairs) are transposed in registers. */
  long half = g->KP / 2;
  uint16_t *rows = (uint16_t *)llmts_scratch(tid, 2, (size_t)BG_B * g->KP * 2);
  if (!rows) return;
  for (long c = 0; c < BG_B; c++) {
    uint16_t *row = rows + c * g->KP;
    long valid = c < cols ? g->K : 0;
    if (valid) bg_copy(bg_at(g->b, g->bbf, (n0 + c) * g->ldb), g->bbf, g->K, row);
    memset(row + valid, 0, (size_t)(g->KP - valid) * 2);
  }
  const uint32_t *r32 = (const uint32_t *)rows;
  for (long p = 0; p < 2; p++) {
    uint32_t *dst = (uint32_t *)(bp + p * g->KP * 16);
    const uint32_t *src = r32 + p * 16 * half;
    long kp = 0;
#if LOWP_AVX512 || LOWP_AMX
    for (; kp < half; kp += 16) { /* half is a multiple of 16 */
      __m512i r[16];
      for (int c = 0; c < 16; c++) r[c] = _mm512_loadu_si512(src + c * half + kp);
      bg_transpose16(r);
      for (int i = 0; i < 16; i++) _mm512_storeu_si512(dst + (kp + i) * 16, r[i]);
    }
#endif
    for (; kp < half; kp++)
      for (long c = 0; c < 16; c++) dst[kp * 16 + c] = src[c * half + kp];
  }
}

#if LOWP_AMX
typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} bg_tilecfg;

/* Tiles 0-3: C (16 x 16 fp32), 4-5: A (16 rows x 32 bf16), 6-7: B (16 pairs x 16 columns). */
static void bg_amx_config(void) {
  bg_tilecfg cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.palette = 1;
  for (int i = 0; i < 8; i++) {
    cfg.colsb[i] = 64;
    cfg.rows[i] = 16;
  }
  _tile_loadconfig(&cfg);
}

/* dst (row stride ld floats) = the block at (m0, n0) summed over k in [k0, k1), plus dst's
 * own values when acc; rows: 16 or 32 (rows of A that matter). */
static void bg_block_to(const bg_args *g, long m0, long n0, long rows, float *dst, long ld, int acc, long k0,
                        long k1) {
  long KP = g->KP, lda = KP * 2, ldd = ld * 4;
  const uint16_t *a0 = g->ap + m0 * KP, *a1 = a0 + 16 * KP;
  const uint16_t *b0 = g->bp + (n0 / 16) * KP * 16, *b1 = b0 + KP * 16;
  if (acc) {
    _tile_loadd(0, dst, ldd);
    _tile_loadd(1, dst + 16, ldd);
  } else {
    _tile_zero(0);
    _tile_zero(1);
  }
  if (rows > 16) {
    if (acc) {
      _tile_loadd(2, dst + 16 * ld, ldd);
      _tile_loadd(3, dst + 16 * ld + 16, ldd);
    } else {
      _tile_zero(2);
      _tile_zero(3);
    }
    for (long k = k0; k < k1; k += 32) {
      _tile_loadd(4, a0 + k, lda);
      _tile_loadd(6, b0 + k * 16, 64);
      _tile_loadd(7, b1 + k * 16, 64);
      _tile_loadd(5, a1 + k, lda);
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(1, 4, 7);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(2, dst + 16 * ld, ldd);
    _tile_stored(3, dst + 16 * ld + 16, ldd);
  } else {
    for (long k = k0; k < k1; k += 32) {
      _tile_loadd(4, a0 + k, lda);
      _tile_loadd(6, b0 + k * 16, 64);
      _tile_loadd(7, b1 + k * 16, 64);
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(1, 4, 7);
    }
  }
  _tile_stored(0, dst, ldd);
  _tile_stored(1, dst + 16, ldd);
}

/* cb (32 x 32, row stride 32) = the block at (m0, n0). */
static void bg_block(const bg_args *g, long m0, long n0, long rows, float *cb) {
  bg_block_to(g, m0, n0, rows, cb, BG_B, 0, 0, g->KP);
}
#elif LOWP_AVX512
/* Rows [r0, r0 + 8) x 32 columns: 16 accumulators, each k pair of A broadcast. */
static void bg_ukernel(const uint16_t *ap, long KP, const uint16_t *b0, const uint16_t *b1, float *cb) {
  __m512 acc[8][2];
  for (int r = 0; r < 8; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (long kp = 0; kp < KP / 2; kp++) {
    __m512bh bv0 = (__m512bh)_mm512_loadu_si512(b0 + kp * 32);
    __m512bh bv1 = (__m512bh)_mm512_loadu_si512(b1 + kp * 32);
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) {
      int32_t pair;
      memcpy(&pair, ap + r * KP + 2 * kp, 4);
      __m512bh av = (__m512bh)_mm512_set1_epi32(pair);
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], av, bv0);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], av, bv1);
    }
  }
  for (int r = 0; r < 8; r++) {
    _mm512_storeu_ps(cb + r * BG_B, acc[r][0]);
    _mm512_storeu_ps(cb + r * BG_B + 16, acc[r][1]);
  }
}

static void bg_block(const bg_args *g, long m0, long n0, long rows, float *cb) {
  const uint16_t *b0 = g->bp + (n0 / 16) * g->KP * 16, *b1 = b0 + g->KP * 16;
  for (long r = 0; r < rows; r += 8) bg_ukernel(g->ap + (m0 + r) * g->KP, g->KP, b0, b1, cb + r * BG_B);
}
#else
static void bg_block(const bg_args *g, long m0, long n0, long rows, float *cb) {
  long KP = g->KP;
  for (long r = 0; r < rows; r++) {
    const uint16_t *ar = g->ap + (m0 + r) * KP;
    for (long p = 0; p < 2; p++) {
      const uint16_t *bp = g->bp + (n0 / 16 + p) * KP * 16;
      float acc[16] = {0};
      for (long kp = 0; kp < KP / 2; kp++) {
        float x0 = bf16_float(ar[2 * kp]), x1 = bf16_float(ar[2 * kp + 1]);
        const uint16_t *bk = bp + kp * 32;
        for (int c = 0; c < 16; c++) acc[c] += x0 * bf16_float(bk[2 * c]) + x1 * bf16_float(bk[2 * c + 1]);
      }
      memcpy(cb + r * BG_B + p * 16, acc, sizeof(acc));
    }
  }
}
#endif

/* C[m0.., n0..] = alpha cb + beta C over the valid part of the block (beta 0: C not read). */
static void bg_store(const bg_args *g, long m0, long n0, const float *cb) {
  long rows = g->M - m0 < BG_B ? g->M - m0 : BG_B, cols = g->N - n0 < BG_B ? g->N - n0 : BG_B;
  for (long i = 0; i < rows; i++) {
    float *cr = g->c + (m0 + i) * g->ldc + n0;
    const float *br = cb + i * BG_B;
    if (g->beta == 0.0f)
      for (long j = 0; j < cols; j++) cr[j] = g->alpha * br[j];
    else
      for (long j = 0; j < cols; j++) cr[j] = g->alpha * br[j] + g->beta * cr[j];
  }
}

/* Task t: column-block group t / mchunks, row-block run t % mchunks. */
static void bg_task_compute(void *ctx, long t, int tid) {
  const bg_args *g = (const bg_args *)ctx;
  long gi = t / g->mchunks, mi = t % g->mchunks;
  long nb0 = gi * g->group, nb1 = nb0 + g->group < g->nblocks ? nb0 + g->group : g->nblocks;
  long mb0 = mi * g->mchunk, mb1 = mb0 + g->mchunk < g->mblocks ? mb0 + g->mchunk : g->mblocks;
  float cb[BG_B * BG_B] __attribute__((aligned(64)));
#if LOWP_AMX
  bg_amx_config();
  /* whole blocks with C = AB or C += AB: the tiles load and store C itself (C += AB then
   * adds each product to C as it goes, not the sum at the end), and K runs in chunks of
   * BG_KC, the tiles going through C between chunks (fp32 both ways: the same sums), so a
   * chunk of A and of the group's B stay in L2 however large K is */
  int direct = g->alpha == 1.0f && (g->beta == 0.0f || g->beta == 1.0f);
  for (long kc = 0; direct && kc < g->KP; kc += BG_KC) {
    long kend = kc + BG_KC < g->KP ? kc + BG_KC : g->KP;
    for (long mb = mb0; mb < mb1 && mb * BG_B + BG_B <= g->M; mb++)
      for (long nb = nb0; nb < nb1 && nb * BG_B + BG_B <= g->N; nb++)
        bg_block_to(g, mb * BG_B, nb * BG_B, BG_B, g->c + mb * BG_B * g->ldc + nb * BG_B, g->ldc,
                    kc > 0 || g->beta == 1.0f, kc, kend);
  }
#else
  int direct = 0;
#endif
  for (long mb = mb0; mb < mb1; mb++) {
    long m0 = mb * BG_B, left = g->M - m0;
    long rows = left >= BG_B ? BG_B : (left <= 16 && LOWP_AMX ? 16 : lp_div_up(left, 8) * 8);
    for (long nb = nb0; nb < nb1; nb++) {
      if (direct && left >= BG_B && nb * BG_B + BG_B <= g->N) continue; /* done above */
      bg_block(g, m0, nb * BG_B, rows, cb);
      bg_store(g, m0, nb * BG_B, cb);
    }
  }
#if LOWP_AMX
  _tile_release();
#endif
}

static void k_gemm_bf16(int transA, int transB, long M, long N, long K, float alpha, const void *a, int abf16,
                        long lda, long strideA, const void *b, int bbf16, long ldb, long strideB, float beta,
                        float *c, long ldc, long strideC, long batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  bg_args g;
  memset(&g, 0, sizeof(g));
  g.transA = transA;
  g.transB = transB;
  g.abf = abf16;
  g.bbf = bbf16;
  g.M = M;
  g.N = N;
  g.K = K;
  g.KP = K <= 0 ? BG_KU : lp_div_up(K, BG_KU) * BG_KU;
  g.mblocks = lp_div_up(M, BG_B);
  g.nblocks = lp_div_up(N, BG_B);
  g.alpha = alpha;
  g.beta = beta;
  g.lda = lda;
  g.ldb = ldb;
  g.ldc = ldc;
  g.ap = (uint16_t *)llmts_scratch(-1, 0, (size_t)g.mblocks * BG_B * g.KP * 2);
  g.bp = (uint16_t *)llmts_scratch(-1, 1, (size_t)g.nblocks * BG_B * g.KP * 2);
  if (!g.ap || !g.bp) return;
  int parallel = 2.0 * M * N * (double)K >= BG_PARALLEL_MIN && llmts_get_threads() > 1;
  long per = BG_L2_BYTES / ((LOWP_AMX && g.KP > BG_KC ? BG_KC : g.KP) * 2 * BG_B);
  g.group = per < 1 ? 1 : per > g.nblocks ? g.nblocks : per;
  g.ngroups = lp_div_up(g.nblocks, g.group);
  long want = parallel ? lp_div_up(4L * llmts_get_threads(), g.ngroups) : 1;
  g.mchunk = lp_div_up(g.mblocks, want < g.mblocks ? want : g.mblocks);
  g.mchunks = lp_div_up(g.mblocks, g.mchunk);
  for (long bi = 0; bi < batch; bi++) {
    g.a = bg_at(a, abf16, bi * strideA);
    g.b = bg_at(b, bbf16, bi * strideB);
    g.c = c + bi * strideC;
    if (K <= 0) {
      /* empty sum: C = beta C */
      float cb[BG_B * BG_B] = {0};
      for (long m0 = 0; m0 < M; m0 += BG_B)
        for (long n0 = 0; n0 < N; n0 += BG_B) bg_store(&g, m0, n0, cb);
      continue;
    }
    if (parallel) {
      if (transA) llmts_parallel_for(g.KP / BG_KU * lp_div_up(g.mblocks * BG_B, BG_AT_ROWS), bg_task_pack_at, &g);
      else llmts_parallel_for(g.mblocks, bg_task_pack_a, &g);
      if (transB) llmts_parallel_for(g.nblocks, bg_task_pack_bt, &g);
      else llmts_parallel_for(g.KP / BG_KU, bg_task_pack_bn, &g);
      llmts_parallel_for(g.ngroups * g.mchunks, bg_task_compute, &g);
    } else {
      if (transA)
        for (long t = 0; t < g.KP / BG_KU * lp_div_up(g.mblocks * BG_B, BG_AT_ROWS); t++) bg_task_pack_at(&g, t, 0);
      else
        for (long t = 0; t < g.mblocks; t++) bg_task_pack_a(&g, t, 0);
      if (transB)
        for (long t = 0; t < g.nblocks; t++) bg_task_pack_bt(&g, t, 0);
      else
        for (long t = 0; t < g.KP / BG_KU; t++) bg_task_pack_bn(&g, t, 0);
      for (long t = 0; t < g.ngroups * g.mchunks; t++) bg_task_compute(&g, t, 0);
    }
  }
}
