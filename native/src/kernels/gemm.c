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
 * Every C element is summed in the same order whatever the thread count: KC blocks in
 * order, k in order inside a block, so results do not depend on threads.
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
#define MC_MAX (20 * MR)
#define NC_MAX (64 * NR)

/* Updates the MR x NR tile of C (mr x nr valid) from the accumulators. */
#define STORE_TILE()                                                                 \
  do {                                                                               \
    const vf valpha = vset1(alpha), vbeta = vset1(beta);                             \
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

/* Micro-kernel over packed A (kc x MR, k-major) and packed B (kc x NR). */
static void ukernel_packed(long kc, const float *restrict a, const float *restrict b, float *c, long ldc,
                           float alpha, float beta, int first, int mr, int nr) {
  vf acc[MR][NV];
  /* the C tile is read and written after the k loop: start fetching it now */
  for (int i = 0; i < mr; i++) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + NR - 1, 1, 3);
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = vset1(0.0f);
  for (long k = 0; k < kc; k++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = vload(b + k * NR + v * VL);
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      vf ai = vset1(a[k * MR + i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] += ai * bv[v];
    }
  }
  STORE_TILE();
}

/* Micro-kernel reading A in place: element (i, k) at a[i * rsa + k * csa] (full tiles only). */
static void ukernel_strided(long kc, const float *restrict a, long rsa, long csa, const float *restrict b,
                            float *c, long ldc, float alpha, float beta, int first, int mr, int nr) {
  vf acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = vset1(0.0f);
  for (long k = 0; k < kc; k++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = vload(b + k * NR + v * VL);
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

/* Micro-kernel that packs B as it goes: reads op(B) in place (B not transposed, full
 * panel: row k at bsrc + k * ldb), stores each row into the packed panel bdst for the
 * later tiles, and reads A at a[i * rsa + k * csa] (packed A: rsa = 1, csa = MR). The
 * same arithmetic as the other kernels; the copy overlaps the FMAs instead of a separate
 * memory-bound pass. */
static void ukernel_pack_b(long kc, const float *restrict a, long rsa, long csa, const float *restrict bsrc,
                           long ldb, float *restrict bdst, float *c, long ldc, float alpha, float beta, int first,
                           int mr, int nr) {
  vf acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = vset1(0.0f);
  for (long k = 0; k < kc; k++) {
    vf bv[NV];
    const float *bk = bsrc + k * ldb;
    __builtin_prefetch(bk + 8 * ldb, 0, 3);
    __builtin_prefetch(bk + 8 * ldb + VL, 0, 3);
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      bv[v] = vload(bk + v * VL);
      vstore(bdst + k * NR + v * VL, bv[v]);
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
} gemm_args;

#if VL == 16 && defined(__GNUC__) && !defined(__clang__)
/* dst[c * lds + r] = src[r * ldsrc + c] for a VL x VL block: log2(VL) stages that swap
 * off-diagonal sub-blocks of size s (8, 4, 2, 1), each one two-source permute per row. */
static void transpose_block(const float *src, long ldsrc, float *dst, long lds) {
  vf r[VL];
  for (int i = 0; i < VL; i++) r[i] = vload(src + i * ldsrc);
  for (int s = VL / 2; s >= 1; s /= 2) {
    vi lo, hi;
    for (int c = 0; c < VL; c++) {
      lo[c] = (c & s) ? VL + c - s : c;
      hi[c] = (c & s) ? VL + c : c + s;
    }
    for (int i = 0; i < VL; i++) {
      if (i & s) continue;
      vf a = r[i], b = r[i + s];
      r[i] = __builtin_shuffle(a, b, lo);
      r[i + s] = __builtin_shuffle(a, b, hi);
    }
  }
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
#if VL == 16 && defined(__GNUC__) && !defined(__clang__)
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
      float *cp = g->c + (ic + ip) * g->ldc + j0;
      if (g->fuse_b && ic == 0 && ip == 0 && nr == NR) {
        const float *bsrc = g->b + g->pc * g->ldb + j0;
        if (direct && mr == MR)
          ukernel_pack_b(g->kc, a0, rsa, csa, bsrc, g->ldb, bp, cp, g->ldc, g->alpha, g->beta, first, mr, nr);
        else
          ukernel_pack_b(g->kc, apack, 1, MR, bsrc, g->ldb, bp, cp, g->ldc, g->alpha, g->beta, first, mr, nr);
      } else if (direct && mr == MR)
        ukernel_strided(g->kc, a0 + ip * rsa, rsa, csa, bp, cp, g->ldc, g->alpha, g->beta, first, mr, nr);
      else
        ukernel_packed(g->kc, apack + ip * g->kc, bp, cp, g->ldc, g->alpha, g->beta, first, mr, nr);
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

/* ------------------------------------------------------------------ M = 1 (GEMV)
 * One output row (token-by-token decoding): packing B would cost as much as the product,
 * so B is read in place. B not transposed: fixed column chunks (one task each). B
 * transposed (y = W x, the decode case): row chunks of decreasing size (guided: each
 * about the rows left / (2 threads), down to ~64 KB of weights), handed out dynamically,
 * so the threads finish within a few microseconds of each other (fixed 64-row chunks left
 * one thread idle for half a chunk, ~6 us, at the end of each of a token's ~85 products).
 * Each row is summed the same way in any chunk, so the split never changes a result. */
#define GEMV_COLS 64L
/* Elements of B below which a GEMV stays on the calling thread. */
#define GEMV_PARALLEL_MIN 131072.0
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

