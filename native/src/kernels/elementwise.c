/*
 * Elementwise kernels, bias, reductions, layout, activations, dropout and optimizer
 * updates. Included by isa_*.c (compiled once per ISA), not compiled on its own.
 *
 * Maps are split into fixed CHUNK-element pieces (a multiple of every vector width), so
 * each element sees the same arithmetic whatever the thread count; tails go through a
 * padded vector. Reductions run over fixed pieces in a fixed order.
 */
#include "simd.h"
#include "../rng.h"

#define CHUNK 16384L
/* Elements below which a map stays on the calling thread. */
#define PAR_MIN 32768L

static long lmin(long a, long b) { return a < b ? a : b; }
static long ldiv_up(long a, long b) { return (a + b - 1) / b; }

typedef struct map_args map_args;
typedef void (*range_fn)(const map_args *m, long i0, long i1);
struct map_args {
  range_fn range;
  long n;
  const float *x, *y, *z;
  float *o1, *o2, *o3, *o4;
  float s0, s1, s2, s3, s4, s5;
  int flag;
  unsigned seed;
  double d0;
};

static void map_task(void *ctx, long t, int tid) {
  (void)tid;
  const map_args *m = (const map_args *)ctx;
  long i0 = t * CHUNK;
  m->range(m, i0, lmin(m->n, i0 + CHUNK));
}

static void run_map(map_args *m) {
  if (m->n <= 0) return;
  if (m->n < PAR_MIN || llmts_get_threads() == 1) m->range(m, 0, m->n);
  else llmts_parallel_for(ldiv_up(m->n, CHUNK), map_task, m);
}

/* Runs BODY over [i0, i1) in vectors at index i (len lanes valid: VL, or fewer in the tail). */
#define VEC_LOOP(BODY)                                \
  {                                                   \
    long i = i0;                                      \
    for (; i + VL <= i1; i += VL) {                   \
      long len = VL;                                  \
      (void)len;                                      \
      BODY                                            \
    }                                                 \
    if (i < i1) {                                     \
      long len = i1 - i;                              \
      BODY                                            \
    }                                                 \
  }

#define LOAD(p) (len == VL ? vload((p) + i) : vload_part((p) + i, len))
#define STORE(p, v) (len == VL ? vstore((p) + i, (v)) : vstore_part((p) + i, (v), len))

static void r_add(const map_args *m, long i0, long i1) { VEC_LOOP(STORE(m->o1, LOAD(m->x) + LOAD(m->y));) }
static void r_mul(const map_args *m, long i0, long i1) { VEC_LOOP(STORE(m->o1, LOAD(m->x) * LOAD(m->y));) }
static void r_mul_acc(const map_args *m, long i0, long i1) {
  VEC_LOOP(STORE(m->o1, LOAD(m->o1) + LOAD(m->x) * LOAD(m->y));)
}
static void r_scale(const map_args *m, long i0, long i1) { VEC_LOOP(STORE(m->o1, vset1(m->s0) * LOAD(m->x));) }
static void r_axpy(const map_args *m, long i0, long i1) {
  VEC_LOOP(STORE(m->o1, LOAD(m->o1) + vset1(m->s0) * LOAD(m->x));)
}

static void k_add(long n, const float *a, const float *b, float *out) {
  map_args m = {.range = r_add, .n = n, .x = a, .y = b, .o1 = out};
  run_map(&m);
}
static void k_mul(long n, const float *a, const float *b, float *out) {
  map_args m = {.range = r_mul, .n = n, .x = a, .y = b, .o1 = out};
  run_map(&m);
}
static void k_mul_acc(long n, const float *a, const float *b, float *out) {
  map_args m = {.range = r_mul_acc, .n = n, .x = a, .y = b, .o1 = out};
  run_map(&m);
}
static void k_scale(long n, float s, const float *x, float *out) {
  map_args m = {.range = r_scale, .n = n, .x = x, .o1 = out, .s0 = s};
  run_map(&m);
}
static void k_axpy(long n, float alpha, const float *x, float *y) {
  map_args m = {.range = r_axpy, .n = n, .x = x, .o1 = y, .s0 = alpha};
  run_map(&m);
}

/* ------------------------------------------------------------------ activations */
#define GELU_S 0.7978845608028654f
#define GELU_C 0.044715f

/* 0.5 (1 + tanh(u)) = sigmoid(2u) with u = S (x + C x^3): GELU is x * sigmoid(2u), one
 * exp and one reciprocal (vexp saturates below +inf, so 1 + exp(-2u) is finite and >= 1).
 * Returns sigmoid(2u); *rest = 1 - sigmoid(2u) = exp(-2u) sigmoid(2u) (no cancellation). */
static inline vf gelu_sigmoid(vf x, vf *rest) {
  vf u2 = vset1(2.0f * GELU_S) * (x + vset1(GELU_C) * x * x * x);
  vf e = vexp(-u2);
  vf sg = vrecip_ge1(vset1(1.0f) + e);
  if (rest) *rest = e * sg;
  return sg;
}
static void r_gelu(const map_args *m, long i0, long i1) {
  VEC_LOOP({
    vf x = LOAD(m->x);
    STORE(m->o1, x * gelu_sigmoid(x, NULL));
  })
}
/* d/dx x sigmoid(2u) = sg + 2 x sg (1 - sg) u'(x), u'(x) = S (1 + 3 C x^2) */
static void r_gelu_backward(const map_args *m, long i0, long i1) {
  VEC_LOOP({
    vf x = LOAD(m->x);
    vf rest;
    vf sg = gelu_sigmoid(x, &rest);
    vf d = sg + vset1(2.0f * GELU_S) * x * sg * rest * (vset1(1.0f) + vset1(3.0f * GELU_C) * x * x);
    STORE(m->o1, LOAD(m->o1) + d * LOAD(m->y));
  })
}
/* Exact GELU x Phi(x), Phi(x) = 0.5 (1 + erf(x / sqrt 2)). erf(z), z >= 0, as Abramowitz and
 * Stegun 7.1.26: 1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-z^2), t = 1 / (1 + p z),
 * absolute error < 1.5e-7. exp(-z^2) = exp(-x^2 / 2) is also the normal density up to
 * 1/sqrt(2 pi). For x < 0, Phi(x) = 0.5 q with q = 1 - erf(|z|) (no cancellation).
 * Returns Phi(x); *pdf = phi(x). */
static inline vf gelu_erf_cdf(vf x, vf *pdf) {
  vf z = vabs(x) * vset1(0.70710678118654752f);
  vf t = vrecip_ge1(vset1(1.0f) + vset1(0.3275911f) * z);
  vf poly = t * (vset1(0.254829592f) + t * (vset1(-0.284496736f) + t * (vset1(1.421413741f) + t * (vset1(-1.453152027f) + t * vset1(1.061405429f)))));
  vf e = vexp(vset1(-0.5f) * x * x);
  vf half_q = vset1(0.5f) * poly * e;
  if (pdf) *pdf = vset1(0.3989422804014327f) * e;
  return vsel(x < vset1(0.0f), half_q, vset1(1.0f) - half_q);
}
static void r_gelu_erf(const map_args *m, long i0, long i1) {
  VEC_LOOP({
    vf x = LOAD(m->x);
    STORE(m->o1, x * gelu_erf_cdf(x, NULL));
  })
}
static void r_gelu_erf_backward(const map_args *m, long i0, long i1) {
  VEC_LOOP({
    vf x = LOAD(m->x);
    vf pdf;
    vf cdf = gelu_erf_cdf(x, &pdf);
    STORE(m->o1, LOAD(m->o1) + (cdf + x * pdf) * LOAD(m->y));
  })
}
static void r_silu(const map_args *m, long i0, long i1) {
  VEC_LOOP({
    vf x = LOAD(m->x);
    STORE(m->o1, x * vsigmoid(x));
  })
}
static void r_silu_backward(const map_args *m, long i0, long i1) {
  VEC_LOOP({
    vf x = LOAD(m->x);
    vf s = vsigmoid(x);
    STORE(m->o1, LOAD(m->o1) + s * (vset1(1.0f) + x * (vset1(1.0f) - s)) * LOAD(m->y));
  })
}
static void r_swiglu(const map_args *m, long i0, long i1) {
  VEC_LOOP({
    vf g = LOAD(m->x);
    STORE(m->o1, g * vsigmoid(g) * LOAD(m->y));
  })
}
static void r_swiglu_backward(const map_args *m, long i0, long i1) {
  /* x = gate, y = up, z = dout; o1 = dgate, o2 = dup */
  VEC_LOOP({
    vf g = LOAD(m->x);
    vf s = vsigmoid(g);
    vf dout = LOAD(m->z);
    STORE(m->o1, LOAD(m->o1) + s * (vset1(1.0f) + g * (vset1(1.0f) - s)) * LOAD(m->y) * dout);
    STORE(m->o2, LOAD(m->o2) + g * s * dout);
  })
}

static void k_gelu(long n, const float *x, float *out) {
  map_args m = {.range = r_gelu, .n = n, .x = x, .o1 = out};
  run_map(&m);
}
static void k_gelu_backward(long n, const float *x, const float *dout, float *dx) {
  map_args m = {.range = r_gelu_backward, .n = n, .x = x, .y = dout, .o1 = dx};
  run_map(&m);
}
static void k_gelu_erf(long n, const float *x, float *out) {
  map_args m = {.range = r_gelu_erf, .n = n, .x = x, .o1 = out};
  run_map(&m);
}
static void k_gelu_erf_backward(long n, const float *x, const float *dout, float *dx) {
  map_args m = {.range = r_gelu_erf_backward, .n = n, .x = x, .y = dout, .o1 = dx};
  run_map(&m);
}
static void k_silu(long n, const float *x, float *out) {
  map_args m = {.range = r_silu, .n = n, .x = x, .o1 = out};
  run_map(&m);
}
static void k_silu_backward(long n, const float *x, const float *dout, float *dx) {
  map_args m = {.range = r_silu_backward, .n = n, .x = x, .y = dout, .o1 = dx};
  run_map(&m);
}
static void k_swiglu(long n, const float *gate, const float *up, float *out) {
  map_args m = {.range = r_swiglu, .n = n, .x = gate, .y = up, .o1 = out};
  run_map(&m);
}
static void k_swiglu_backward(long n, const float *gate, const float *up, const float *dout, float *dgate,
                              float *dup) {
  map_args m = {.range = r_swiglu_backward, .n = n, .x = gate, .y = up, .z = dout, .o1 = dgate, .o2 = dup};
  run_map(&m);
}

/* ------------------------------------------------------------------ dropout */
static void r_dropout(const map_args *m, long i0, long i1) {
  double p = m->d0;
  float keep = m->s0;
  for (long i = i0; i < i1; i++) {
    float mk = llmts_hash_uniform(m->seed, (uint32_t)i) >= p ? keep : 0.0f;
    m->o2[i] = mk;
    m->o1[i] = m->x[i] * mk;
  }
}
static void k_dropout(long n, double p, unsigned seed, const float *x, float *out, float *mask) {
  float keep = p >= 1.0 ? 0.0f : (float)(1.0 / (1.0 - p));
  map_args m = {.range = r_dropout, .n = n, .x = x, .o1 = out, .o2 = mask, .s0 = keep, .seed = seed, .d0 = p};
  run_map(&m);
}

/* ------------------------------------------------------------------ optimizers */
static void r_adamw(const map_args *m, long i0, long i1) {
  /* o1 = p, x = g, o2 = m, o3 = v; s0 = lr, s1 = beta1, s2 = beta2, s3 = eps, s4 = wd, s5 = 1/bc1, d0 = 1/bc2 */
  const vf lr = vset1(m->s0), b1 = vset1(m->s1), b2 = vset1(m->s2), eps = vset1(m->s3), wd = vset1(m->s4);
  const vf ib1 = vset1(1.0f - m->s1), ib2 = vset1(1.0f - m->s2);
  const vf ibc1 = vset1(m->s5), ibc2 = vset1((float)m->d0);
  VEC_LOOP({
    vf g = LOAD(m->x);
    vf mm = b1 * LOAD(m->o2) + ib1 * g;
    vf vv = b2 * LOAD(m->o3) + ib2 * g * g;
    STORE(m->o2, mm);
    STORE(m->o3, vv);
    vf vhat = vv * ibc2;
    vf sq;
    for (int q = 0; q < VL; q++) sq[q] = sqrtf(vhat[q]);
    vf p = LOAD(m->o1);
    STORE(m->o1, p - lr * ((mm * ibc1) / (sq + eps) + wd * p));
  })
}
static void k_adamw(long n, float *p, const float *g, float *mo, float *v, float lr, float beta1, float beta2,
                    float eps, float weightDecay, double t) {
  double bc1 = 1.0 - pow((double)beta1, t), bc2 = 1.0 - pow((double)beta2, t);
  map_args m = {.range = r_adamw, .n = n, .x = g, .o1 = p, .o2 = mo, .o3 = v, .s0 = lr, .s1 = beta1, .s2 = beta2,
                .s3 = eps, .s4 = weightDecay, .s5 = (float)(1.0 / bc1), .d0 = 1.0 / bc2};
  run_map(&m);
}

static void r_sgd(const map_args *m, long i0, long i1) {
  /* o1 = p, x = g, o2 = buf; s0 = lr, s1 = momentum, s2 = wd; flag = nesterov */
  const vf lr = vset1(m->s0), mu = vset1(m->s1), wd = vset1(m->s2);
  VEC_LOOP({
    vf p = LOAD(m->o1);
    vf g = LOAD(m->x) + wd * p;
    vf b = mu * LOAD(m->o2) + g;
    STORE(m->o2, b);
    STORE(m->o1, p - lr * (m->flag ? g + mu * b : b));
  })
}
static void k_sgd(long n, float *p, const float *g, float *buf, float lr, float momentum, float weightDecay,
                  int nesterov) {
  map_args m = {.range = r_sgd, .n = n, .x = g, .o1 = p, .o2 = buf, .s0 = lr, .s1 = momentum, .s2 = weightDecay,
                .flag = nesterov};
  run_map(&m);
}

/* ------------------------------------------------------------------ bias */
typedef struct {
  long rows, cols;
  const float *x, *bias;
  float *out;
  long rows_per_task, cols_per_task;
} bias_args;

static void task_add_bias(void *ctx, long t, int tid) {
  (void)tid;
  const bias_args *a = (const bias_args *)ctx;
  long r1 = lmin(a->rows, (t + 1) * a->rows_per_task);
  for (long r = t * a->rows_per_task; r < r1; r++) {
    const float *x = a->x + r * a->cols;
    float *o = a->out + r * a->cols;
    long i0 = 0, i1 = a->cols;
    VEC_LOOP(STORE(o, LOAD(x) + LOAD(a->bias));)
  }
}
static void k_add_bias(long rows, long cols, const float *x, const float *bias, float *out) {
  if (rows <= 0 || cols <= 0) return;
  bias_args a = {rows, cols, x, bias, out, ldiv_up(CHUNK, cols), 0};
  long tasks = ldiv_up(rows, a.rows_per_task);
  if (rows * cols < PAR_MIN) for (long t = 0; t < tasks; t++) task_add_bias(&a, t, 0);
  else llmts_parallel_for(tasks, task_add_bias, &a);
}

/* Column-chunked sum over rows: out[c] (+)= sum_r x[r * cols + c], rows in order. */
#define COLS_PER_TASK 256L
typedef struct {
  long rows, cols, stride_outer, stride_out;
  const float *x;
  float *out;
  int accumulate;
  long col_tasks;
} colsum_args;

static void task_colsum(void *ctx, long t, int tid) {
  (void)tid;
  const colsum_args *a = (const colsum_args *)ctx;
  long o = t / a->col_tasks, ct = t % a->col_tasks;
  const float *x = a->x + o * a->stride_outer;
  float *out = a->out + o * a->stride_out;
  long c0 = ct * COLS_PER_TASK, c1 = lmin(a->cols, c0 + COLS_PER_TASK);
  float acc[COLS_PER_TASK] __attribute__((aligned(64)));
  for (long c = c0; c < c1; c++) acc[c - c0] = 0.0f;
  for (long r = 0; r < a->rows; r++) {
    const float *xr = x + r * a->cols + c0;
    long i0 = 0, i1 = c1 - c0;
    VEC_LOOP(STORE(acc, LOAD(acc) + LOAD(xr));)
  }
  for (long c = c0; c < c1; c++) out[c] = a->accumulate ? out[c] + acc[c - c0] : acc[c - c0];
}

static void colsum(long outer, long rows, long cols, const float *x, float *out, int accumulate) {
  if (outer <= 0 || cols <= 0) return;
  colsum_args a = {rows, cols, rows * cols, cols, x, out, accumulate, ldiv_up(cols, COLS_PER_TASK)};
  long tasks = outer * a.col_tasks;
  if (outer * rows * cols < PAR_MIN) for (long t = 0; t < tasks; t++) task_colsum(&a, t, 0);
  else llmts_parallel_for(tasks, task_colsum, &a);
}

static void k_add_bias_backward(long rows, long cols, const float *dout, float *dbias) {
  colsum(1, rows, cols, dout, dbias, 1);
}

/* ------------------------------------------------------------------ reductions */
/* Sum of a contiguous row with VL lanes then a fixed horizontal order. */
static float row_sum(const float *x, long n) {
  vf acc = vset1(0.0f);
  long i0 = 0, i1 = n;
  VEC_LOOP(acc += LOAD(x);)
  return vhsum(acc);
}

typedef struct {
  long outer, axis;
  const float *x;
  float *out;
  long per_task;
} rowsum_args;

static void task_rowsum(void *ctx, long t, int tid) {
  (void)tid;
  const rowsum_args *a = (const rowsum_args *)ctx;
  long o1 = lmin(a->outer, (t + 1) * a->per_task);
  for (long o = t * a->per_task; o < o1; o++) a->out[o] = row_sum(a->x + o * a->axis, a->axis);
}

static void k_sum_axis(long outer, long axis, long inner, const float *x, float *out) {
  if (outer <= 0 || inner <= 0) return;
  if (axis <= 0) {
    for (long i = 0; i < outer * inner; i++) out[i] = 0.0f;
    return;
  }
  if (inner == 1) {
    rowsum_args a = {outer, axis, x, out, ldiv_up(CHUNK, axis)};
    long tasks = ldiv_up(outer, a.per_task);
    if (outer * axis < PAR_MIN) for (long t = 0; t < tasks; t++) task_rowsum(&a, t, 0);
    else llmts_parallel_for(tasks, task_rowsum, &a);
    return;
  }
  colsum(outer, axis, inner, x, out, 0);
}

typedef struct {
  long outer, axis, inner;
  float s;
  const float *dout;
  float *dx;
} sumbw_args;

static void task_sum_axis_backward(void *ctx, long t, int tid) {
  (void)tid;
  const sumbw_args *a = (const sumbw_args *)ctx;
  /* task t = one (o, a) row of dx */
  long o = t / a->axis;
  float *dx = a->dx + t * a->inner;
  const float *d = a->dout + o * a->inner;
  const vf s = vset1(a->s);
  long i0 = 0, i1 = a->inner;
  VEC_LOOP(STORE(dx, LOAD(dx) + s * LOAD(d));)
}

static void k_sum_axis_backward(long outer, long axis, long inner, float s, const float *dout, float *dx) {
  if (outer <= 0 || axis <= 0 || inner <= 0) return;
  sumbw_args a = {outer, axis, inner, s, dout, dx};
  long tasks = outer * axis;
  if (tasks * inner < PAR_MIN) for (long t = 0; t < tasks; t++) task_sum_axis_backward(&a, t, 0);
  else llmts_parallel_for(tasks, task_sum_axis_backward, &a);
}

/* Sum of squares in float64 over fixed 4096-element pieces, added in order. */
#define SQ_PIECE 4096L
typedef double vd __attribute__((vector_size(VL * 4)));
typedef float vh __attribute__((vector_size(VL * 2), aligned(4), may_alias));

typedef struct {
  long n;
  const float *x;
  double *partial;
} sq_args;

static double piece_squares(const float *x, long n) {
  vd acc = {0};
  long i = 0;
  for (; i + VL / 2 <= n; i += VL / 2) {
    vd d = __builtin_convertvector(*(const vh *)(x + i), vd);
    acc += d * d;
  }
  double s = 0.0;
  for (int q = 0; q < VL / 2; q++) s += acc[q];
  for (; i < n; i++) s += (double)x[i] * (double)x[i];
  return s;
}

static void task_squares(void *ctx, long t, int tid) {
  (void)tid;
  sq_args *a = (sq_args *)ctx;
  long i0 = t * SQ_PIECE;
  a->partial[t] = piece_squares(a->x + i0, lmin(a->n, i0 + SQ_PIECE) - i0);
}

static double k_sum_squares(long n, const float *x) {
  if (n <= 0) return 0.0;
  long pieces = ldiv_up(n, SQ_PIECE);
  double *partial = (double *)llmts_scratch(-1, 3, (size_t)pieces * sizeof(double));
  if (!partial) return NAN;
  sq_args a = {n, x, partial};
  if (n < PAR_MIN) for (long t = 0; t < pieces; t++) task_squares(&a, t, 0);
  else llmts_parallel_for(pieces, task_squares, &a);
  double s = 0.0;
  for (long t = 0; t < pieces; t++) s += partial[t];
  return s;
}

/* Index of the largest of x[0..n): the first on ties; a NaN never wins, and a NaN at 0
 * gives 0 (what the scan `if (x[i] > x[best]) best = i` gives, as in llama2.c). One pass:
 * each lane keeps its largest value and where it first saw it; then the largest over the
 * lanes, the smallest index among equal ones, and the tail with the same scan. */
static long k_argmax(long n, const float *x) {
  if (n <= 1 || x[0] != x[0]) return 0;
  vf m = vset1(x[0]);
  vi at = vset1i(0), lane;
  for (int l = 0; l < VL; l++) lane[l] = l;
  long i = 0;
  for (; i + VL <= n; i += VL) {
    vf v = vload(x + i);
    vi gt = v > m;
    m = vsel(gt, v, m);
    at = (at & ~gt) | ((lane + vset1i((int32_t)i)) & gt);
  }
  long best = 0;
  float bv = x[0];
  for (int l = 0; l < VL; l++)
    if (m[l] > bv || (m[l] == bv && at[l] < best)) {
      bv = m[l];
      best = at[l];
    }
  for (; i < n; i++)
    if (x[i] > bv) {
      bv = x[i];
      best = i;
    }
  return best;
}

/* ------------------------------------------------------------------ layout */
typedef struct {
  long d0, d1, d2, d3;
  const float *x;
  float *out;
} tr_args;

static void task_transpose12(void *ctx, long t, int tid) {
  (void)tid;
  const tr_args *a = (const tr_args *)ctx;
  /* task t = (i0, i1): copies d2 rows of d3 */
  long i0 = t / a->d1, i1 = t % a->d1;
  for (long i2 = 0; i2 < a->d2; i2++) {
    const float *src = a->x + ((i0 * a->d1 + i1) * a->d2 + i2) * a->d3;
    float *dst = a->out + ((i0 * a->d2 + i2) * a->d1 + i1) * a->d3;
    memcpy(dst, src, (size_t)a->d3 * sizeof(float));
  }
}

static void k_transpose12(long d0, long d1, long d2, long d3, const float *x, float *out) {
  if (d0 <= 0 || d1 <= 0 || d2 <= 0 || d3 <= 0) return;
  tr_args a = {d0, d1, d2, d3, x, out};
  long tasks = d0 * d1;
  if (tasks * d2 * d3 < PAR_MIN) for (long t = 0; t < tasks; t++) task_transpose12(&a, t, 0);
  else llmts_parallel_for(tasks, task_transpose12, &a);
}
