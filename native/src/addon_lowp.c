/*
 * Node-API entries of the bf16 and int8 kernels (lowp.h) and their CPU dispatch, chosen
 * apart from the fp32 kernels' ISA: 'amx' (AMX-BF16/INT8 tiles, once the Linux kernel has
 * granted this process the tile data state), 'avx512bf16' (AVX512-BF16 + VNNI: also
 * AMD Zen 4/5) or 'scalar'. LLMTS_LOWP_ISA=avx512bf16|scalar forces a lower one at load;
 * setLowpIsa(name) switches at run time (tests run every variant). Buffer lengths are
 * checked by src/backend/native.ts.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define LOWP_X86 1
#else
#define LOWP_X86 0
#endif
/* LLMTS_NO_AMX: built without lowp_amx.c (a compiler without -mamx-*, see binding.gyp) */
#if LOWP_X86 && !defined(LLMTS_NO_AMX)
#define LOWP_AMX_BUILT 1
#else
#define LOWP_AMX_BUILT 0
#endif

#include "args.h"
#include "lock.h"
#include "lowp.h"

static const llmts_lowp_ops *lowp = NULL;

#if LOWP_X86
static unsigned xcr0(void) {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return lo;
}

/* AVX512-BF16, AVX512-VNNI and F16C on top of the AVX-512 the fp32 kernels use. */
static int has_avx512bf16(void) {
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
    return 0;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 29) & 1)) return 0; /* F16C */
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !((c >> 11) & 1)) return 0; /* AVX512_VNNI */
  if (!__get_cpuid_count(7, 1, &a, &b, &c, &d) || !((a >> 5) & 1)) return 0; /* AVX512_BF16 */
  return 1;
}

/* AMX-TILE/BF16/INT8 in the CPU and the OS, and Linux's permission for this process to
 * use the tile data (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)); asked once. */
static int has_amx(void) {
  static int state = -1;
  if (state >= 0) return state;
  state = 0;
  unsigned a, b, c, d;
  if (!has_avx512bf16() || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  if (!((d >> 22) & 1) || !((d >> 24) & 1) || !((d >> 25) & 1)) return 0;
#if defined(__linux__)
  if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) != 0) return 0;
#endif
  if ((xcr0() & (3u << 17)) != (3u << 17)) return 0; /* XTILECFG and XTILEDATA enabled */
  state = 1;
  return 1;
}
#endif

static int lowp_supported(const llmts_lowp_ops *o) {
#if LOWP_AMX_BUILT
  if (o == &llmts_lowp_amx) return has_amx();
#endif
#if LOWP_X86
  if (o == &llmts_lowp_avx512) return has_avx512bf16();
#endif
  return o == &llmts_lowp_base;
}

static const llmts_lowp_ops *const all_lowp[] = {
#if LOWP_AMX_BUILT
    &llmts_lowp_amx,
#endif
#if LOWP_X86
    &llmts_lowp_avx512,
#endif
    &llmts_lowp_base,
};
#define N_LOWP (sizeof(all_lowp) / sizeof(all_lowp[0]))

static const llmts_lowp_ops *pick_lowp(void) {
  const char *want = getenv("LLMTS_LOWP_ISA");
  if (want && *want)
    for (size_t i = 0; i < N_LOWP; i++)
      if (strcmp(all_lowp[i]->isa, want) == 0 && lowp_supported(all_lowp[i])) return all_lowp[i];
  for (size_t i = 0; i < N_LOWP; i++)
    if (lowp_supported(all_lowp[i])) return all_lowp[i];
  return &llmts_lowp_base;
}

/* An operand that is a Float32Array (*isbf = 0) or a Uint16Array of bf16 (*isbf = 1). */
static const void *f32_or_bf16(args_t *a, size_t i, int *isbf) {
  if (a->err) return NULL;
  napi_typedarray_type type;
  size_t len;
  void *data = NULL;
  napi_value ab;
  size_t off;
  bool is = false;
  napi_is_typedarray(a->env, a->argv[i], &is);
  if (is && napi_get_typedarray_info(a->env, a->argv[i], &type, &len, &data, &ab, &off) == napi_ok &&
      (type == napi_float32_array || type == napi_uint16_array)) {
    static float empty[1];
    *isbf = type == napi_uint16_array;
    return data ? data : (void *)empty;
  }
  fail(a, "a Float32Array or a Uint16Array (bf16)", i);
  return NULL;
}

/* gemmBf16(transA, transB, M, N, K, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc,
 * strideC, batch): a and b each a Uint16Array (bf16) or a Float32Array (rounded to bf16). */
static napi_value js_gemm_bf16(napi_env env, napi_callback_info info) {
  BEGIN("gemmBf16", 17)
  int ta = flag(&A, 0), tb = flag(&A, 1), abf = 0, bbf = 0;
  long M = lng(&A, 2), N = lng(&A, 3), K = lng(&A, 4);
  float alpha = (float)num(&A, 5);
  const void *a = f32_or_bf16(&A, 6, &abf);
  long lda = lng(&A, 7), sA = lng(&A, 8);
  const void *b = f32_or_bf16(&A, 9, &bbf);
  long ldb = lng(&A, 10), sB = lng(&A, 11);
  float beta = (float)num(&A, 12);
  float *c = f32(&A, 13);
  long ldc = lng(&A, 14), sC = lng(&A, 15), batch = lng(&A, 16);
  END()
  LOCKED(lowp->gemm_bf16(ta, tb, M, N, K, alpha, a, abf, lda, sA, b, bbf, ldb, sB, beta, c, ldc, sC, batch));
  return undef(env);
}

static napi_value js_to_bf16(napi_env env, napi_callback_info info) {
  BEGIN("toBf16", 3)
  long n = lng(&A, 0);
  const float *x = f32(&A, 1);
  uint16_t *o = u16(&A, 2);
  END()
  LOCKED(lowp->to_bf16(n, x, o));
  return undef(env);
}

static napi_value js_from_bf16(napi_env env, napi_callback_info info) {
  BEGIN("fromBf16", 3)
  long n = lng(&A, 0);
  const uint16_t *x = u16(&A, 1);
  float *o = f32(&A, 2);
  END()
  LOCKED(lowp->from_bf16(n, x, o));
  return undef(env);
}

static napi_value js_quantize_q8_0(napi_env env, napi_callback_info info) {
  BEGIN("quantizeQ8_0", 3)
  long n = lng(&A, 0);
  const float *x = f32(&A, 1);
  uint8_t *o = u8(&A, 2);
  END()
  LOCKED(lowp->quantize_q8_0(n, x, o));
  return undef(env);
}

static napi_value js_dequantize_q8_0(napi_env env, napi_callback_info info) {
  BEGIN("dequantizeQ8_0", 3)
  long n = lng(&A, 0);
  const uint8_t *q = u8(&A, 1);
  float *o = f32(&A, 2);
  END()
  LOCKED(lowp->dequantize_q8_0(n, q, o));
  return undef(env);
}

/* gemvBf16(M, N, K, x, w, y) and gemvQ8_0(M, N, K, x, w, y): y (M, N) = x (M, K) W^T. */
static napi_value gemv_entry(napi_env env, napi_callback_info info, const char *name, int q8) {
  BEGIN(name, 6)
  long M = lng(&A, 0), N = lng(&A, 1), K = lng(&A, 2);
  const float *x = f32(&A, 3);
  const void *w = q8 ? (const void *)u8(&A, 4) : (const void *)u16(&A, 4);
  float *y = f32(&A, 5);
  END()
  if (q8) LOCKED(lowp->gemv_q8_0(M, N, K, x, (const uint8_t *)w, y));
  else LOCKED(lowp->gemv_bf16(M, N, K, x, (const uint16_t *)w, y));
  return undef(env);
}

static napi_value js_gemv_bf16(napi_env env, napi_callback_info info) { return gemv_entry(env, info, "gemvBf16", 0); }

static napi_value js_gemv_q8_0(napi_env env, napi_callback_info info) { return gemv_entry(env, info, "gemvQ8_0", 1); }

/* lowpInfo() -> { isa, isas: [...supported, best first] } */
static napi_value js_lowp_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, list, s;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, lowp->isa, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, obj, "isa", s);
  napi_create_array(env, &list);
  uint32_t k = 0;
  for (size_t i = 0; i < N_LOWP; i++) {
    if (!lowp_supported(all_lowp[i])) continue;
    napi_create_string_utf8(env, all_lowp[i]->isa, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, list, k++, s);
  }
  napi_set_named_property(env, obj, "isas", list);
  return obj;
}

/* setLowpIsa(name) -> boolean: switches the bf16/int8 kernels to a supported variant. */
static napi_value js_set_lowp_isa(napi_env env, napi_callback_info info) {
  BEGIN("setLowpIsa", 1)
  END()
  char name[32] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, A.argv[0], name, sizeof(name), &len) != napi_ok) {
    napi_throw_type_error(env, "E_NATIVE_ARG", "llmts native setLowpIsa: argument 0 must be a string");
    return NULL;
  }
  int ok = 0;
  for (size_t i = 0; i < N_LOWP; i++) {
    if (strcmp(all_lowp[i]->isa, name) == 0 && lowp_supported(all_lowp[i])) {
      LOCKED(lowp = all_lowp[i]);
      ok = 1;
    }
  }
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

#define EXPORT(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

/* Adds the bf16 and int8 entries to the addon's exports (called from addon.c's init). */
napi_value llmts_lowp_exports(napi_env env, napi_value exports) {
  if (!lowp) lowp = pick_lowp();
  napi_property_descriptor props[] = {
      EXPORT("lowpInfo", js_lowp_info),
      EXPORT("setLowpIsa", js_set_lowp_isa),
      EXPORT("toBf16", js_to_bf16),
      EXPORT("fromBf16", js_from_bf16),
      EXPORT("gemmBf16", js_gemm_bf16),
      EXPORT("gemvBf16", js_gemv_bf16),
      EXPORT("quantizeQ8_0", js_quantize_q8_0),
      EXPORT("dequantizeQ8_0", js_dequantize_q8_0),
      EXPORT("gemvQ8_0", js_gemv_q8_0),
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
