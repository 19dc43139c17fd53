/*
 * Self-attention for training, in the projections' own layout and without the
 * (B, nh, T, T) probabilities: q (B, T, nh*hs), k, v (B, T, nkv*hs) -> out (B, T, nh*hs)
 * and each score row's log-sum-exp lse (B, nh, T). The backward recomputes the
 * probabilities from q, k and lse (FlashAttention's scheme), so nothing quadratic in T is
 * stored. Optional RoPE on q and k from a cos/sin table cs (T, hs/2, 2), applied as the
 * rows are read (no rotated copies, no head transposes). GQA: query head h reads kv head
 * h / (nh / nkv). Included by isa_*.c after attention.c.
 *
 * Vectorised over keys, which suits the small head sizes of small models (8, 16, 32):
 * each task copies its kv head's keys (rotated) and values transposed into (hs, Tp)
 * tiles, so one vector holds the d-th component of VL keys and a vector of VL scores is
 * hs FMAs with q's components broadcast. Forward splits over (batch, query head); backward
 * over (batch, kv head), each task owning every dk/dv row it writes, so sums run in a
 * fixed order whatever the thread count.
 */

typedef struct {
  long B, T, nh, nkv, hs, Tp;
  int groups; /* forward: one task per kv head (its query heads share the kv tiles), else per query head */
  float scale;
  int causal, interleaved;
  const float *keyMask, *cs, *q, *k, *v, *out, *lse_in, *dout;
  float *o, *lse, *dq, *dk, *dv;
} sa_args;

/* Rotates the hs-vector x by the angles of one cs row ((hs/2, 2): cos, sin); inverse
 * rotates back (the backward of the rotation is its transpose). */
static inline void sa_rotate(float *x, const float *cs, long hs, int interleaved, int inverse) {
  long half = hs / 2;
  for (long i = 0; i < half; i++) {
    float c = cs[2 * i], s = inverse ? -cs[2 * i + 1] : cs[2 * i + 1];
    long i0 = interleaved ? 2 * i : i, i1 = interleaved ? 2 * i + 1 : i + half;
    float x0 = x[i0], x1 = x[i1];
    x[i0] = x0 * c - x1 * s;
    x[i1] = x0 * s + x1 * c;
  }
}

/* Copies kv head g of batch b into kt, vt (hs, Tp), keys rotated, columns T..Tp zero;
 * bias (Tp) gets 0 for a visible key and -inf for a hidden one (keyMask 0, or j >= T); the
 * score loops read it only where there is a key mask. */
static void sa_load_kv(const sa_args *a, long b, long g, float *kt, float *vt, float *bias, float *tmp) {
  long T = a->T, Tp = a->Tp, hs = a->hs, rs = a->nkv * hs;
  for (long t = 0; t < T; t++) {
    const float *kr = a->k + (b * T + t) * rs + g * hs, *vr = a->v + (b * T + t) * rs + g * hs;
    for (long d = 0; d < hs; d++) tmp[d] = kr[d];
    if (a->cs) sa_rotate(tmp, a->cs + t * hs, hs, a->interleaved, 0);
    for (long d = 0; d < hs; d++) {
      kt[d * Tp + t] = tmp[d];
      vt[d * Tp + t] = vr[d];
    }
    bias[t] = a->keyMask && a->keyMask[b * T + t] == 0.0f ? -INFINITY : 0.0f;
  }
  for (long t = T; t < Tp; t++) {
    for (long d = 0; d < hs; d++) kt[d * Tp + t] = vt[d * Tp + t] = 0.0f;
    bias[t] = -INFINITY;
  }
}

/* exp(x) for x <= 0 (scores minus their row's max or log-sum-exp): vexp's reduction and
 * polynomial, but results below exp(-87) (near the smallest normal float) are 0 instead of
 * denormals, whose arithmetic costs a microcode assist per instruction on x86; hidden keys
 * (-inf) give 0. */
static inline vf sa_exp(vf x) {
  const vf lo = vset1(-87.0f);
  vf n;
  vf p = vexp_core(vmax(x, lo), &n);
  vi ni = __builtin_convertvector(n, vi); /* in [-126, 0]: 2^n is a normal float */
  vf y = p * (vf)((ni + 127) << 23);
  return vsel(x < lo, vset1(0.0f), y);
}

/* Lane indices 0..VL-1. */
static inline vi sa_iota(void) {
  int32_t t[VL];
  for (int i = 0; i < VL; i++) t[i] = i;
  vi r;
  memcpy(&r, t, sizeof r);
  return r;
}

#define SA_INLINE static inline __attribute__((always_inline))

/* The scores of keys j0 .. j0+VL-1 for the scaled query whose components are broadcast in
 * qb: hidden keys (bias -inf where there is a key mask, or j >= n: past the causal limit
 * or T) -inf. */
SA_INLINE vf sa_scores(const vf *qb, const float *kt, const float *bias, long Tp, long hs, long j0, long n, vi iota) {
  vf acc = vset1(0.0f);
  for (long d = 0; d < hs; d++) acc += qb[d] * vload(kt + d * Tp + j0);
  if (bias) acc += vload(bias + j0);
  if (j0 + VL > n) acc = vsel(iota + vset1i((int32_t)j0) < vset1i((int32_t)n), acc, vset1(-INFINITY));
  return acc;
}

#if VL == 16
/* The largest lane of v, by halving in registers (4 shuffles and maxes). */
static inline float sa_hmax(vf v) {
  v = vmax(v, __builtin_shuffle(v, (vi){8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7}));
  v = vmax(v, __builtin_shuffle(v, (vi){4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11}));
  v = vmax(v, __builtin_shuffle(v, (vi){2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13}));
  v = vmax(v, __builtin_shuffle(v, (vi){1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14}));
  return v[0];
}

/* Lane d (< 8) of the result = the sum of the lanes of v[d]: the 8 row sums of a head of size
 * 8 in one shuffle tree (15 shuffles and adds in all, instead of 8 separate reductions). */
static inline vf sa_hsum8(const vf *v) {
  const vi lo1 = {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23};
  const vi hi1 = {8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31};
  const vi lo2 = {0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27};
  const vi hi2 = {4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31};
  const vi lo3 = {0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29};
  const vi hi3 = {2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31};
  const vi ev = {0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14};
  const vi od = {1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15};
  vf b[4];
  for (int k = 0; k < 4; k++) b[k] = __builtin_shuffle(v[2 * k], v[2 * k + 1], lo1) + __builtin_shuffle(v[2 * k], v[2 * k + 1], hi1);
  vf c0 = __builtin_shuffle(b[0], b[1], lo2) + __builtin_shuffle(b[0], b[1], hi2);
  vf c1 = __builtin_shuffle(b[2], b[3], lo2) + __builtin_shuffle(b[2], b[3], hi2);
  vf d = __builtin_shuffle(c0, c1, lo3) + __builtin_shuffle(c0, c1, hi3);
  return __builtin_shuffle(d, ev) + __builtin_shuffle(d, od);
}
#define SA_HSUM8 1
#else
/* The largest lane of v, by halving (log2(VL) steps instead of a chain of VL - 1 compares). */
static inline float sa_hmax(vf v) {
  float t[VL];
  vstore(t, v);
  for (int w = VL / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; i++) t[i] = t[i + w] > t[i] ? t[i + w] : t[i];
  return t[0];
}
#define SA_HSUM8 0
#endif

/* out[d] = s * (the sum of the lanes of v[d]), d < hs. */
SA_INLINE void sa_row_sums(const vf *v, long hs, float s, float *out) {
#if SA_HSUM8
  if (hs == 8) {
    vf r = sa_hsum8(v) * vset1(s);
    for (int d = 0; d < 8; d++) out[d] = r[d];
    return;
  }
#endif
  for (long d = 0; d < hs; d++) out[d] = vhsum(v[d]) * s;
}

/* Query rows i0 and i1 of head h, batch b (forward; i1 = i0 when there is one row left):
 * their scores into p0, p1 and their maxima in one pass over the key tiles (each tile
 * vector loaded once for both rows), then exp, sums and the outputs in another. qb and
 * oacc hold 2 hs vectors (row 0's, then row 1's): local arrays where the caller fixes hs
 * (the compiler keeps them in registers), scratch otherwise. */
SA_INLINE void sa_forward_rows(const sa_args *a, long b, long h, long i0, long i1, long hs, const float *kt,
                               const float *vt, const float *bias, float *p0, float *p1, float *tmp, vf *qb,
                               vf *oacc, vi iota) {
  long T = a->T, Tp = a->Tp, C = a->nh * hs;
  long rows[2] = {i0, i1};
  for (int r = 0; r < 2; r++) {
    const float *qr = a->q + (b * T + rows[r]) * C + h * hs;
    for (long d = 0; d < hs; d++) tmp[d] = qr[d];
    if (a->cs) sa_rotate(tmp, a->cs + rows[r] * hs, hs, a->interleaved, 0);
    for (long d = 0; d < hs; d++) {
      qb[r * hs + d] = vset1(tmp[d] * a->scale);
      oacc[r * hs + d] = vset1(0.0f);
    }
  }
  long n0 = a->causal ? i0 + 1 : T, n1 = a->causal ? i1 + 1 : T, nv = ldiv_up(n1, VL);
  vf vm0 = vset1(-INFINITY), vm1 = vset1(-INFINITY);
  for (long jv = 0; jv < nv; jv++) {
    long j0 = jv * VL;
    vf s0 = vset1(0.0f), s1 = vset1(0.0f);
    for (long d = 0; d < hs; d++) {
      vf kd = vload(kt + d * Tp + j0);
      s0 += qb[d] * kd;
      s1 += qb[hs + d] * kd;
    }
    if (bias) {
      vf bv = vload(bias + j0);
      s0 += bv;
      s1 += bv;
    }
    vi lane = iota + vset1i((int32_t)j0);
    if (j0 + VL > n0) s0 = vsel(lane < vset1i((int32_t)n0), s0, vset1(-INFINITY));
    if (j0 + VL > n1) s1 = vsel(lane < vset1i((int32_t)n1), s1, vset1(-INFINITY));
    vstore(p0 + j0, s0);
    vstore(p1 + j0, s1);
    vm0 = vmax(vm0, s0);
    vm1 = vmax(vm1, s1);
  }
  float m0 = sa_hmax(vm0), m1 = sa_hmax(vm1);
  /* a row that sees no key: exp against 0 gives zeros, its sum 0 */
  vf vmx0 = vset1(m0 == -INFINITY ? 0.0f : m0), vmx1 = vset1(m1 == -INFINITY ? 0.0f : m1);
  vf sum0 = vset1(0.0f), sum1 = vset1(0.0f);
  for (long jv = 0; jv < nv; jv++) {
    long j0 = jv * VL;
    vf e0 = sa_exp(vload(p0 + j0) - vmx0), e1 = sa_exp(vload(p1 + j0) - vmx1);
    sum0 += e0;
    sum1 += e1;
    for (long d = 0; d < hs; d++) {
      vf vd = vload(vt + d * Tp + j0);
      oacc[d] += e0 * vd;
      oacc[hs + d] += e1 * vd;
    }
  }
  float totals[2] = {vhsum(sum0), vhsum(sum1)}, maxima[2] = {m0, m1};
  for (int r = 0; r < 2; r++) {
    float *orow = a->o + (b * T + rows[r]) * C + h * hs;
    float *lse = a->lse + (b * a->nh + h) * T + rows[r];
    if (maxima[r] == -INFINITY) { /* this query sees no key: zero output */
      for (long d = 0; d < hs; d++) orow[d] = 0.0f;
      *lse = -INFINITY;
      continue;
    }
    sa_row_sums(oacc + r * hs, hs, 1.0f / totals[r], orow);
    *lse = maxima[r] + logf(totals[r]);
  }
}

/* Every query row of head h, batch b, two at a time, with hs fixed by the caller where it can be. */
SA_INLINE void sa_forward_head(const sa_args *a, long b, long h, long hs, const float *kt, const float *vt,
                               const float *bias, float *p, float *tmp, vf *qb, vf *oacc) {
  vi iota = sa_iota();
  for (long i = 0; i < a->T; i += 2)
    sa_forward_rows(a, b, h, i, lmin(i + 1, a->T - 1), hs, kt, vt, bias, p, p + a->Tp, tmp, qb, oacc, iota);
}

/* Task t: the query heads of kv head g = t % nkv, batch t / nkv, sharing one copy of the kv
 * tiles (a->groups); or (few kv heads and batches) query head t % nh alone. */
static void task_self_attention(void *ctx, long t, int tid) {
  const sa_args *a = (const sa_args *)ctx;
  long group = a->nh / a->nkv, Tp = a->Tp, hs = a->hs;
  long b = a->groups ? t / a->nkv : t / a->nh;
  long h0 = a->groups ? (t % a->nkv) * group : t % a->nh, h1 = a->groups ? h0 + group : h0 + 1;
  long g = h0 / group;
  long head = 2 * hs * Tp + 3 * Tp + hs;
  float *kt = (float *)llmts_scratch(tid, 3, (size_t)(ldiv_up(head, VL) * VL + 4 * hs * VL) * sizeof(float));
  if (!kt) return;
  float *vt = kt + hs * Tp, *bias = vt + hs * Tp, *p = bias + Tp, *tmp = p + 2 * Tp; /* p: two score rows */
  vf *spill = (vf *)(kt + ldiv_up(head, VL) * VL); /* generic hs: qb, oacc (2 hs vectors each) in scratch */
  sa_load_kv(a, b, g, kt, vt, bias, tmp);
  for (long h = h0; h < h1; h++) {
    if (hs == 8) {
      vf qb[16], oacc[16];
      sa_forward_head(a, b, h, 8, kt, vt, a->keyMask ? bias : NULL, p, tmp, qb, oacc);
    } else if (hs == 16) {
      vf qb[32], oacc[32];
      sa_forward_head(a, b, h, 16, kt, vt, a->keyMask ? bias : NULL, p, tmp, qb, oacc);
    } else {
      sa_forward_head(a, b, h, hs, kt, vt, a->keyMask ? bias : NULL, p, tmp, spill, spill + 2 * hs);
    }
  }
}

/* Backward of head h, batch b, in two passes over the (row, key block) pairs a row sees.
 * Query-major: the probabilities recomputed from lse, P and dS = P (dO.V - D) stored in
 * the (T, Tp) buffers pm and dsm, dq accumulated in registers (dqacc) and added to dq.
 * Key-major: each block's dk and dv accumulated in registers (dka, dva) over the rows that
 * see it, from the stored P, dS and each row's scaled, rotated q (qsm) and dO (dom). The
 * arrays of hs vectors are local where the caller fixes hs (registers), scratch otherwise. */
SA_INLINE void sa_backward_head(const sa_args *a, long b, long h, long hs, const float *kt, const float *vt, float *dkt,
                                float *dvt, const float *bias, float *tmp, float *pm, float *dsm, float *qsm,
                                float *dom, vf *qb, vf *ob, vf *dqacc, vf *dka, vf *dva) {
  long T = a->T, Tp = a->Tp, C = a->nh * hs;
  vi iota = sa_iota();
  for (long i = 0; i < T; i++) {
    long n = a->causal ? i + 1 : T, nv = ldiv_up(n, VL);
    float *pr = pm + i * Tp, *dsr = dsm + i * Tp, *qs = qsm + i * hs, *dor = dom + i * hs;
    float L = a->lse_in[(b * a->nh + h) * T + i];
    long ro = (b * T + i) * C + h * hs;
    if (L == -INFINITY) { /* a row that saw no key passes no gradient */
      for (long j = 0; j < nv * VL; j++) pr[j] = dsr[j] = 0.0f;
      for (long d = 0; d < hs; d++) qs[d] = dor[d] = 0.0f;
      continue;
    }
    const float *orow = a->out + ro, *dorow = a->dout + ro;
    float Di = 0.0f;
    for (long d = 0; d < hs; d++) {
      tmp[d] = a->q[ro + d];
      Di += dorow[d] * orow[d];
    }
    if (a->cs) sa_rotate(tmp, a->cs + i * hs, hs, a->interleaved, 0);
    for (long d = 0; d < hs; d++) {
      qs[d] = tmp[d] * a->scale;
      dor[d] = dorow[d];
      qb[d] = vset1(qs[d]);
      ob[d] = vset1(dorow[d]);
      dqacc[d] = vset1(0.0f);
    }
    vf vL = vset1(L), vD = vset1(Di);
    for (long jv = 0; jv < nv; jv++) {
      long j0 = jv * VL;
      vf pv = sa_exp(sa_scores(qb, kt, bias, Tp, hs, j0, n, iota) - vL); /* P, recomputed */
      vf dp = vset1(0.0f);
      for (long d = 0; d < hs; d++) dp += ob[d] * vload(vt + d * Tp + j0);
      vf dsv = pv * (dp - vD); /* d loss / d score */
      vstore(pr + j0, pv);
      vstore(dsr + j0, dsv);
      for (long d = 0; d < hs; d++) dqacc[d] += dsv * vload(kt + d * Tp + j0);
    }
    sa_row_sums(dqacc, hs, a->scale, tmp);
    if (a->cs) sa_rotate(tmp, a->cs + i * hs, hs, a->interleaved, 1);
    float *dqr = a->dq + ro;
    for (long d = 0; d < hs; d++) dqr[d] += tmp[d];
  }
  for (long jv = 0; jv < ldiv_up(T, VL); jv++) {
    long j0 = jv * VL;
    for (long d = 0; d < hs; d++) {
      dka[d] = vload(dkt + d * Tp + j0);
      dva[d] = vload(dvt + d * Tp + j0);
    }
    for (long i = a->causal ? j0 : 0; i < T; i++) { /* causal: rows before j0 see none of these keys */
      vf pv = vload(pm + i * Tp + j0), dsv = vload(dsm + i * Tp + j0);
      const float *qs = qsm + i * hs, *dor = dom + i * hs;
      for (long d = 0; d < hs; d++) {
        dka[d] += dsv * vset1(qs[d]);
        dva[d] += pv * vset1(dor[d]);
      }
    }
    for (long d = 0; d < hs; d++) {
      vstore(dkt + d * Tp + j0, dka[d]);
      vstore(dvt + d * Tp + j0, dva[d]);
    }
  }
}

static void task_self_attention_backward(void *ctx, long t, int tid) {
  const sa_args *a = (const sa_args *)ctx;
  long b = t / a->nkv, g = t % a->nkv, T = a->T, Tp = a->Tp, hs = a->hs, rs = a->nkv * hs;
  long group = a->nh / a->nkv;
  long head = ldiv_up(4 * hs * Tp + Tp + hs + 2 * T * Tp + 2 * T * hs, VL) * VL;
  float *kt = (float *)llmts_scratch(tid, 3, (size_t)(head + 5 * hs * VL) * sizeof(float));
  if (!kt) return;
  float *vt = kt + hs * Tp, *dkt = vt + hs * Tp, *dvt = dkt + hs * Tp, *bias = dvt + hs * Tp, *tmp = bias + Tp;
  float *pm = tmp + hs, *dsm = pm + T * Tp, *qsm = dsm + T * Tp, *dom = qsm + T * hs;
  vf *spill = (vf *)(kt + head); /* generic hs: qb, ob, dqacc, dka, dva in scratch */
  const float *mb = a->keyMask ? bias : NULL;
  sa_load_kv(a, b, g, kt, vt, bias, tmp);
  for (long e = 0; e < 2 * hs * Tp; e++) dkt[e] = 0.0f;
  for (long h = g * group; h < (g + 1) * group; h++) {
    if (hs == 8) {
      vf qb[8], ob[8], dqacc[8], dka[8], dva[8];
      sa_backward_head(a, b, h, 8, kt, vt, dkt, dvt, mb, tmp, pm, dsm, qsm, dom, qb, ob, dqacc, dka, dva);
    } else if (hs == 16) {
      vf qb[16], ob[16], dqacc[16], dka[16], dva[16];
      sa_backward_head(a, b, h, 16, kt, vt, dkt, dvt, mb, tmp, pm, dsm, qsm, dom, qb, ob, dqacc, dka, dva);
    } else {
      sa_backward_head(a, b, h, hs, kt, vt, dkt, dvt, mb, tmp, pm, dsm, qsm, dom, spill, spill + hs, spill + 2 * hs,
                       spill + 3 * hs, spill + 4 * hs);
    }
  }
  for (long t2 = 0; t2 < T; t2++) {
    for (long d = 0; d < hs; d++) tmp[d] = dkt[d * Tp + t2];
    if (a->cs) sa_rotate(tmp, a->cs + t2 * hs, hs, a->interleaved, 1);
    float *dkr = a->dk + (b * T + t2) * rs + g * hs, *dvr = a->dv + (b * T + t2) * rs + g * hs;
    for (long d = 0; d < hs; d++) {
      dkr[d] += tmp[d];
      dvr[d] += dvt[d * Tp + t2];
    }
  }
}

static void k_self_attention(long B, long T, long nh, long nkv, long hs, float scale, int causal,
                             const float *keyMask, const float *cs, int interleaved, const float *q, const float *k,
                             const float *v, float *out, float *lse) {
  if (B <= 0 || T <= 0 || nh <= 0 || nkv <= 0 || hs <= 0) return;
  sa_args a = {B, T, nh, nkv, hs, ldiv_up(T, VL) * VL, 0, scale, causal, interleaved, keyMask, cs, q, k, v, NULL, NULL, NULL,
               out, lse, NULL, NULL, NULL};
  a.groups = B * nkv >= 8 && nh > nkv; /* enough tasks for the threads either way */
  long tasks = a.groups ? B * nkv : B * nh;
  if (B * nh * T * T * hs < PAR_MIN || llmts_get_threads() == 1) for (long t = 0; t < tasks; t++) task_self_attention(&a, t, 0);
  else llmts_parallel_for(tasks, task_self_attention, &a);
}

static void k_self_attention_backward(long B, long T, long nh, long nkv, long hs, float scale, int causal,
                                      const float *keyMask, const float *cs, int interleaved, const float *q,
                                      const float *k, const float *v, const float *out, const float *lse,
                                      const float *dout, float *dq, float *dk, float *dv) {
  if (B <= 0 || T <= 0 || nh <= 0 || nkv <= 0 || hs <= 0) return;
  sa_args a = {B, T, nh, nkv, hs, ldiv_up(T, VL) * VL, 0, scale, causal, interleaved, keyMask, cs, q, k, v, out, lse, dout,
               NULL, NULL, dq, dk, dv};
  long tasks = B * nkv;
  if (B * nh * T * T * hs < PAR_MIN || llmts_get_threads() == 1)
    for (long t = 0; t < tasks; t++) task_self_attention_backward(&a, t, 0);
  else llmts_parallel_for(tasks, task_self_attention_backward, &a);
}
