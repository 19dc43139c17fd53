/*
 * GEMM: C_b = alpha op(A_b) op(B_b) + beta C_b, batched and strided, all four transpose
 * combinations. Included by isa_*.c (compiled once per ISA), not compiled on its own.
 *
 * Goto/BLIS blocking: for each (jc: NC columns, pc: KC depth) block, op(B) is packed into
 * NR-wide micro-panels (shared by all threads), then tasks take (MC-row block, group of B
 * panels) pieces; each packs its op(A) block into MR-row micro-panels (or reads A in
 * place when the layout allows) and runs the MR x NR register-blocked micro-kernel.
 * When B is not transposed and one thread (or, with few row blocks, one task) owns a B
 * panel, the first row tile packs it while multiplying (ukernel_pack_b), so no separate
 * memory-bound packing pass is needed; when B is transposed, the owner packs each panel
 * just before its first row tile (no pass over all panels, the panel still hot in L1/L2).
 * With few row blocks and A transposed, op(A) is packed once for all tasks (one task per
 * row block) rather than by every task that covers the block.
 * NT products with M < N, and TT products with M <= 2N, run as C^T = op(B)^T op(A)^T
 * (prefer_transposed_c), which packs less, with each tile transposed in registers as it
 * is stored. The matrix-vector path (M = 1, and M <= 8 with B transposed) is gemv.c.
 * Every C element is summed in the same order whatever the thread count and form: KC
 * blocks in order, k in order inside a block, so results do not depend on either.
 */
#include "simd.h"

#if VL == 16
#ifndef MR
#define MR 12
#endif
#define NV 2
#elif VL == 8
#define MR 6
#define NV 2
#else
#define MR 4
#define NV 2
#endif
#define NR (NV * VL)
#ifndef KC
#define KC 768 /* most k per block; blocks are balanced: K = 3072 -> 4 x 768, K = 1000 -> 512 + 488 */
#endif
#ifndef MC_MAX
#define MC_MAX (20 * MR)
#endif
#define NC_MAX (64 * NR)

#if VL == 16 && defined(__GNUC__) && !defined(__clang__)
/* In-register VL x VL transposes: packing transposed B, and the C^T formulation below. */
#define GEMM_TRANSPOSED_C 1
/* r[i][c] -> r[c][i]: log2(VL) stages that swap off-diagonal sub-blocks of size s (8, 4,
 * 2, 1), each one two-source permute per row. */
static inline __attribute__((always_inline)) void transpose_regs(vf r[VL]) {
#pragma GCC unroll 4
  for (int s = VL / 2; s >= 1; s /= 2) {
    vi lo, hi;
    for (int c = 0; c < VL; c++) {
      lo[c] = (c & s) ? VL + c - s : c;
      hi[c] = (c & s) ? VL + c : c + s;
    }
#pragma GCC unroll 16
    for (int i = 0; i < VL; i++) {
      if (i & s) continue;
      vf a = r[i], b = r[i + s];
      r[i] = __builtin_shuffle(a, b, lo);
      r[i + s] = __builtin_shuffle(a, b, hi);
    }
  }
}
#endif

#ifdef GEMM_TRANSPOSED_C
/* Updates C from the accumulators of a tile of C^T (the C^T formulation, see
 * prefer_transposed_c): tile element (i, j), i < mr, j < nr, lands at c[j * ldc + i],
 * with STORE_TILE's formula for each element (so the bits are those of the direct form). */
static inline __attribute__((always_inline)) void store_tile_transposed(vf acc[MR][NV], float *c, long ldc,
                                                                         float alpha, float beta, int first, int mr,
                                                                         int nr) {
  const vf valpha = vset1(alpha), vbeta = vset1(beta);
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) {
    vf r[VL]; /* rows of C^T (zero past MR); after the transpose, r[l] is C row v * VL + l */
#pragma GCC unroll 16
    for (int i = 0; i < VL; i++) r[i] = i < MR ? acc[i][v] : vset1(0.0f);
    transpose_regs(r);
    for (int l = 0; l < VL && v * VL + l < nr; l++) {
      float *cp = c + (v * VL + l) * ldc;
      if (!first) vstore_part(cp, vload_part(cp, mr) + valpha * r[l], mr);
      else if (beta == 0.0f) vstore_part(cp, valpha * r[l], mr);
      else vstore_part(cp, valpha * r[l] + vbeta * vload_part(cp, mr), mr);
    }
  }
}
#define STORE_TILE_TRANSPOSED()                                       \
  if (tc) store_tile_transposed(acc, c, ldc, alpha, beta, first, mr, nr); \
  else
#else
#define STORE_TILE_TRANSPOSED() (void)tc;
#endif

/* Updates the MR x NR tile of C (mr x nr valid) from the accumulators. */
#define STORE_TILE()                                                                 \
  do {                                                                               \
    const vf valpha = vset1(alpha), vbeta = vset1(beta);                             \
    STORE_TILE_TRANSPOSED()                                                          \
    if (mr == MR && nr == NR) {                                                      \
      for (int i = 0; i < MR; i++)                                                   \
        for (int v = 0; v < NV; v++) {                                               \
          float *cp = c + i * ldc + v * VL;                                          \
          if (!first) vstore(cp, vload(cp) + valpha * acc[i][v]);                    \
          else if (beta == 0.0f) vstore(cp, valpha * acc[i][v]);                     \
          else vstore(cp, valpha * acc[i][v] + vbeta * vload(cp));                   \
        }                                                                            \
    } else {                                                                         \
      float tile[MR * NR] __attribute__((aligned(64)));                              \
      if (!first || beta != 0.0f)                                                    \
        for (int i = 0; i < mr; i++) memcpy(tile + i * NR, c + i * ldc, (size_t)nr * 4); \
      for (int i = 0; i < MR; i++)                                                   \
        for (int v = 0; v < NV; v++) {                                               \
          float *cp = tile + i * NR + v * VL;                                        \
          if (!first) vstore(cp, vload(cp) + valpha * acc[i][v]);                    \
          else if (beta == 0.0f) vstore(cp, valpha * acc[i][v]);                     \
          else vstore(cp, valpha * acc[i][v] + vbeta * vload(cp));                   \
        }                                                                            \
      for (int i = 0; i < mr; i++) memcpy(c + i * ldc, tile + i * NR, (size_t)nr * 4); \
    }                                                                                \
  } while (0)

/* The C tile is read and written after the k loop: start fetching it now. */
#define PREFETCH_C_TILE()                                   \
  do {                                                      \
    if (tc) {                                               \
      for (int j = 0; j < nr; j++) {                        \
        __builtin_prefetch(c + j * ldc, 1, 3);              \
        __builtin_prefetch(c + j * ldc + mr - 1, 1, 3);     \
      }                                                     \
    } else {                                                \
      for (int i = 0; i < mr; i++) {                        \
        __builtin_prefetch(c + i * ldc, 1, 3);              \
        __builtin_prefetch(c + i * ldc + NR - 1, 1, 3);     \
      }                                                     \
    }                                                       \
  } while (0)

/* The micro-kernel: the MR x NR tile of C (mr x nr valid) += A (MR rows, element (i, k) at
 * a[i * rsa + k * csa]) times B (kc x NR). B comes from the packed panel b, or, with
 * pack_b, straight from op(B) (B not transposed, full panel: row k at bsrc + k * ldb),
 * each row also stored into the packed panel bdst for the later tiles, so the copy
 * overlaps the FMAs instead of a separate memory-bound pass. Always inlined into the three
 * variants below, where pack_b and (for packed A) the strides are constants. */
static inline __attribute__((always_inline)) void ukernel(long kc, const float *restrict a, long rsa, long csa,
                                                          const float *restrict b, const float *restrict bsrc,
                                                          long ldb, float *restrict bdst, float *c, long ldc,
                                                          float alpha, float beta, int first, int mr, int nr, int tc,
                                                          int prefetch_c, const int pack_b) {
  vf acc[MR][NV];
  if (prefetch_c) PREFETCH_C_TILE();
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = vset1(0.0f);
  for (long k = 0; k < kc; k++) {
    vf bv[NV];
    if (pack_b) {
      const float *bk = bsrc + k * ldb;
      __builtin_prefetch(bk + 8 * ldb, 0, 3);
      __builtin_prefetch(bk + 8 * ldb + VL, 0, 3);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        bv[v] = vload(bk + v * VL);
        vstore(bdst + k * NR + v * VL, bv[v]);
      }
    } else {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) bv[v] = vload(b + k * NR + v * VL);
    }
    const float *ak = a + k * csa;
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      vf ai = vset1(ak[i * rsa]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] += ai * bv[v];
    }
  }
  STORE_TILE();
}

/* Packed A (kc x MR, k-major) and packed B (kc x NR). */
static void ukernel_packed(long kc, const float *restrict a, const float *restrict b, float *c, long ldc,
                           float alpha, float beta, int first, int mr, int nr, int tc) {
  ukernel(kc, a, 1, MR, b, NULL, 0, NULL, c, ldc, alpha, beta, first, mr, nr, tc, 1, 0);
}

/* A read in place (full tiles only), packed B. */
static void ukernel_strided(long kc, const float *restrict a, long rsa, long csa, const float *restrict b,
                            float *c, long ldc, float alpha, float beta, int first, int mr, int nr, int tc) {
  ukernel(kc, a, rsa, csa, b, NULL, 0, NULL, c, ldc, alpha, beta, first, mr, nr, tc, tc, 0);
}

/* B packed as it goes (see ukernel); A in place or packed (rsa = 1, csa = MR). */
static void ukernel_pack_b(long kc, const float *restrict a, long rsa, long csa, const float *restrict bsrc,
                           long ldb, float *restrict bdst, float *c, long ldc, float alpha, float beta, int first,
                           int mr, int nr, int tc) {
  ukernel(kc, a, rsa, csa, NULL, bsrc, ldb, bdst, c, ldc, alpha, beta, first, mr, nr, tc, 0, 1);
}

typedef struct {
  int transA, transB;
  long M, N, K;
  float alpha, beta;
  const float *a;
  long lda;
  const float *b;
  long ldb;
  float *c;
  long ldc;
  /* the current (jc, pc) block */
  long jc, nc, pc, kc, mc;
  long ngroups, gpanels; /* each task covers one MC row block and one group of gpanels B panels */
  int fuse_b;            /* B not transposed: full B panels are packed by the first row tile */
  int jit_b;             /* B transposed: each B panel is packed just before its first row tile uses it */
  int group_tasks;       /* each task is one group of B panels over all row blocks (few row blocks) */
  float *bpack; /* ceil(nc / NR) micro-panels of kc x NR */
  float *apack; /* A transposed and group tasks: op(A) packed once for all tasks (row block ic at ic * kc), else NULL */
  int trans_c;  /* the C^T formulation: a, b, M, N describe C^T = op(B)^T op(A)^T, stored into C */
} gemm_args;

#ifdef GEMM_TRANSPOSED_C
/* dst[c * lds + r] = src[r * ldsrc + c] for a VL x VL block. */
static void transpose_block(const float *src, long ldsrc, float *dst, long lds) {
  vf r[VL];
  for (int i = 0; i < VL; i++) r[i] = vload(src + i * ldsrc);
  transpose_regs(r);
  for (int i = 0; i < VL; i++) vstore(dst + i * lds, r[i]);
}
#endif

/* Packs micro-panel jp (NR columns from jc + jp * NR) of op(B)[pc : pc + kc, :]. */
static void pack_b_panel(const gemm_args *g, long jp, float *dst) {
  long j0 = g->jc + jp * NR;
  long nr = g->N - j0 < NR ? g->N - j0 : NR;
  if (!g->transB) {
    const float *src = g->b + g->pc * g->ldb + j0;
    for (long k = 0; k < g->kc; k++) {
      float *d = dst + k * NR;
      const float *s = src + k * g->ldb;
      if (nr == NR) {
        for (int v = 0; v < NV; v++) vstore(d + v * VL, vload(s + v * VL));
      } else {
        for (long j = 0; j < nr; j++) d[j] = s[j];
        for (long j = nr; j < NR; j++) d[j] = 0.0f;
      }
    }
  } else {
    /* op(B)(k, j) = B[j, k]: B rows are op(B) columns */
    const float *src = g->b + j0 * g->ldb + g->pc;
#ifdef GEMM_TRANSPOSED_C
    if (nr == NR) {
      long k = 0;
      for (; k + VL <= g->kc; k += VL)
        for (int v = 0; v < NV; v++) transpose_block(src + v * VL * g->ldb + k, g->ldb, dst + k * NR + v * VL, NR);
      for (; k < g->kc; k++)
        for (long j = 0; j < NR; j++) dst[k * NR + j] = src[j * g->ldb + k];
      return;
    }
#endif
    for (long j = 0; j < NR; j++) {
      if (j < nr) {
        const float *s = src + j * g->ldb;
        for (long k = 0; k < g->kc; k++) dst[k * NR + j] = s[k];
      } else {
        for (long k = 0; k < g->kc; k++) dst[k * NR + j] = 0.0f;
      }
    }
  }
}

/* Packs rows [i0, i0 + mc) of op(A)[:, pc : pc + kc] into MR-row micro-panels (zero-padded). */
static void pack_a_block(const gemm_args *g, long i0, long mc, float *dst) {
  if (!g->transA) {
    for (long ip = 0; ip < mc; ip += MR) {
      long mr = mc - ip < MR ? mc - ip : MR;
      float *d = dst + ip * g->kc;
      const float *src = g->a + (i0 + ip) * g->lda + g->pc;
      for (long i = 0; i < MR; i++) {
        const float *s = src + i * g->lda;
        for (long k = 0; k < g->kc; k++) d[k * MR + i] = i < mr ? s[k] : 0.0f;
      }
    }
    return;
  }
  /* op(A)(i, k) = A[k, i]: 16 rows of A at a time (they stay in L1), copied into every
   * micro-panel, so that reads and writes both run in contiguous stretches */
  const float *src = g->a + g->pc * g->lda + i0;
  for (long k0 = 0; k0 < g->kc; k0 += 16) {
    long k1 = g->kc - k0 < 16 ? g->kc : k0 + 16;
    for (long ip = 0; ip < mc; ip += MR) {
      long mr = mc - ip < MR ? mc - ip : MR;
      for (long k = k0; k < k1; k++) {
        const float *s = src + k * g->lda + ip;
        float *dk = dst + ip * g->kc + k * MR;
        if (mr == MR) {
          memcpy(dk, s, MR * sizeof(float));
          continue;
        }
        for (long i = 0; i < mr; i++) dk[i] = s[i];
        for (long i = mr; i < MR; i++) dk[i] = 0.0f;
      }
    }
  }
}

#define B_PANELS_PER_TASK 4
#ifndef JIT_GROUP_MAX_MBLOCKS
#define JIT_GROUP_MAX_MBLOCKS 2
#endif

/* Packs row block `task` of op(A) into the shared g->apack. */
static void task_pack_a(void *ctx, long task, int tid) {
  (void)tid;
  gemm_args *g = (gemm_args *)ctx;
  long ic = task * g->mc, mc = g->M - ic < g->mc ? g->M - ic : g->mc;
  pack_a_block(g, ic, mc, g->apack + ic * g->kc);
}

static void task_pack_b(void *ctx, long task, int tid) {
  (void)tid;
  gemm_args *g = (gemm_args *)ctx;
  long npanels = (g->nc + NR - 1) / NR;
  for (long jp = task * B_PANELS_PER_TASK; jp < npanels && jp < (task + 1) * B_PANELS_PER_TASK; jp++)
    pack_b_panel(g, jp, g->bpack + jp * g->kc * NR);
}

/* Computes rows [ic, ic + mc) and B panels [jp0, jp1) of the current block, with a[] packed
 * into apack (or read in place). */
static void compute_block(const gemm_args *g, long ic, long mc, long jp0, long jp1, float *apack) {
  int first = g->pc == 0;
  /* Read A in place when it is laid out well enough: op(A) rows with unit stride along k
   * or along i; pack otherwise (and for the ragged last micro-panel). */
  /* A not transposed: its rows are contiguous along k, and the micro-kernel can read the
   * MR rows in place (packing would cost as much as it saves). Transposed A is packed:
   * reading it in place strides by lda per k and thrashes the cache. */
  int direct = !g->transA;
  long rsa = g->transA ? 1 : g->lda, csa = g->transA ? g->lda : 1;
  const float *a0 = g->transA ? g->a + g->pc * g->lda + ic : g->a + ic * g->lda + g->pc;
  long mfull = mc / MR * MR;
  if (g->apack) apack = g->apack + ic * g->kc;
  else if (!direct) pack_a_block(g, ic, mc, apack);
  else if (mfull < mc) pack_a_block(g, ic + mfull, mc - mfull, apack + mfull * g->kc);
  for (long jp = jp0; jp < jp1; jp++) {
    long j0 = g->jc + jp * NR;
    int nr = (int)(g->N - j0 < NR ? g->N - j0 : NR);
    float *bp = g->bpack + jp * g->kc * NR;
    if (g->jit_b && ic == 0) pack_b_panel(g, jp, bp);
    for (long ip = 0; ip < mc; ip += MR) {
      int mr = (int)(mc - ip < MR ? mc - ip : MR);
      float *cp = g->trans_c ? g->c + j0 * g->ldc + ic + ip : g->c + (ic + ip) * g->ldc + j0;
      int tc = g->trans_c;
      if (g->fuse_b && ic == 0 && ip == 0 && nr == NR) {
        const float *bsrc = g->b + g->pc * g->ldb + j0;
        if (direct && mr == MR)
          ukernel_pack_b(g->kc, a0, rsa, csa, bsrc, g->ldb, bp, cp, g->ldc, g->alpha, g->beta, first, mr, nr, tc);
        else
          ukernel_pack_b(g->kc, apack, 1, MR, bsrc, g->ldb, bp, cp, g->ldc, g->alpha, g->beta, first, mr, nr, tc);
      } else if (direct && mr == MR)
        ukernel_strided(g->kc, a0 + ip * rsa, rsa, csa, bp, cp, g->ldc, g->alpha, g->beta, first, mr, nr, tc);
      else
        ukernel_packed(g->kc, apack + ip * g->kc, bp, cp, g->ldc, g->alpha, g->beta, first, mr, nr, tc);
    }
  }
}

static void task_compute(void *ctx, long task, int tid) {
  gemm_args *g = (gemm_args *)ctx;
  long group = g->group_tasks ? task : task % g->ngroups;
  long npanels = (g->nc + NR - 1) / NR;
  long jp0 = group * g->gpanels;
  long jp1 = jp0 + g->gpanels < npanels ? jp0 + g->gpanels : npanels;
  if (jp0 >= jp1) return;
  float *apack = (float *)llmts_scratch(tid, 0, (size_t)(g->mc + MR) * KC * sizeof(float));
  if (!apack) return;
  /* a group task runs its row blocks in order: the first (ic = 0) packs the group's B panels */
  long ic0 = g->group_tasks ? 0 : task / g->ngroups * g->mc;
  long ic1 = g->group_tasks ? g->M : ic0 + 1;
  for (long ic = ic0; ic < ic1; ic += g->mc) {
    long mc = g->M - ic < g->mc ? g->M - ic : g->mc;
    compute_block(g, ic, mc, jp0, jp1, apack);
  }
}

static long div_up(long a, long b) { return (a + b - 1) / b; }

/* beta * C (or zeros when beta == 0) for K == 0. */
static void scale_c(const gemm_args *g) {
  for (long i = 0; i < g->M; i++)
    for (long j = 0; j < g->N; j++) {
      float *p = g->c + i * g->ldc + j;
      *p = g->beta == 0.0f ? 0.0f : g->beta * *p;
    }
}

#include "gemv.c"

#ifdef GEMM_TRANSPOSED_C
/* Micro-tile occupancy of a rows x cols product: the fraction of FMA lanes that count. */
static double tile_fill(long rows, long cols) {
  return (double)rows / (double)(div_up(rows, MR) * MR) * (double)cols / (double)(div_up(cols, NR) * NR);
}
#endif

/* Whether to compute C^T = op(B)^T op(A)^T instead of C = op(A) op(B). Every element is
 * the same sum in the same order (k blocks and k in order, a * b = b * a), so the bits are
 * the same either way; what changes is the packing. The form that reads its A operand in
 * place and its B operand untransposed (packed while multiplying) packs nothing:
 * - TT: C^T = B A is such a product (B read in place, A packed on the fly), while the
 *   direct form packs both, A and B transposed. But a C^T much wider than tall (M > 2N)
 *   runs slower than the packing saves (1 thread, 4096 x 256 x 256: 150 direct, 137 as
 *   C^T; 256 x 768 x 768: 140 direct, 163 as C^T GFLOP/s);
 * - NT: both forms pack one operand transposed, B (N x K) directly or A (M x K) for C^T:
 *   the smaller one.
 * Either only when the C^T tiles waste at most 5% more lanes at the edges, and only where
 * the C^T tile store has its in-register transpose (AVX-512 with GCC).
 * - TN (weight gradients) with a thin C whose C^T fills at least twice the micro-tile lanes
 *   (C^T is TN too): LoRA's rank-8 gradients, C (172, 8) uses 8 of NR = 32 columns, C^T
 *   (8, 172) 8 of MR = 12 rows (1 thread, TN 172 x 8 x 2048: 258 -> ~140 us). The NN and
 *   NT thin shapes measured no better as C^T. */
static int prefer_transposed_c(const gemm_args *g) {
#ifdef GEMM_TRANSPOSED_C
  if (g->transA && !g->transB && tile_fill(g->N, g->M) >= 2.0 * tile_fill(g->M, g->N)) return 1;
  if (!g->transB) return 0;
  if (g->transA ? g->M > 2 * g->N : g->M >= g->N) return 0;
  return tile_fill(g->N, g->M) >= 0.95 * tile_fill(g->M, g->N);
#else
  (void)g;
  return 0;
#endif
}

/* Turns g into its C^T form: op(B)^T is the new op(A), op(A)^T the new op(B). */
static void transpose_problem(gemm_args *g) {
  int ta = g->transA;
  long m = g->M, lda = g->lda;
  const float *a = g->a;
  g->transA = !g->transB;
  g->transB = !ta;
  g->M = g->N;
  g->N = m;
  g->a = g->b;
  g->lda = g->ldb;
  g->b = a;
  g->ldb = lda;
  g->trans_c = 1;
}

/* One GEMM, split over threads when `parallel` (else on this thread with tid's scratch). */
static void gemm_one(gemm_args *g, int parallel, int tid) {
  if (g->M <= 0 || g->N <= 0) return;
  if (g->K <= 0) {
    scale_c(g);
    return;
  }
  if (g->M == 1 || (g->transB && g->M <= GEMV_MAX_M)) {
    gemv(g, parallel, tid);
    return;
  }
  if (prefer_transposed_c(g)) transpose_problem(g);
  int nt = parallel ? llmts_get_threads() : 1;
  long nblocks_n = div_up(g->N, NC_MAX);
  long ncb = div_up(div_up(g->N, nblocks_n), NR) * NR;
  /* Row blocks as large as MC_MAX allows (balanced: M = 256 -> 2 x 132, not 240 + 16), so
   * that each B panel loaded into L1 serves many micro-tiles; with several threads and few
   * row blocks, the B panels are split into groups too, for about four tasks per thread
   * (dynamic hand-out balances them). The split never changes any element's sum order. */
  long mblocks = div_up(g->M, MC_MAX);
  long mc = div_up(div_up(g->M, mblocks), MR) * MR;
  g->mc = mc;
  mblocks = div_up(g->M, mc);
  /* With one or two row blocks and B not transposed, each task takes one group of B panels
   * over all rows and packs those panels itself, inside its first row tile (no separate
   * packing pass, no sharing between tasks). */
  g->group_tasks = parallel && mblocks <= (g->transB ? JIT_GROUP_MAX_MBLOCKS : 2);
  long ngroups = nt > 1 ? (g->group_tasks ? 4L * nt : div_up(4L * nt, mblocks)) : 1;
  long mtasks = 0;
  g->fuse_b = !g->transB && (!parallel || g->group_tasks);
  g->jit_b = g->transB && (!parallel || g->group_tasks);
  long kcb = div_up(div_up(g->K, div_up(g->K, KC)), 16) * 16;
  for (long jc = 0; jc < g->N; jc += ncb) {
    g->jc = jc;
    g->nc = g->N - jc < ncb ? g->N - jc : ncb;
    long npanels = div_up(g->nc, NR);
    g->ngroups = ngroups < npanels ? ngroups : npanels;
    g->gpanels = div_up(npanels, g->ngroups);
    g->ngroups = div_up(npanels, g->gpanels);
    mtasks = g->group_tasks ? g->ngroups : mblocks * g->ngroups;
    for (long pc = 0; pc < g->K; pc += kcb) {
      g->pc = pc;
      g->kc = g->K - pc < kcb ? g->K - pc : kcb;
      g->bpack = (float *)llmts_scratch(parallel ? -1 : tid, 1, (size_t)npanels * KC * NR * sizeof(float));
      if (!g->bpack) return;
      /* Group tasks each cover every row block: with A transposed, pack op(A) once here
       * (one task per row block) rather than once per task. */
      g->apack = NULL;
      if (parallel && g->group_tasks && g->transA) {
        g->apack = (float *)llmts_scratch(-1, 0, (size_t)(g->M + MR) * KC * sizeof(float));
        if (!g->apack) return;
        llmts_parallel_for(mblocks, task_pack_a, g);
      }
      if (g->jit_b) {
        /* packed by compute_block */
      } else if (g->fuse_b) {
        /* only a ragged last panel is packed ahead (the fused kernel takes full panels) */
        if (g->nc % NR) pack_b_panel(g, npanels - 1, g->bpack + (npanels - 1) * g->kc * NR);
      } else if (parallel) {
        llmts_parallel_for(div_up(npanels, B_PANELS_PER_TASK), task_pack_b, g);
      } else {
        for (long t = 0; t < div_up(npanels, B_PANELS_PER_TASK); t++) task_pack_b(g, t, tid);
      }
      if (parallel) llmts_parallel_for(mtasks, task_compute, g);
      else
        for (long t = 0; t < mtasks; t++) task_compute(g, t, tid);
    }
  }
}

/* One GEMM on the calling thread (tid's scratch): for kernels that run GEMMs inside
 * their own tasks (attention). Same arithmetic as k_gemm. */
static void gemm_serial(int transA, int transB, long M, long N, long K, float alpha, const float *a, long lda,
                        const float *b, long ldb, float beta, float *c, long ldc, int tid) {
  gemm_args g;
  memset(&g, 0, sizeof(g));
  g.transA = transA;
  g.transB = transB;
  g.M = M;
  g.N = N;
  g.K = K;
  g.alpha = alpha;
  g.beta = beta;
  g.a = a;
  g.lda = lda;
  g.b = b;
  g.ldb = ldb;
  g.c = c;
  g.ldc = ldc;
  gemm_one(&g, 0, tid);
}

typedef struct {
  gemm_args base;
  long strideA, strideB, strideC;
} gemm_batch_args;

static void task_batch(void *ctx, long task, int tid) {
  gemm_batch_args *ba = (gemm_batch_args *)ctx;
  gemm_args g = ba->base;
  g.a += task * ba->strideA;
  g.b += task * ba->strideB;
  g.c += task * ba->strideC;
  gemm_one(&g, 0, tid);
}

/* Work (multiply-adds) below which a GEMM stays on the calling thread. */
#define GEMM_PARALLEL_MIN (128L * 128 * 128)

static void k_gemm(int transA, int transB, long M, long N, long K, float alpha, const float *a, long lda,
                   long strideA, const float *b, long ldb, long strideB, float beta, float *c, long ldc,
                   long strideC, long batch) {
  gemm_batch_args ba;
  memset(&ba, 0, sizeof(ba));
  ba.base.transA = transA;
  ba.base.transB = transB;
  ba.base.M = M;
  ba.base.N = N;
  ba.base.K = K;
  ba.base.alpha = alpha;
  ba.base.beta = beta;
  ba.base.a = a;
  ba.base.lda = lda;
  ba.base.b = b;
  ba.base.ldb = ldb;
  ba.base.c = c;
  ba.base.ldc = ldc;
  ba.strideA = strideA;
  ba.strideB = strideB;
  ba.strideC = strideC;
  double work = (double)M * N * K;
  int nt = llmts_get_threads();
  if (nt > 1 && batch >= 2 * nt && work * batch >= GEMM_PARALLEL_MIN) {
    llmts_parallel_for(batch, task_batch, &ba);
    return;
  }
  int gemv_path = M == 1 || (transB && M <= GEMV_MAX_M);
  int parallel = nt > 1 && (work >= GEMM_PARALLEL_MIN || (gemv_path && (double)N * K >= GEMV_PARALLEL_MIN));
  for (long bi = 0; bi < batch; bi++) {
    gemm_args g = ba.base;
    g.a += bi * strideA;
    g.b += bi * strideB;
    g.c += bi * strideC;
    gemm_one(&g, parallel, 0);
  }
}

/* ------------------------------------------------------------------ FMA peak
 * What the cores can do right now (clock speeds move with the load of a shared machine):
 * the micro-kernel's MR x NV independent accumulators, updated with register-only FMAs. */
static volatile float fma_sink;

static void task_fma_peak(void *ctx, long t, int tid) {
  (void)t;
  (void)tid;
  long iters = *(const long *)ctx;
  vf acc[MR][NV];
  const vf m = vset1(0.99999f), c = vset1(1e-6f);
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = vset1(1.0f + 0.001f * (float)(i * NV + v));
  for (long k = 0; k < iters; k++) {
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = acc[i][v] * m + c;
  }
  vf s = vset1(0.0f);
  for (int i = 0; i < MR; i++)
    for (int v = 0; v < NV; v++) s += acc[i][v];
  fma_sink = vhsum(s);
}

static double k_fma_peak(long iters) {
  int nt = llmts_get_threads();
  llmts_parallel_for(nt, task_fma_peak, &iters);
  return 2.0 * VL * MR * NV * (double)iters * nt;
}

