/*
 * Fused attention (forward saves the probabilities, backward from them), RoPE, embedding
 * lookup and its scatter-add gradient. Included by isa_*.c after norm.c.
 * Attention forward splits over (batch, head, query block); backward over (batch, kv head),
 * one task owning every dk/dv row it writes, so sums run in a fixed order.
 */

/* y[0..n) += s * x[0..n) */
static inline void row_axpy(float *y, float s, const float *x, long n) {
  vf vs = vset1(s);
  long i0 = 0, i1 = n;
  VEC_LOOP(STORE(y, LOAD(y) + vs * LOAD(x));)
}

#define ATT_ROWS_PER_TASK 32L

typedef struct {
  long B, nh, nkv, Tq, Tk, kvCap, hs, posOffset;
  float scale;
  int causal;
  const float *keyMask, *q, *k, *v;
  float *out, *att;
  long qblocks;
} att_args;

/* Masks, exponentiates and normalises one row of scores in place (hidden keys -> 0);
 * returns 0 when the row sees no key (then the row is all zeros). Only the prefix
 * [0, last] can be visible: it is vectorised, the rest is zeroed. The per-lane sums are
 * those of a pass over the whole row (hidden keys add exp(-inf) = 0 there). */
static int softmax_visible_row(float *ai, long Tk, long last, const float *mask) {
  long n = last + 1 < Tk ? last + 1 : Tk;
  if (n < 0) n = 0;
  if (mask)
    for (long j = 0; j < n; j++)
      if (mask[j] == 0.0f) ai[j] = -INFINITY;
  vf vm = vset1(-INFINITY);
  long j = 0;
  for (; j + VL <= n; j += VL) vm = vmax(vload(ai + j), vm);
  float mx = vhmax(vm);
  for (; j < n; j++) mx = ai[j] > mx ? ai[j] : mx;
  if (mx == -INFINITY) {
    for (long q = 0; q < Tk; q++) ai[q] = 0.0f;
    return 0;
  }
  /* exp(-inf - mx) = 0 for hidden keys */
  vf vmx = vset1(mx), acc = vset1(0.0f);
  j = 0;
  for (; j + VL <= n; j += VL) {
    vf e = vexp(vload(ai + j) - vmx);
    vstore(ai + j, e);
    acc += e;
  }
  if (j < n) {
    vf e = vexp(vload_part(ai + j, n - j) - vmx);
    vstore_part(ai + j, e, n - j);
    for (long q = 0; q < n - j; q++) acc[q] += e[q];
  }
  vf inv = vset1(1.0f / vhsum(acc));
  long i0 = 0, i1 = n;
  VEC_LOOP(STORE(ai, LOAD(ai) * inv);)
  for (long q = n; q < Tk; q++) ai[q] = 0.0f;
  return 1;
}

/* Query blocks of at least this many rows go through the GEMM micro-kernel (S = Q K^T,
 * O = P V); shorter ones (decode) use dot products. */
#define ATT_GEMM_MIN_ROWS 8

static void task_attention(void *ctx, long t, int tid) {
  const att_args *a = (const att_args *)ctx;
  long bh = t / a->qblocks, qb = t % a->qblocks;
  long b = bh / a->nh, h = bh % a->nh;
  long group = a->nh / a->nkv;
  long hs = a->hs, Tk = a->Tk;
  const float *kb = a->k + (b * a->nkv + h / group) * a->kvCap * hs;
  const float *vb = a->v + (b * a->nkv + h / group) * a->kvCap * hs;
  const float *mask = a->keyMask ? a->keyMask + b * Tk : NULL;
  long r0 = qb * ATT_ROWS_PER_TASK, r1 = lmin(a->Tq, r0 + ATT_ROWS_PER_TASK), rows = r1 - r0;
  const float *q0 = a->q + (bh * a->Tq + r0) * hs;
  float *o0 = a->out + (bh * a->Tq + r0) * hs;
  float *a0 = a->att + (bh * a->Tq + r0) * Tk;
  /* keys any row of this block may see */
  long kmax = a->causal ? lmin(Tk, a->posOffset + r1) : Tk;
  if (rows >= ATT_GEMM_MIN_ROWS && kmax > 0) {
    gemm_serial(0, 1, rows, kmax, hs, a->scale, q0, hs, kb, hs, 0.0f, a0, Tk, tid); /* S = scale Q K^T */
    for (long i = r0; i < r1; i++) {
      float *ai = a->att + (bh * a->Tq + i) * Tk;
      long last = a->causal ? lmin(Tk - 1, a->posOffset + i) : Tk - 1;
      softmax_visible_row(ai, Tk, last, mask);
    }
    gemm_serial(0, 0, rows, hs, kmax, 1.0f, a0, Tk, vb, hs, 0.0f, o0, hs, tid); /* O = P V */
    return;
  }
  for (long i = r0; i < r1; i++) {
    const float *qi = a->q + (bh * a->Tq + i) * hs;
    float *oi = a->out + (bh * a->Tq + i) * hs;
    float *ai = a->att + (bh * a->Tq + i) * Tk;
    long last = a->causal ? lmin(Tk - 1, a->posOffset + i) : Tk - 1;
    for (long j = 0; j <= last; j++)
      if (!(mask && mask[j] == 0.0f)) ai[j] = row_dot(qi, kb + j * hs, hs) * a->scale;
    for (long d = 0; d < hs; d++) oi[d] = 0.0f;
    if (!softmax_visible_row(ai, Tk, last, mask)) continue;
    for (long j = 0; j <= last; j++)
      if (ai[j] != 0.0f) row_axpy(oi, ai[j], vb + j * hs, hs);
  }
}

static void k_attention(long B, long nh, long nkv, long Tq, long Tk, long kvCap, long hs, float scale, int causal,
                        long posOffset, const float *keyMask, const float *q, const float *k, const float *v,
                        float *out, float *att) {
  if (B <= 0 || nh <= 0 || Tq <= 0 || hs <= 0) return;
  att_args a = {B, nh, nkv, Tq, Tk, kvCap, hs, posOffset, scale, causal, keyMask, q, k, v, out, att,
                ldiv_up(Tq, ATT_ROWS_PER_TASK)};
  if (Tk <= 0) {
    for (long i = 0; i < B * nh * Tq * hs; i++) out[i] = 0.0f;
    return;
  }
  long tasks = B * nh * a.qblocks;
  if (B * nh * Tq * Tk * hs < PAR_MIN) for (long t = 0; t < tasks; t++) task_attention(&a, t, 0);
  else llmts_parallel_for(tasks, task_attention, &a);
}

typedef struct {
  long B, nh, nkv, Tq, Tk, hs;
  float scale;
  const float *q, *k, *v, *att, *dout;
  float *dq, *dk, *dv;
} attb_args;

static void task_attention_backward(void *ctx, long t, int tid) {
  const attb_args *a = (const attb_args *)ctx;
  long b = t / a->nkv, g = t % a->nkv;
  long group = a->nh / a->nkv, hs = a->hs, Tk = a->Tk, Tq = a->Tq;
  const float *kb = a->k + t * Tk * hs, *vb = a->v + t * Tk * hs;
  float *dkb = a->dk + t * Tk * hs, *dvb = a->dv + t * Tk * hs;
  int use_gemm = Tq >= ATT_GEMM_MIN_ROWS;
  float *ds = (float *)llmts_scratch(tid, 2, (size_t)(use_gemm ? Tq * Tk : Tk) * sizeof(float));
  if (!ds) return;
  for (long h = g * group; h < (g + 1) * group; h++) {
    long bh = b * a->nh + h;
    const float *qh = a->q + bh * Tq * hs, *doh = a->dout + bh * Tq * hs, *ah = a->att + bh * Tq * Tk;
    float *dqh = a->dq + bh * Tq * hs;
    if (use_gemm) {
      /* dP = dO V^T; dS = P (dP - rowsum(P dP)) scale; dV += P^T dO; dQ += dS K; dK += dS^T Q */
      gemm_serial(0, 1, Tq, Tk, hs, 1.0f, doh, hs, vb, hs, 0.0f, ds, Tk, tid);
      for (long i = 0; i < Tq; i++) {
        const float *pi = ah + i * Tk;
        float *di = ds + i * Tk;
        vf dot = vset1(row_dot(pi, di, Tk)), sc = vset1(a->scale);
        long i0 = 0, i1 = Tk;
        VEC_LOOP(STORE(di, LOAD(pi) * (LOAD(di) - dot) * sc);)
      }
      gemm_serial(1, 0, Tk, hs, Tq, 1.0f, ah, Tk, doh, hs, 1.0f, dvb, hs, tid);
      gemm_serial(0, 0, Tq, hs, Tk, 1.0f, ds, Tk, kb, hs, 1.0f, dqh, hs, tid);
      gemm_serial(1, 0, Tk, hs, Tq, 1.0f, ds, Tk, qh, hs, 1.0f, dkb, hs, tid);
      continue;
    }
    for (long i = 0; i < Tq; i++) {
      const float *qi = qh + i * hs, *doi = doh + i * hs, *ai = ah + i * Tk;
      float *dqi = dqh + i * hs;
      float dot = 0.0f;
      for (long j = 0; j < Tk; j++) {
        float p = ai[j];
        if (p == 0.0f) {
          ds[j] = 0.0f;
          continue;
        }
        float s = row_dot(doi, vb + j * hs, hs);
        ds[j] = s;
        dot += p * s;
        row_axpy(dvb + j * hs, p, doi, hs);
      }
      for (long j = 0; j < Tk; j++) {
        float p = ai[j];
        if (p == 0.0f) continue;
        float d = p * (ds[j] - dot) * a->scale;
        row_axpy(dqi, d, kb + j * hs, hs);
        row_axpy(dkb + j * hs, d, qi, hs);
      }
    }
  }
}

static void k_attention_backward(long B, long nh, long nkv, long Tq, long Tk, long hs, float scale, const float *q,
                                 const float *k, const float *v, const float *att, const float *dout, float *dq,
                                 float *dk, float *dv) {
  if (B <= 0 || nkv <= 0 || Tq <= 0 || Tk <= 0 || hs <= 0) return;
  attb_args a = {B, nh, nkv, Tq, Tk, hs, scale, q, k, v, att, dout, dq, dk, dv};
  long tasks = B * nkv;
  if (B * nh * Tq * Tk * hs < PAR_MIN) for (long t = 0; t < tasks; t++) task_attention_backward(&a, t, 0);
  else llmts_parallel_for(tasks, task_attention_backward, &a);
}

/* ------------------------------------------------------------------ RoPE */
typedef struct {
  long BH, T, hs;
  int interleaved;
  const float *cs; /* (T, hs/2, 2): cos, sin */
  float *x;
} rope_args;

static void task_rope(void *ctx, long t, int tid) {
  (void)tid;
  const rope_args *a = (const rope_args *)ctx;
  long half = a->hs / 2;
  for (long ti = 0; ti < a->T; ti++) {
    float *x = a->x + (t * a->T + ti) * a->hs;
    const float *cs = a->cs + ti * half * 2;
    for (long i = 0; i < half; i++) {
      float c = cs[2 * i], s = cs[2 * i + 1];
      long i0 = a->interleaved ? 2 * i : i, i1 = a->interleaved ? 2 * i + 1 : i + half;
      float x0 = x[i0], x1 = x[i1];
      x[i0] = x0 * c - x1 * s;
      x[i1] = x0 * s + x1 * c;
    }
  }
}

static void k_rope(long B, long H, long T, long hs, long posOffset, double theta, int interleaved, int inverse,
                   float *x) {
  long half = hs / 2;
  if (B <= 0 || H <= 0 || T <= 0 || half <= 0) return;
  float *cs = (float *)llmts_scratch(-1, 2, (size_t)T * half * 2 * sizeof(float));
  if (!cs) return;
  double sign = inverse ? -1.0 : 1.0;
  for (long i = 0; i < half; i++) {
    double freq = pow(theta, (-2.0 * (double)i) / (double)hs);
    for (long t = 0; t < T; t++) {
      double angle = (double)(posOffset + t) * freq;
      cs[(t * half + i) * 2] = (float)cos(angle);
      cs[(t * half + i) * 2 + 1] = (float)(sign * sin(angle));
    }
  }
  rope_args a = {B * H, T, hs, interleaved, cs, x};
  if (B * H * T * hs < PAR_MIN) for (long t = 0; t < B * H; t++) task_rope(&a, t, 0);
  else llmts_parallel_for(B * H, task_rope, &a);
}

/* ------------------------------------------------------------------ embedding */
typedef struct {
  long n, C;
  const int *ids;
  const float *src;
  float *dst;
  long per_task;
} emb_args;

static void task_embedding(void *ctx, long t, int tid) {
  (void)tid;
  const emb_args *a = (const emb_args *)ctx;
  long i1 = lmin(a->n, (t + 1) * a->per_task);
  for (long i = t * a->per_task; i < i1; i++)
    memcpy(a->dst + i * a->C, a->src + (long)a->ids[i] * a->C, (size_t)a->C * sizeof(float));
}

static void k_embedding(long n, long C, const int *ids, const float *table, float *out) {
  if (n <= 0 || C <= 0) return;
  emb_args a = {n, C, ids, table, out, ldiv_up(CHUNK, C)};
  long tasks = ldiv_up(n, a.per_task);
  if (n * C < PAR_MIN) for (long t = 0; t < tasks; t++) task_embedding(&a, t, 0);
  else llmts_parallel_for(tasks, task_embedding, &a);
}

/* Column-split scatter-add: each task owns columns [c0, c1) of every table row and adds
 * the n rows of dout in order. */
static void task_embedding_backward(void *ctx, long t, int tid) {
  (void)tid;
  const emb_args *a = (const emb_args *)ctx;
  long c0 = t * COLS_PER_TASK, c1 = lmin(a->C, c0 + COLS_PER_TASK);
  for (long i = 0; i < a->n; i++) {
    float *d = a->dst + (long)a->ids[i] * a->C + c0;
    const float *s = a->src + i * a->C + c0;
    long i0 = 0, i1 = c1 - c0;
    VEC_LOOP(STORE(d, LOAD(d) + LOAD(s));)
  }
}

static void k_embedding_backward(long n, long C, const int *ids, const float *dout, float *dtable) {
  if (n <= 0 || C <= 0) return;
  emb_args a = {n, C, ids, dout, dtable, 0};
  long tasks = ldiv_up(C, COLS_PER_TASK);
  if (n * C < PAR_MIN) for (long t = 0; t < tasks; t++) task_embedding_backward(&a, t, 0);
  else llmts_parallel_for(tasks, task_embedding_backward, &a);
}
