/*
 * Row kernels: softmax, LayerNorm, RMSNorm and fused softmax cross-entropy, forward and
 * backward. Included by isa_*.c after elementwise.c (uses its helpers and VEC_LOOP).
 * Rows are split into fixed groups; weight gradients (summed over rows) are computed by a
 * second, column-split pass that adds rows in order, so no result depends on threads.
 */

typedef struct row_args row_args;
typedef void (*row_fn)(const row_args *a, long r);
struct row_args {
  row_fn fn;
  long rows, cols, per_task;
  const float *x, *y, *w, *b, *p4, *p5;
  float *o1, *o2, *o3;
  const int *ids;
  float eps, s0;
  int ignore;
};

static void task_rows(void *ctx, long t, int tid) {
  (void)tid;
  const row_args *a = (const row_args *)ctx;
  long r1 = lmin(a->rows, (t + 1) * a->per_task);
  for (long r = t * a->per_task; r < r1; r++) a->fn(a, r);
}

static void run_rows(row_args *a) {
  if (a->rows <= 0) return;
  long cols = a->cols > 0 ? a->cols : 1;
  a->per_task = ldiv_up(CHUNK / 4, cols);
  long tasks = ldiv_up(a->rows, a->per_task);
  if (a->rows * cols < PAR_MIN / 4 || llmts_get_threads() == 1)
    for (long t = 0; t < tasks; t++) task_rows(a, t, 0);
  else llmts_parallel_for(tasks, task_rows, a);
}

static float row_max(const float *x, long n) {
  vf m = vset1(-INFINITY);
  long i = 0;
  for (; i + VL <= n; i += VL) m = vmax(m, vload(x + i));
  float r = vhmax(m);
  for (; i < n; i++) r = x[i] > r ? x[i] : r;
  return r;
}

static float row_dot(const float *x, const float *y, long n) {
  vf acc = vset1(0.0f);
  long i0 = 0, i1 = n;
  VEC_LOOP(acc += LOAD(x) * LOAD(y);)
  return vhsum(acc);
}

/* ------------------------------------------------------------------ softmax */
static void row_softmax(const row_args *a, long r) {
  const float *x = a->x + r * a->cols;
  float *o = a->o1 + r * a->cols;
  float mx = row_max(x, a->cols);
  vf vmx = vset1(mx), acc = vset1(0.0f);
  long i0 = 0, i1 = a->cols;
  {
    VEC_LOOP({
      vf e = vexp(LOAD(x) - vmx);
      STORE(o, e);
      if (len == VL) acc += e;
      else
        for (long q = 0; q < len; q++) acc[q] += e[q];
    })
  }
  vf inv = vset1(1.0f / vhsum(acc));
  VEC_LOOP(STORE(o, LOAD(o) * inv);)
}

static void k_softmax(long rows, long cols, const float *x, float *out) {
  row_args a = {.fn = row_softmax, .rows = rows, .cols = cols, .x = x, .o1 = out};
  run_rows(&a);
}

static void row_softmax_backward(const row_args *a, long r) {
  const float *y = a->x + r * a->cols, *dy = a->y + r * a->cols;
  float *dx = a->o1 + r * a->cols;
  vf dot = vset1(row_dot(y, dy, a->cols));
  long i0 = 0, i1 = a->cols;
  VEC_LOOP(STORE(dx, LOAD(dx) + LOAD(y) * (LOAD(dy) - dot));)
}

static void k_softmax_backward(long rows, long cols, const float *y, const float *dy, float *dx) {
  row_args a = {.fn = row_softmax_backward, .rows = rows, .cols = cols, .x = y, .y = dy, .o1 = dx};
  run_rows(&a);
}

/* ------------------------------------------------------------------ LayerNorm */
static void row_layer_norm(const row_args *a, long r) {
  long C = a->cols;
  const float *x = a->x + r * C;
  float *o = a->o1 + r * C;
  float m = row_sum(x, C) / (float)C;
  vf vm = vset1(m), acc = vset1(0.0f);
  long i0 = 0, i1 = C;
  VEC_LOOP({
    vf d = LOAD(x) - vm;
    if (len < VL)
      for (long q = len; q < VL; q++) d[q] = 0.0f;
    acc += d * d;
  })
  float s = 1.0f / sqrtf(vhsum(acc) / (float)C + a->eps);
  vf vs = vset1(s);
  VEC_LOOP(STORE(o, (LOAD(x) - vm) * vs * LOAD(a->w) + LOAD(a->b));)
  a->o2[r] = m;
  a->o3[r] = s;
}

static void k_layer_norm(long rows, long C, float eps, const float *x, const float *w, const float *b, float *out,
                         float *mean, float *rstd) {
  row_args a = {.fn = row_layer_norm, .rows = rows, .cols = C, .x = x, .w = w, .b = b, .o1 = out, .o2 = mean,
                .o3 = rstd, .eps = eps};
  run_rows(&a);
}

/* x = dout, y = x, w = w, b = mean, p4 = rstd; o1 = dx */
static void row_layer_norm_backward(const row_args *a, long r) {
  long C = a->cols;
  const float *dout = a->x + r * C, *x = a->y + r * C;
  float *dx = a->o1 + r * C;
  vf m = vset1(a->b[r]), s = vset1(a->p4[r]);
  vf acc1 = vset1(0.0f), acc2 = vset1(0.0f);
  long i0 = 0, i1 = C;
  VEC_LOOP({
    vf norm = (LOAD(x) - m) * s;
    vf dnorm = LOAD(dout) * LOAD(a->w);
    acc1 += dnorm;
    acc2 += dnorm * norm;
  })
  vf dmean = vset1(vhsum(acc1) / (float)C), dnmean = vset1(vhsum(acc2) / (float)C);
  VEC_LOOP({
    vf norm = (LOAD(x) - m) * s;
    vf dnorm = LOAD(dout) * LOAD(a->w);
    STORE(dx, LOAD(dx) + s * (dnorm - dmean - norm * dnmean));
  })
}

/* Column pass for dw, db: rows added in order for each column chunk. */
typedef struct {
  long rows, C;
  const float *dout, *x, *mean, *rstd;
  float *dw, *db;
  int rms;
} normw_args;

static void task_norm_weights(void *ctx, long t, int tid) {
  (void)tid;
  const normw_args *a = (const normw_args *)ctx;
  long c0 = t * COLS_PER_TASK, c1 = lmin(a->C, c0 + COLS_PER_TASK);
  float accw[COLS_PER_TASK] __attribute__((aligned(64)));
  float accb[COLS_PER_TASK] __attribute__((aligned(64)));
  for (long c = 0; c < c1 - c0; c++) accw[c] = accb[c] = 0.0f;
  for (long r = 0; r < a->rows; r++) {
    const float *d = a->dout + r * a->C + c0, *x = a->x + r * a->C + c0;
    vf m = vset1(a->rms ? 0.0f : a->mean[r]), s = vset1(a->rstd[r]);
    long i0 = 0, i1 = c1 - c0;
    VEC_LOOP({
      vf dv = LOAD(d);
      STORE(accw, LOAD(accw) + (LOAD(x) - m) * s * dv);
      STORE(accb, LOAD(accb) + dv);
    })
  }
  for (long c = c0; c < c1; c++) {
    a->dw[c] += accw[c - c0];
    if (!a->rms) a->db[c] += accb[c - c0];
  }
}

static void norm_weights(normw_args *a) {
  long tasks = ldiv_up(a->C, COLS_PER_TASK);
  if (a->rows * a->C < PAR_MIN) for (long t = 0; t < tasks; t++) task_norm_weights(a, t, 0);
  else llmts_parallel_for(tasks, task_norm_weights, a);
}

static void k_layer_norm_backward(long rows, long C, const float *dout, const float *x, const float *w,
                                  const float *mean, const float *rstd, float *dx, float *dw, float *db) {
  if (rows <= 0 || C <= 0) return;
  row_args a = {.fn = row_layer_norm_backward, .rows = rows, .cols = C, .x = dout, .y = x, .w = w, .b = mean,
                .p4 = rstd, .o1 = dx};
  run_rows(&a);
  normw_args n = {rows, C, dout, x, mean, rstd, dw, db, 0};
  norm_weights(&n);
}

/* ------------------------------------------------------------------ RMSNorm */
static void row_rms_norm(const row_args *a, long r) {
  long C = a->cols;
  const float *x = a->x + r * C;
  float *o = a->o1 + r * C;
  float s = 1.0f / sqrtf(row_dot(x, x, C) / (float)C + a->eps);
  vf vs = vset1(s);
  long i0 = 0, i1 = C;
  VEC_LOOP(STORE(o, LOAD(x) * vs * LOAD(a->w));)
  a->o3[r] = s;
}

static void k_rms_norm(long rows, long C, float eps, const float *x, const float *w, float *out, float *rstd) {
  row_args a = {.fn = row_rms_norm, .rows = rows, .cols = C, .x = x, .w = w, .o1 = out, .o3 = rstd, .eps = eps};
  run_rows(&a);
}

/* x = dout, y = x, w = w, p4 = rstd; o1 = dx */
static void row_rms_norm_backward(const row_args *a, long r) {
  long C = a->cols;
  const float *dout = a->x + r * C, *x = a->y + r * C;
  float *dx = a->o1 + r * C;
  float sc = a->p4[r];
  vf s = vset1(sc), acc = vset1(0.0f);
  long i0 = 0, i1 = C;
  VEC_LOOP(acc += LOAD(dout) * LOAD(a->w) * LOAD(x) * s;)
  vf dn = vset1(vhsum(acc) / (float)C);
  VEC_LOOP({
    vf n = LOAD(x) * s;
    STORE(dx, LOAD(dx) + s * (LOAD(dout) * LOAD(a->w) - n * dn));
  })
}

static void k_rms_norm_backward(long rows, long C, const float *dout, const float *x, const float *w,
                                const float *rstd, float *dx, float *dw) {
  if (rows <= 0 || C <= 0) return;
  row_args a = {.fn = row_rms_norm_backward, .rows = rows, .cols = C, .x = dout, .y = x, .w = w, .p4 = rstd,
                .o1 = dx};
  run_rows(&a);
  normw_args n = {rows, C, dout, x, NULL, rstd, dw, NULL, 1};
  norm_weights(&n);
}

/* ------------------------------------------------------------------ cross-entropy */
/* x = logits, ids = targets; o1 = losses, o2 = lse */
static void row_cross_entropy(const row_args *a, long r) {
  long V = a->cols;
  const float *x = a->x + r * V;
  float mx = row_max(x, V);
  vf vmx = vset1(mx), acc = vset1(0.0f);
  long i = 0;
  for (; i + VL <= V; i += VL) acc += vexp(vload(x + i) - vmx);
  if (i < V) {
    vf e = vexp(vload_part(x + i, V - i) - vmx);
    for (long q = 0; q < V - i; q++) acc[q] += e[q];
  }
  float l = mx + logf(vhsum(acc));
  a->o2[r] = l;
  int t = a->ids[r];
  a->o1[r] = t == a->ignore ? 0.0f : l - x[t];
}

static long k_cross_entropy(long N, long V, const float *logits, const int *targets, int ignoreIndex,
                            float *losses, float *lse) {
  row_args a = {.fn = row_cross_entropy, .rows = N, .cols = V, .x = logits, .ids = targets, .o1 = losses,
                .o2 = lse, .ignore = ignoreIndex};
  run_rows(&a);
  long counted = 0;
  for (long r = 0; r < N; r++) counted += targets[r] != ignoreIndex;
  return counted;
}

/* x = logits, ids = targets, y = lse, s0 = dloss; o1 = dlogits */
static void row_cross_entropy_backward(const row_args *a, long r) {
  int t = a->ids[r];
  if (t == a->ignore) return;
  long V = a->cols;
  const float *x = a->x + r * V;
  float *d = a->o1 + r * V;
  vf l = vset1(a->y[r]), s = vset1(a->s0);
  long i0 = 0, i1 = V;
  VEC_LOOP(STORE(d, LOAD(d) + s * vexp(LOAD(x) - l));)
  d[t] -= a->s0;
}

static void k_cross_entropy_backward(long N, long V, const float *logits, const int *targets, int ignoreIndex,
                                     const float *lse, float dloss, float *dlogits) {
  row_args a = {.fn = row_cross_entropy_backward, .rows = N, .cols = V, .x = logits, .ids = targets, .y = lse,
                .o1 = dlogits, .ignore = ignoreIndex, .s0 = dloss};
  run_rows(&a);
}
