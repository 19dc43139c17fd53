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

/* Where attention reads and writes: element (b, head, t, d) of q (and dq) at
 * q[b * qsb + head * qsh + t * qst + d]; k, v, dk, dv use the k strides, out and dout the
 * o strides; d is always contiguous. The (B, heads, T, hs) layout has sb = heads * T * hs,
 * sh = T * hs, st = hs; a fused (B, T, 3C) projection has sb = T * 3C, sh = hs, st = 3C. */
typedef struct {
  long qsb, qsh, qst, ksb, ksh, kst, osb, osh, ost;
} att_layout;

typedef struct {
  long B, nh, nkv, Tq, Tk, hs, posOffset;
  float scale;
  int causal;
  att_layout L;
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

/* One query row with q and the output row held in registers (head sizes up to
 * ATT_REG_VECS vectors): the same arithmetic, in the same order, as row_dot per key and
 * row_axpy per key, so bit-identical to the general path, without reloading q for every
 * key or storing and reloading the output row (a masked store followed by a load of the
 * same row stalls store forwarding). */
#define ATT_REG_VECS 4
static void attention_row_regs(const float *qi, const float *kb, const float *vb, long kst, long hs, float scale,
                               float *ai, long Tk, long last, const float *mask, float *oi) {
  long nv = ldiv_up(hs, VL), tail = hs - (nv - 1) * VL;
  vf qv[ATT_REG_VECS], ov[ATT_REG_VECS];
  for (long v = 0; v < nv; v++) {
    qv[v] = v == nv - 1 && tail < VL ? vload_part(qi + v * VL, tail) : vload(qi + v * VL);
    ov[v] = vset1(0.0f);
  }
  for (long j = 0; j <= last; j++) {
    if (mask && mask[j] == 0.0f) continue;
    const float *kj = kb + j * kst;
    vf acc = vset1(0.0f);
    for (long v = 0; v < nv; v++)
      acc += qv[v] * (v == nv - 1 && tail < VL ? vload_part(kj + v * VL, tail) : vload(kj + v * VL));
    ai[j] = vhsum(acc) * scale;
  }
  if (softmax_visible_row(ai, Tk, last, mask)) {
    for (long j = 0; j <= last; j++) {
      if (ai[j] == 0.0f) continue;
      const float *vj = vb + j * kst;
      vf p = vset1(ai[j]);
      for (long v = 0; v < nv; v++)
        ov[v] += p * (v == nv - 1 && tail < VL ? vload_part(vj + v * VL, tail) : vload(vj + v * VL));
    }
  }
  for (long v = 0; v < nv; v++) {
    if (v == nv - 1 && tail < VL) vstore_part(oi + v * VL, ov[v], tail);
    else vstore(oi + v * VL, ov[v]);
  }
}

static void task_attention(void *ctx, long t, int tid) {
  const att_args *a = (const att_args *)ctx;
  const att_layout *L = &a->L;
  long bh = t / a->qblocks, qb = t % a->qblocks;
  long b = bh / a->nh, h = bh % a->nh;
  long group = a->nh / a->nkv;
  long hs = a->hs, Tk = a->Tk;
  const float *kb = a->k + b * L->ksb + (h / group) * L->ksh;
  const float *vb = a->v + b * L->ksb + (h / group) * L->ksh;
  const float *mask = a->keyMask ? a->keyMask + b * Tk : NULL;
  long r0 = qb * ATT_ROWS_PER_TASK, r1 = lmin(a->Tq, r0 + ATT_ROWS_PER_TASK), rows = r1 - r0;
  const float *q0 = a->q + b * L->qsb + h * L->qsh + r0 * L->qst;
  float *o0 = a->out + b * L->osb + h * L->osh + r0 * L->ost;
  float *a0 = a->att + (bh * a->Tq + r0) * Tk;
  /* keys any row of this block may see */
  long kmax = a->causal ? lmin(Tk, a->posOffset + r1) : Tk;
  if (rows >= ATT_GEMM_MIN_ROWS && kmax > 0) {
    gemm_serial(0, 1, rows, kmax, hs, a->scale, q0, L->qst, kb, L->kst, 0.0f, a0, Tk, tid); /* S = scale Q K^T */
    for (long i = r0; i < r1; i++) {
      float *ai = a->att + (bh * a->Tq + i) * Tk;
      long last = a->causal ? lmin(Tk - 1, a->posOffset + i) : Tk - 1;
      softmax_visible_row(ai, Tk, last, mask);
    }
    gemm_serial(0, 0, rows, hs, kmax, 1.0f, a0, Tk, vb, L->kst, 0.0f, o0, L->ost, tid); /* O = P V */
    return;
  }
  for (long i = r0; i < r1; i++) {
    const float *qi = q0 + (i - r0) * L->qst;
    float *oi = o0 + (i - r0) * L->ost;
    float *ai = a->att + (bh * a->Tq + i) * Tk;
    long last = a->causal ? lmin(Tk - 1, a->posOffset + i) : Tk - 1;
    if (hs <= ATT_REG_VECS * VL) {
      attention_row_regs(qi, kb, vb, L->kst, hs, a->scale, ai, Tk, last, mask, oi);
      continue;
    }
    for (long j = 0; j <= last; j++)
      if (!(mask && mask[j] == 0.0f)) ai[j] = row_dot(qi, kb + j * L->kst, hs) * a->scale;
    for (long d = 0; d < hs; d++) oi[d] = 0.0f;
    if (!softmax_visible_row(ai, Tk, last, mask)) continue;
    for (long j = 0; j <= last; j++)
      if (ai[j] != 0.0f) row_axpy(oi, ai[j], vb + j * L->kst, hs);
  }
}

static void attention_run(att_args *a) {
  long B = a->B, nh = a->nh, Tq = a->Tq, Tk = a->Tk, hs = a->hs;
  if (B <= 0 || nh <= 0 || Tq <= 0 || hs <= 0) return;
  a->qblocks = ldiv_up(Tq, ATT_ROWS_PER_TASK);
  if (Tk <= 0) {
    for (long b = 0; b < B; b++)
      for (long h = 0; h < nh; h++)
        for (long t = 0; t < Tq; t++)
          for (long d = 0; d < hs; d++) a->out[b * a->L.osb + h * a->L.osh + t * a->L.ost + d] = 0.0f;
    return;
  }
  long tasks = B * nh * a->qblocks;
  if (B * nh * Tq * Tk * hs < PAR_MIN) for (long t = 0; t < tasks; t++) task_attention(a, t, 0);
  else llmts_parallel_for(tasks, task_attention, a);
}

static void k_attention(long B, long nh, long nkv, long Tq, long Tk, long kvCap, long hs, float scale, int causal,
                        long posOffset, const float *keyMask, const float *q, const float *k, const float *v,
                        float *out, float *att) {
  att_layout L = {nh * Tq * hs, Tq * hs, hs, nkv * kvCap * hs, kvCap * hs, hs, nh * Tq * hs, Tq * hs, hs};
  att_args a = {B, nh, nkv, Tq, Tk, hs, posOffset, scale, causal, L, keyMask, q, k, v, out, att, 0};
  attention_run(&a);
}

/* Self-attention straight from a fused projection qkv (B, T, 3C), out (B, T, C). */
static void k_attention_qkv(long B, long T, long nh, long hs, float scale, int causal, const float *keyMask,
                            const float *qkv, float *out, float *att) {
  long C = nh * hs;
  att_layout L = {T * 3 * C, hs, 3 * C, T * 3 * C, hs, 3 * C, T * C, hs, C};
  att_args a = {B, nh, nh, T, T, hs, 0, scale, causal, L, keyMask, qkv, qkv + C, qkv + 2 * C, out, att, 0};
  attention_run(&a);
}

typedef struct {
  long B, nh, nkv, Tq, Tk, hs;
  float scale;
  att_layout L;
  const float *q, *k, *v, *att, *dout;
  float *dq, *dk, *dv;
} attb_args;

static void task_attention_backward(void *ctx, long t, int tid) {
  const attb_args *a = (const attb_args *)ctx;
  const att_layout *L = &a->L;
  long b = t / a->nkv, g = t % a->nkv;
  long group = a->nh / a->nkv, hs = a->hs, Tk = a->Tk, Tq = a->Tq;
  long kvo = b * L->ksb + g * L->ksh, kst = L->kst, qst = L->qst, ost = L->ost;
  const float *kb = a->k + kvo, *vb = a->v + kvo;
  float *dkb = a->dk + kvo, *dvb = a->dv + kvo;
  int use_gemm = Tq >= ATT_GEMM_MIN_ROWS;
  float *ds = (float *)llmts_scratch(tid, 2, (size_t)(use_gemm ? Tq * Tk : Tk) * sizeof(float));
  if (!ds) return;
  for (long h = g * group; h < (g + 1) * group; h++) {
    long bh = b * a->nh + h;
    long qo = b * L->qsb + h * L->qsh, oo = b * L->osb + h * L->osh;
    const float *qh = a->q + qo, *doh = a->dout + oo, *ah = a->att + bh * Tq * Tk;
    float *dqh = a->dq + qo;
    if (use_gemm) {
      /* dP = dO V^T; dS = P (dP - rowsum(P dP)) scale; dV += P^T dO; dQ += dS K; dK += dS^T Q */
      gemm_serial(0, 1, Tq, Tk, hs, 1.0f, doh, ost, vb, kst, 0.0f, ds, Tk, tid);
      for (long i = 0; i < Tq; i++) {
        const float *pi = ah + i * Tk;
        float *di = ds + i * Tk;
        vf dot = vset1(row_dot(pi, di, Tk)), sc = vset1(a->scale);
        long i0 = 0, i1 = Tk;
        VEC_LOOP(STORE(di, LOAD(pi) * (LOAD(di) - dot) * sc);)
      }
      gemm_serial(1, 0, Tk, hs, Tq, 1.0f, ah, Tk, doh, ost, 1.0f, dvb, kst, tid);
      gemm_serial(0, 0, Tq, hs, Tk, 1.0f, ds, Tk, kb, kst, 1.0f, dqh, qst, tid);
      gemm_serial(1, 0, Tk, hs, Tq, 1.0f, ds, Tk, qh, qst, 1.0f, dkb, kst, tid);
      continue;
    }
    for (long i = 0; i < Tq; i++) {
      const float *qi = qh + i * qst, *doi = doh + i * ost, *ai = ah + i * Tk;
      float *dqi = dqh + i * qst;
      float dot = 0.0f;
      for (long j = 0; j < Tk; j++) {
        float p = ai[j];
        if (p == 0.0f) {
          ds[j] = 0.0f;
          continue;
        }
        float s = row_dot(doi, vb + j * kst, hs);
        ds[j] = s;
        dot += p * s;
        row_axpy(dvb + j * kst, p, doi, hs);
      }
      for (long j = 0; j < Tk; j++) {
        float p = ai[j];
        if (p == 0.0f) continue;
        float d = p * (ds[j] - dot) * a->scale;
        row_axpy(dqi, d, kb + j * kst, hs);
        row_axpy(dkb + j * kst, d, qi, hs);
      }
    }
  }
}

static void attention_backward_run(const attb_args *a) {
  if (a->B <= 0 || a->nkv <= 0 || a->Tq <= 0 || a->Tk <= 0 || a->hs <= 0) return;
  long tasks = a->B * a->nkv;
  if (a->B * a->nh * a->Tq * a->Tk * a->hs < PAR_MIN)
    for (long t = 0; t < tasks; t++) task_attention_backward((void *)a, t, 0);
  else llmts_parallel_for(tasks, task_attention_backward, (void *)a);
}

static void k_attention_backward(long B, long nh, long nkv, long Tq, long Tk, long hs, float scale, const float *q,
                                 const float *k, const float *v, const float *att, const float *dout, float *dq,
                                 float *dk, float *dv) {
  att_layout L = {nh * Tq * hs, Tq * hs, hs, nkv * Tk * hs, Tk * hs, hs, nh * Tq * hs, Tq * hs, hs};
  attb_args a = {B, nh, nkv, Tq, Tk, hs, scale, L, q, k, v, att, dout, dq, dk, dv};
  attention_backward_run(&a);
}

/* Backward of k_attention_qkv: dqkv (B, T, 3C) accumulates. */
static void k_attention_qkv_backward(long B, long T, long nh, long hs, float scale, const float *qkv,
                                     const float *att, const float *dout, float *dqkv) {
  long C = nh * hs;
  att_layout L = {T * 3 * C, hs, 3 * C, T * 3 * C, hs, 3 * C, T * C, hs, C};
  attb_args a = {B, nh, nh, T, T, hs, scale, L, qkv, qkv + C, qkv + 2 * C, att, dout, dqkv, dqkv + C, dqkv + 2 * C};
  attention_backward_run(&a);
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

/* invFreq (hs/2) or NULL for theta^(-2i/hs); cos and sin are multiplied by attnFactor (YaRN). */
static void k_rope(long B, long H, long T, long hs, long posOffset, double theta, const float *invFreq,
                   double attnFactor, int interleaved, int inverse, float *x) {
  long half = hs / 2;
  if (B <= 0 || H <= 0 || T <= 0 || half <= 0) return;
  float *cs = (float *)llmts_scratch(-1, 2, (size_t)T * half * 2 * sizeof(float));
  if (!cs) return;
  double sign = inverse ? -1.0 : 1.0;
  for (long i = 0; i < half; i++) {
    double freq = invFreq ? (double)invFreq[i] : pow(theta, (-2.0 * (double)i) / (double)hs);
    for (long t = 0; t < T; t++) {
      double angle = (double)(posOffset + t) * freq;
      double c = cos(angle), s = sign * sin(angle);
      if (attnFactor != 1.0) {
        c *= attnFactor;
        s *= attnFactor;
      }
      cs[(t * half + i) * 2] = (float)c;
      cs[(t * half + i) * 2 + 1] = (float)s;
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
