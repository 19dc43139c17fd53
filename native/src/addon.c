/*
 * Node-API entry of the llm.ts kernels: argument unpacking, CPU dispatch and the thread
 * pool controls. Each exported function is one Backend kernel (same name and argument
 * order as src/backend/backend.ts). Types are checked here (a wrong type throws a
 * TypeError); buffer lengths are checked by the TypeScript wrapper (src/backend/native.ts).
 * The bf16 and int8 kernels have their own entries and dispatch in addon_lowp.c.
 */
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "lock.h"
#include "ops.h"
#include "pool.h"

napi_value llmts_lowp_exports(napi_env env, napi_value exports);

static const llmts_ops *ops = NULL;

pthread_mutex_t llmts_kernel_mu = PTHREAD_MUTEX_INITIALIZER; /* see lock.h */

/* ------------------------------------------------------------------ CPU dispatch */
static int isa_supported(const llmts_ops *o) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (o == &llmts_ops_avx512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (o == &llmts_ops_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return o == &llmts_ops_base;
}

static const llmts_ops *const all_ops[] = {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    &llmts_ops_avx512,
    &llmts_ops_avx2,
#endif
    &llmts_ops_base,
};
#define N_OPS (sizeof(all_ops) / sizeof(all_ops[0]))

/* The best supported ISA, or the one LLMTS_ISA names (if supported). */
static const llmts_ops *pick_ops(void) {
  const char *want = getenv("LLMTS_ISA");
  if (want && *want) {
    for (size_t i = 0; i < N_OPS; i++)
      if (strcmp(all_ops[i]->isa, want) == 0 && isa_supported(all_ops[i])) return all_ops[i];
  }
  for (size_t i = 0; i < N_OPS; i++)
    if (isa_supported(all_ops[i])) return all_ops[i];
  return &llmts_ops_base;
}

/* ------------------------------------------------------------------ kernels */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  BEGIN("gemm", 17)
  int ta = flag(&A, 0), tb = flag(&A, 1);
  long M = lng(&A, 2), N = lng(&A, 3), K = lng(&A, 4);
  float alpha = (float)num(&A, 5);
  const float *a = f32(&A, 6);
  long lda = lng(&A, 7), sA = lng(&A, 8);
  const float *b = f32(&A, 9);
  long ldb = lng(&A, 10), sB = lng(&A, 11);
  float beta = (float)num(&A, 12);
  float *c = f32(&A, 13);
  long ldc = lng(&A, 14), sC = lng(&A, 15), batch = lng(&A, 16);
  END()
  LOCKED(ops->gemm(ta, tb, M, N, K, alpha, a, lda, sA, b, ldb, sB, beta, c, ldc, sC, batch));
  return undef(env);
}

#define BINARY(jsname, cname, field)                                          \
  static napi_value cname(napi_env env, napi_callback_info info) {           \
    BEGIN(jsname, 4)                                                          \
    long n = lng(&A, 0);                                                      \
    const float *x = f32(&A, 1), *y = f32(&A, 2);                             \
    float *o = f32(&A, 3);                                                    \
    END()                                                                     \
    LOCKED(ops->field(n, x, y, o));                                           \
    return undef(env);                                                        \
  }
BINARY("add", js_add, add)
BINARY("mul", js_mul, mul)
BINARY("mulAcc", js_mul_acc, mul_acc)
BINARY("geluBackward", js_gelu_backward, gelu_backward)
BINARY("geluErfBackward", js_gelu_erf_backward, gelu_erf_backward)
BINARY("siluBackward", js_silu_backward, silu_backward)
BINARY("swiglu", js_swiglu, swiglu)

#define UNARY(jsname, cname, field)                                           \
  static napi_value cname(napi_env env, napi_callback_info info) {           \
    BEGIN(jsname, 3)                                                          \
    long n = lng(&A, 0);                                                      \
    const float *x = f32(&A, 1);                                              \
    float *o = f32(&A, 2);                                                    \
    END()                                                                     \
    LOCKED(ops->field(n, x, o));                                              \
    return undef(env);                                                        \
  }
UNARY("gelu", js_gelu, gelu)
UNARY("geluErf", js_gelu_erf, gelu_erf)
UNARY("silu", js_silu, silu)

static napi_value js_scale(napi_env env, napi_callback_info info) {
  BEGIN("scale", 4)
  long n = lng(&A, 0);
  float s = (float)num(&A, 1);
  const float *x = f32(&A, 2);
  float *o = f32(&A, 3);
  END()
  LOCKED(ops->scale(n, s, x, o));
  return undef(env);
}

static napi_value js_axpy(napi_env env, napi_callback_info info) {
  BEGIN("axpy", 4)
  long n = lng(&A, 0);
  float s = (float)num(&A, 1);
  const float *x = f32(&A, 2);
  float *y = f32(&A, 3);
  END()
  LOCKED(ops->axpy(n, s, x, y));
  return undef(env);
}

static napi_value js_add_bias(napi_env env, napi_callback_info info) {
  BEGIN("addBias", 5)
  long rows = lng(&A, 0), cols = lng(&A, 1);
  const float *x = f32(&A, 2), *bias = f32(&A, 3);
  float *o = f32(&A, 4);
  END()
  LOCKED(ops->add_bias(rows, cols, x, bias, o));
  return undef(env);
}

static napi_value js_add_bias_backward(napi_env env, napi_callback_info info) {
  BEGIN("addBiasBackward", 4)
  long rows = lng(&A, 0), cols = lng(&A, 1);
  const float *d = f32(&A, 2);
  float *db = f32(&A, 3);
  END()
  LOCKED(ops->add_bias_backward(rows, cols, d, db));
  return undef(env);
}

static napi_value js_sum_axis(napi_env env, napi_callback_info info) {
  BEGIN("sumAxis", 5)
  long outer = lng(&A, 0), axis = lng(&A, 1), inner = lng(&A, 2);
  const float *x = f32(&A, 3);
  float *o = f32(&A, 4);
  END()
  LOCKED(ops->sum_axis(outer, axis, inner, x, o));
  return undef(env);
}

static napi_value js_sum_axis_backward(napi_env env, napi_callback_info info) {
  BEGIN("sumAxisBackward", 6)
  long outer = lng(&A, 0), axis = lng(&A, 1), inner = lng(&A, 2);
  float s = (float)num(&A, 3);
  const float *d = f32(&A, 4);
  float *dx = f32(&A, 5);
  END()
  LOCKED(ops->sum_axis_backward(outer, axis, inner, s, d, dx));
  return undef(env);
}

/* The (n, x) -> number kernels: sumSquares and argmax. */
static napi_value reduce_n_x(napi_env env, napi_callback_info info, const char *name, int which) {
  BEGIN(name, 2)
  long n = lng(&A, 0);
  const float *x = f32(&A, 1);
  END()
  double v = 0;
  LOCKED(v = which ? (double)ops->argmax(n, x) : ops->sum_squares(n, x));
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  return reduce_n_x(env, info, "sumSquares", 0);
}

static napi_value js_argmax(napi_env env, napi_callback_info info) {
  return reduce_n_x(env, info, "argmax", 1);
}

static napi_value js_transpose12(napi_env env, napi_callback_info info) {
  BEGIN("transpose12", 6)
  long d0 = lng(&A, 0), d1 = lng(&A, 1), d2 = lng(&A, 2), d3 = lng(&A, 3);
  const float *x = f32(&A, 4);
  float *o = f32(&A, 5);
  END()
  LOCKED(ops->transpose12(d0, d1, d2, d3, x, o));
  return undef(env);
}

static napi_value js_softmax(napi_env env, napi_callback_info info) {
  BEGIN("softmax", 4)
  long rows = lng(&A, 0), cols = lng(&A, 1);
  const float *x = f32(&A, 2);
  float *o = f32(&A, 3);
  END()
  LOCKED(ops->softmax(rows, cols, x, o));
  return undef(env);
}

static napi_value js_softmax_backward(napi_env env, napi_callback_info info) {
  BEGIN("softmaxBackward", 5)
  long rows = lng(&A, 0), cols = lng(&A, 1);
  const float *y = f32(&A, 2), *dy = f32(&A, 3);
  float *dx = f32(&A, 4);
  END()
  LOCKED(ops->softmax_backward(rows, cols, y, dy, dx));
  return undef(env);
}

static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  BEGIN("layerNorm", 9)
  long rows = lng(&A, 0), C = lng(&A, 1);
  float eps = (float)num(&A, 2);
  const float *x = f32(&A, 3), *w = f32(&A, 4), *b = f32(&A, 5);
  float *o = f32(&A, 6), *mean = f32(&A, 7), *rstd = f32(&A, 8);
  END()
  LOCKED(ops->layer_norm(rows, C, eps, x, w, b, o, mean, rstd));
  return undef(env);
}

static napi_value js_layer_norm_backward(napi_env env, napi_callback_info info) {
  BEGIN("layerNormBackward", 10)
  long rows = lng(&A, 0), C = lng(&A, 1);
  const float *d = f32(&A, 2), *x = f32(&A, 3), *w = f32(&A, 4), *mean = f32(&A, 5), *rstd = f32(&A, 6);
  float *dx = f32(&A, 7), *dw = f32(&A, 8), *db = f32(&A, 9);
  END()
  LOCKED(ops->layer_norm_backward(rows, C, d, x, w, mean, rstd, dx, dw, db));
  return undef(env);
}

static napi_value js_rms_norm(napi_env env, napi_callback_info info) {
  BEGIN("rmsNorm", 7)
  long rows = lng(&A, 0), C = lng(&A, 1);
  float eps = (float)num(&A, 2);
  const float *x = f32(&A, 3), *w = f32(&A, 4);
  float *o = f32(&A, 5), *rstd = f32(&A, 6);
  END()
  LOCKED(ops->rms_norm(rows, C, eps, x, w, o, rstd));
  return undef(env);
}

static napi_value js_rms_norm_backward(napi_env env, napi_callback_info info) {
  BEGIN("rmsNormBackward", 8)
  long rows = lng(&A, 0), C = lng(&A, 1);
  const float *d = f32(&A, 2), *x = f32(&A, 3), *w = f32(&A, 4), *rstd = f32(&A, 5);
  float *dx = f32(&A, 6), *dw = f32(&A, 7);
  END()
  LOCKED(ops->rms_norm_backward(rows, C, d, x, w, rstd, dx, dw));
  return undef(env);
}

static napi_value js_swiglu_backward(napi_env env, napi_callback_info info) {
  BEGIN("swigluBackward", 6)
  long n = lng(&A, 0);
  const float *g = f32(&A, 1), *u = f32(&A, 2), *d = f32(&A, 3);
  float *dg = f32(&A, 4), *du = f32(&A, 5);
  END()
  LOCKED(ops->swiglu_backward(n, g, u, d, dg, du));
  return undef(env);
}

static napi_value js_attention(napi_env env, napi_callback_info info) {
  BEGIN("attention", 16)
  long B = lng(&A, 0), nh = lng(&A, 1), nkv = lng(&A, 2), Tq = lng(&A, 3), Tk = lng(&A, 4), cap = lng(&A, 5);
  long hs = lng(&A, 6);
  float scale = (float)num(&A, 7);
  int causal = flag(&A, 8);
  long pos = lng(&A, 9);
  const float *mask = f32_or_null(&A, 10);
  const float *q = f32(&A, 11), *k = f32(&A, 12), *v = f32(&A, 13);
  float *o = f32(&A, 14), *att = f32(&A, 15);
  END()
  LOCKED(ops->attention(B, nh, nkv, Tq, Tk, cap, hs, scale, causal, pos, mask, q, k, v, o, att));
  return undef(env);
}

static napi_value js_attention_backward(napi_env env, napi_callback_info info) {
  BEGIN("attentionBackward", 15)
  long B = lng(&A, 0), nh = lng(&A, 1), nkv = lng(&A, 2), Tq = lng(&A, 3), Tk = lng(&A, 4), hs = lng(&A, 5);
  float scale = (float)num(&A, 6);
  const float *q = f32(&A, 7), *k = f32(&A, 8), *v = f32(&A, 9), *att = f32(&A, 10), *d = f32(&A, 11);
  float *dq = f32(&A, 12), *dk = f32(&A, 13), *dv = f32(&A, 14);
  END()
  LOCKED(ops->attention_backward(B, nh, nkv, Tq, Tk, hs, scale, q, k, v, att, d, dq, dk, dv));
  return undef(env);
}

static napi_value js_attention_qkv(napi_env env, napi_callback_info info) {
  BEGIN("attentionQkv", 10)
  long B = lng(&A, 0), T = lng(&A, 1), nh = lng(&A, 2), hs = lng(&A, 3);
  float scale = (float)num(&A, 4);
  int causal = flag(&A, 5);
  const float *mask = f32_or_null(&A, 6), *qkv = f32(&A, 7);
  float *o = f32(&A, 8), *att = f32(&A, 9);
  END()
  LOCKED(ops->attention_qkv(B, T, nh, hs, scale, causal, mask, qkv, o, att));
  return undef(env);
}

static napi_value js_attention_qkv_backward(napi_env env, napi_callback_info info) {
  BEGIN("attentionQkvBackward", 9)
  long B = lng(&A, 0), T = lng(&A, 1), nh = lng(&A, 2), hs = lng(&A, 3);
  float scale = (float)num(&A, 4);
  const float *qkv = f32(&A, 5), *att = f32(&A, 6), *d = f32(&A, 7);
  float *dqkv = f32(&A, 8);
  END()
  LOCKED(ops->attention_qkv_backward(B, T, nh, hs, scale, qkv, att, d, dqkv));
  return undef(env);
}

static napi_value js_packed_attention(napi_env env, napi_callback_info info) {
  BEGIN("packedAttention", 8)
  long S = lng(&A, 0), nh = lng(&A, 1), hs = lng(&A, 2);
  float scale = (float)num(&A, 3);
  const int *rowStart = i32(&A, 4), *nKeys = i32(&A, 5);
  const float *qkv = f32(&A, 6);
  float *o = f32(&A, 7);
  END()
  LOCKED(ops->packed_attention(S, nh, hs, scale, rowStart, nKeys, qkv, o));
  return undef(env);
}

static napi_value js_bias_gelu_erf(napi_env env, napi_callback_info info) {
  BEGIN("biasGeluErf", 5)
  long rows = lng(&A, 0), cols = lng(&A, 1);
  const float *x = f32(&A, 2), *bias = f32(&A, 3);
  float *o = f32(&A, 4);
  END()
  LOCKED(ops->bias_gelu_erf(rows, cols, x, bias, o));
  return undef(env);
}

static napi_value js_add_layer_norm(napi_env env, napi_callback_info info) {
  BEGIN("addLayerNorm", 9)
  long rows = lng(&A, 0), C = lng(&A, 1);
  float eps = (float)num(&A, 2);
  const float *x = f32(&A, 3), *bias = f32_or_null(&A, 4), *res = f32(&A, 5), *w = f32(&A, 6), *b = f32(&A, 7);
  float *o = f32(&A, 8);
  END()
  LOCKED(ops->add_layer_norm(rows, C, eps, x, bias, res, w, b, o));
  return undef(env);
}

static napi_value js_self_attention(napi_env env, napi_callback_info info) {
  BEGIN("selfAttention", 15)
  long B = lng(&A, 0), T = lng(&A, 1), nh = lng(&A, 2), nkv = lng(&A, 3), hs = lng(&A, 4);
  float scale = (float)num(&A, 5);
  int causal = flag(&A, 6);
  const float *mask = f32_or_null(&A, 7), *cs = f32_or_null(&A, 8);
  int inter = flag(&A, 9);
  const float *q = f32(&A, 10), *k = f32(&A, 11), *v = f32(&A, 12);
  float *o = f32(&A, 13), *lse = f32(&A, 14);
  END()
  LOCKED(ops->self_attention(B, T, nh, nkv, hs, scale, causal, mask, cs, inter, q, k, v, o, lse));
  return undef(env);
}

static napi_value js_self_attention_backward(napi_env env, napi_callback_info info) {
  BEGIN("selfAttentionBackward", 19)
  long B = lng(&A, 0), T = lng(&A, 1), nh = lng(&A, 2), nkv = lng(&A, 3), hs = lng(&A, 4);
  float scale = (float)num(&A, 5);
  int causal = flag(&A, 6);
  const float *mask = f32_or_null(&A, 7), *cs = f32_or_null(&A, 8);
  int inter = flag(&A, 9);
  const float *q = f32(&A, 10), *k = f32(&A, 11), *v = f32(&A, 12), *o = f32(&A, 13), *lse = f32(&A, 14);
  const float *d = f32(&A, 15);
  float *dq = f32(&A, 16), *dk = f32(&A, 17), *dv = f32(&A, 18);
  END()
  LOCKED(ops->self_attention_backward(B, T, nh, nkv, hs, scale, causal, mask, cs, inter, q, k, v, o, lse, d, dq, dk, dv));
  return undef(env);
}

static napi_value js_rope(napi_env env, napi_callback_info info) {
  BEGIN("rope", 9)
  long B = lng(&A, 0), H = lng(&A, 1), T = lng(&A, 2), hs = lng(&A, 3), pos = lng(&A, 4);
  double theta = num(&A, 5);
  int inter = flag(&A, 6), inv = flag(&A, 7);
  float *x = f32(&A, 8);
  /* optional: invFreq (hs/2, or null for theta^(-2i/hs)) and attnFactor (default 1) */
  const float *invFreq = A.argc > 9 ? f32_or_null(&A, 9) : NULL;
  double attnFactor = A.argc > 10 ? num(&A, 10) : 1.0;
  END()
  LOCKED(ops->rope(B, H, T, hs, pos, theta, invFreq, attnFactor, inter, inv, x));
  return undef(env);
}

static napi_value js_embedding(napi_env env, napi_callback_info info) {
  BEGIN("embedding", 5)
  long n = lng(&A, 0), C = lng(&A, 1);
  const int *ids = i32(&A, 2);
  const float *table = f32(&A, 3);
  float *o = f32(&A, 4);
  END()
  LOCKED(ops->embedding(n, C, ids, table, o));
  return undef(env);
}

static napi_value js_embedding_backward(napi_env env, napi_callback_info info) {
  BEGIN("embeddingBackward", 5)
  long n = lng(&A, 0), C = lng(&A, 1);
  const int *ids = i32(&A, 2);
  const float *d = f32(&A, 3);
  float *dt = f32(&A, 4);
  END()
  LOCKED(ops->embedding_backward(n, C, ids, d, dt));
  return undef(env);
}

static napi_value js_cross_entropy(napi_env env, napi_callback_info info) {
  BEGIN("crossEntropy", 7)
  long N = lng(&A, 0), V = lng(&A, 1);
  const float *logits = f32(&A, 2);
  const int *targets = i32(&A, 3);
  int ignore = (int)lng(&A, 4);
  float *losses = f32(&A, 5), *lse = f32(&A, 6);
  END()
  long counted = 0;
  LOCKED(counted = ops->cross_entropy(N, V, logits, targets, ignore, losses, lse));
  napi_value r;
  napi_create_int64(env, counted, &r);
  return r;
}

static napi_value js_cross_entropy_backward(napi_env env, napi_callback_info info) {
  BEGIN("crossEntropyBackward", 8)
  long N = lng(&A, 0), V = lng(&A, 1);
  const float *logits = f32(&A, 2);
  const int *targets = i32(&A, 3);
  int ignore = (int)lng(&A, 4);
  const float *lse = f32(&A, 5);
  float dloss = (float)num(&A, 6);
  float *dl = f32(&A, 7);
  END()
  LOCKED(ops->cross_entropy_backward(N, V, logits, targets, ignore, lse, dloss, dl));
  return undef(env);
}

static napi_value js_dropout(napi_env env, napi_callback_info info) {
  BEGIN("dropout", 6)
  long n = lng(&A, 0);
  double p = num(&A, 1);
  double seed = num(&A, 2);
  const float *x = f32(&A, 3);
  float *o = f32(&A, 4), *mask = f32(&A, 5);
  END()
  /* seed as a uint32, like `seed >>> 0` in TypeScript */
  unsigned s = (unsigned)(uint32_t)(int64_t)seed;
  LOCKED(ops->dropout(n, p, s, x, o, mask));
  return undef(env);
}

static napi_value js_adamw(napi_env env, napi_callback_info info) {
  BEGIN("adamw", 11)
  long n = lng(&A, 0);
  float *p = f32(&A, 1);
  const float *g = f32(&A, 2);
  float *m = f32(&A, 3), *v = f32(&A, 4);
  float lr = (float)num(&A, 5), b1 = (float)num(&A, 6), b2 = (float)num(&A, 7), eps = (float)num(&A, 8);
  float wd = (float)num(&A, 9);
  double t = num(&A, 10);
  END()
  LOCKED(ops->adamw(n, p, g, m, v, lr, b1, b2, eps, wd, t));
  return undef(env);
}

static napi_value js_sgd(napi_env env, napi_callback_info info) {
  BEGIN("sgd", 8)
  long n = lng(&A, 0);
  float *p = f32(&A, 1);
  const float *g = f32(&A, 2);
  float *buf = f32(&A, 3);
  float lr = (float)num(&A, 4), mom = (float)num(&A, 5), wd = (float)num(&A, 6);
  int nest = flag(&A, 7);
  END()
  LOCKED(ops->sgd(n, p, g, buf, lr, mom, wd, nest));
  return undef(env);
}

/* ------------------------------------------------------------------ controls */
static napi_value js_get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_int32(env, llmts_get_threads(), &r);
  return r;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  BEGIN("setThreads", 1)
  long n = lng(&A, 0);
  END()
  LOCKED(llmts_set_threads((int)(n < 1 ? 1 : n > LLMTS_MAX_THREADS ? LLMTS_MAX_THREADS : n)));
  return undef(env);
}

static void set_str(napi_env env, napi_value obj, const char *key, const char *val) {
  napi_value v;
  napi_create_string_utf8(env, val, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_int(napi_env env, napi_value obj, const char *key, int val) {
  napi_value v;
  napi_create_int32(env, val, &v);
  napi_set_named_property(env, obj, key, v);
}

/* info() -> { isa, threads, vectorWidth, gemmTile: [MR, NR], isas: [...supported] } */
/* fmaPeak(seconds): GFLOP/s of register-only FMAs on every pool thread, the best of
 * several ~10 ms rounds over about `seconds` (the ceiling a GEMM can reach right now). */
static napi_value js_fma_peak(napi_env env, napi_callback_info info) {
  BEGIN("fmaPeak", 1)
  double seconds = num(&A, 0);
  END()
  double best = 0.0, spent = 0.0;
  long iters = 1000000;
  while (spent < seconds || best == 0.0) {
    struct timespec t0, t1;
    double flops;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    LOCKED(flops = ops->fma_peak(iters));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    spent += dt;
    if (dt > 0 && flops / dt > best) best = flops / dt;
  }
  napi_value r;
  napi_create_double(env, best / 1e9, &r);
  return r;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, tile, list;
  napi_create_object(env, &obj);
  set_str(env, obj, "isa", ops->isa);
  set_int(env, obj, "threads", llmts_get_threads());
  set_int(env, obj, "vectorWidth", ops->vector_width);
  napi_create_array_with_length(env, 2, &tile);
  napi_value mr, nr;
  napi_create_int32(env, ops->gemm_mr, &mr);
  napi_create_int32(env, ops->gemm_nr, &nr);
  napi_set_element(env, tile, 0, mr);
  napi_set_element(env, tile, 1, nr);
  napi_set_named_property(env, obj, "gemmTile", tile);
  napi_create_array(env, &list);
  uint32_t k = 0;
  for (size_t i = 0; i < N_OPS; i++) {
    if (!isa_supported(all_ops[i])) continue;
    napi_value s;
    napi_create_string_utf8(env, all_ops[i]->isa, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, list, k++, s);
  }
  napi_set_named_property(env, obj, "isas", list);
  return obj;
}

/* setIsa(name) -> boolean: switches kernels to a supported ISA (tests run every path). */
static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  BEGIN("setIsa", 1)
  END()
  char name[32] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, A.argv[0], name, sizeof(name), &len) != napi_ok) {
    napi_throw_type_error(env, "E_NATIVE_ARG", "llmts native setIsa: argument 0 must be a string");
    return NULL;
  }
  int ok = 0;
  for (size_t i = 0; i < N_OPS; i++) {
    if (strcmp(all_ops[i]->isa, name) == 0 && isa_supported(all_ops[i])) {
      LOCKED(ops = all_ops[i]);
      ok = 1;
    }
  }
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

#define EXPORT(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

NAPI_MODULE_INIT() {
  if (!ops) ops = pick_ops();
  napi_property_descriptor props[] = {
      EXPORT("info", js_info),
      EXPORT("fmaPeak", js_fma_peak),
      EXPORT("setIsa", js_set_isa),
      EXPORT("getThreads", js_get_threads),
      EXPORT("setThreads", js_set_threads),
      EXPORT("gemm", js_gemm),
      EXPORT("add", js_add),
      EXPORT("mul", js_mul),
      EXPORT("mulAcc", js_mul_acc),
      EXPORT("scale", js_scale),
      EXPORT("axpy", js_axpy),
      EXPORT("addBias", js_add_bias),
      EXPORT("addBiasBackward", js_add_bias_backward),
      EXPORT("sumAxis", js_sum_axis),
      EXPORT("sumAxisBackward", js_sum_axis_backward),
      EXPORT("sumSquares", js_sum_squares),
      EXPORT("argmax", js_argmax),
      EXPORT("transpose12", js_transpose12),
      EXPORT("softmax", js_softmax),
      EXPORT("softmaxBackward", js_softmax_backward),
      EXPORT("layerNorm", js_layer_norm),
      EXPORT("layerNormBackward", js_layer_norm_backward),
      EXPORT("rmsNorm", js_rms_norm),
      EXPORT("rmsNormBackward", js_rms_norm_backward),
      EXPORT("gelu", js_gelu),
      EXPORT("geluBackward", js_gelu_backward),
      EXPORT("geluErf", js_gelu_erf),
      EXPORT("geluErfBackward", js_gelu_erf_backward),
      EXPORT("silu", js_silu),
      EXPORT("siluBackward", js_silu_backward),
      EXPORT("swiglu", js_swiglu),
      EXPORT("swigluBackward", js_swiglu_backward),
      EXPORT("attention", js_attention),
      EXPORT("attentionBackward", js_attention_backward),
      EXPORT("attentionQkv", js_attention_qkv),
      EXPORT("attentionQkvBackward", js_attention_qkv_backward),
      EXPORT("packedAttention", js_packed_attention),
      EXPORT("biasGeluErf", js_bias_gelu_erf),
      EXPORT("addLayerNorm", js_add_layer_norm),
      EXPORT("selfAttention", js_self_attention),
      EXPORT("selfAttentionBackward", js_self_attention_backward),
      EXPORT("rope", js_rope),
      EXPORT("embedding", js_embedding),
      EXPORT("embeddingBackward", js_embedding_backward),
      EXPORT("crossEntropy", js_cross_entropy),
      EXPORT("crossEntropyBackward", js_cross_entropy_backward),
      EXPORT("dropout", js_dropout),
      EXPORT("adamw", js_adamw),
      EXPORT("sgd", js_sgd),
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  llmts_lowp_exports(env, exports); /* bf16 and int8 kernels: addon_lowp.c */
  return exports;
}
