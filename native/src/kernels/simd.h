/*
 * Portable SIMD for the kernels, with GCC/Clang vector extensions: `vf` is as wide as the
 * ISA this translation unit is compiled for (AVX-512: 16 floats, AVX2: 8, SSE2/NEON: 4).
 * Included (through isa_*.c) once per ISA; everything here is static.
 */
#ifndef LLMTS_SIMD_H
#define LLMTS_SIMD_H
#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(__AVX512F__)
#define VL 16
#elif defined(__AVX2__) || defined(__AVX__)
#define VL 8
#else
#define VL 4
#endif

typedef float vf __attribute__((vector_size(VL * 4)));
typedef int32_t vi __attribute__((vector_size(VL * 4)));
typedef float vfu __attribute__((vector_size(VL * 4), aligned(4), may_alias));

static inline vf vload(const float *p) { return *(const vfu *)p; }
static inline void vstore(float *p, vf v) { *(vfu *)p = v; }
#if VL == 16
#define LLMTS_SPLAT(x) {x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}
#elif VL == 8
#define LLMTS_SPLAT(x) {x, x, x, x, x, x, x, x}
#else
#define LLMTS_SPLAT(x) {x, x, x, x}
#endif
static inline vf vset1(float x) { return (vf)LLMTS_SPLAT(x); }
static inline vi vset1i(int32_t x) { return (vi)LLMTS_SPLAT(x); }
/* m ? a : b per lane, m a comparison result (all ones or zero). */
static inline vf vsel(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
static inline vf vmax(vf a, vf b) { return vsel(a > b, a, b); }
static inline vf vmin(vf a, vf b) { return vsel(a < b, a, b); }
static inline vf vabs(vf a) { return (vf)((vi)a & vset1i(0x7fffffff)); }
/* Horizontal sum in a fixed pairwise order (halves added, log2(VL) steps: lane i gets
 * lane i + w for w = VL/2, ..., 1). On x86 the same additions in registers (extract the
 * upper half, add), bit-identical to the portable loop; no round trip through memory. */
#if VL == 16 && defined(__AVX512DQ__)
#include <immintrin.h>
static inline float vhsum(vf v) {
  __m256 a = _mm256_add_ps(_mm512_castps512_ps256((__m512)v), _mm512_extractf32x8_ps((__m512)v, 1));
  __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  b = _mm_add_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_add_ss(b, _mm_shuffle_ps(b, b, 1)));
}
#elif VL == 8 && defined(__AVX__)
#include <immintrin.h>
static inline float vhsum(vf v) {
  __m128 b = _mm_add_ps(_mm256_castps256_ps128((__m256)v), _mm256_extractf128_ps((__m256)v, 1));
  b = _mm_add_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_add_ss(b, _mm_shuffle_ps(b, b, 1)));
}
#else
static inline float vhsum(vf v) {
  float t[VL];
  vstore(t, v);
  for (int w = VL / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; i++) t[i] += t[i + w];
  return t[0];
}
#endif
static inline float vhmax(vf v) {
  float m = v[0];
  for (int i = 1; i < VL; i++) m = v[i] > m ? v[i] : m;
  return m;
}

/* exp's core for a clamped x: n = round(x / ln2) (as floats, in *n) and p ~ exp(x - n ln2) by
 * Cody-Waite reduction and a degree-6 polynomial, so that exp(x) = p * 2^n. */
static inline vf vexp_core(vf xc, vf *n_out) {
  const vf magic = vset1(12582912.0f); /* 1.5 * 2^23: round to nearest */
  vf n = (xc * vset1(1.44269504088896341f) + magic) - magic;
  vf r = xc - n * vset1(0.693359375f);
  r = r - n * vset1(-2.12194440e-4f);
  vf p = vset1(1.9875691500e-4f);
  p = p * r + vset1(1.3981999507e-3f);
  p = p * r + vset1(8.3334519073e-3f);
  p = p * r + vset1(4.1665795894e-2f);
  p = p * r + vset1(1.6666665459e-1f);
  p = p * r + vset1(5.0000001201e-1f);
  *n_out = n;
  return p * (r * r) + r + vset1(1.0f);
}

/* exp(x) for float vectors: range reduction by ln2 (Cody-Waite) and a degree-6 polynomial;
 * relative error ~2 ulp; exp(-inf) = 0, large inputs saturate to +inf. */
static inline vf vexp(vf x) {
  const vf hi = vset1(88.3762626647949f), lo = vset1(-103.972084045410f);
  vf xc = vmin(vmax(x, lo), hi);
  vf n;
  vf p = vexp_core(xc, &n);
  /* 2^n in two halves so that n down to -150 (denormals/zero) and up to 128 work */
  vi ni = __builtin_convertvector(n, vi);
  vi n1 = ni >> 1;
  vi n2 = ni - n1;
  vf s1 = (vf)((n1 + 127) << 23);
  vf s2 = (vf)((n2 + 127) << 23);
  vf y = p * s1 * s2;
  y = vsel(x < lo, vset1(0.0f), y);
  return y;
}

/* 1 / d for finite d >= 1: the hardware reciprocal estimate and one Newton step (relative
 * error ~2^-27 with AVX-512's 14-bit estimate, ~2^-23 with AVX's 12-bit; results below
 * 2^-126 may come out as 0), cheaper than a vector division; a plain division elsewhere. */
#if VL == 16
#include <immintrin.h>
static inline vf vrecip_ge1(vf d) {
  vf r = (vf)_mm512_rcp14_ps((__m512)d);
  return r * (vset1(2.0f) - d * r);
}
#elif VL == 8
#include <immintrin.h>
static inline vf vrecip_ge1(vf d) {
  vf r = (vf)_mm256_rcp_ps((__m256)d);
  return r * (vset1(2.0f) - d * r);
}
#else
static inline vf vrecip_ge1(vf d) { return vset1(1.0f) / d; }
#endif

/* tanh via exp: tanh(u) = sign(u) (1 - 2 / (exp(2|u|) + 1)). */
static inline vf vtanh(vf u) {
  vf a = vmin(vabs(u), vset1(20.0f));
  vf e = vexp(a + a);
  vf t = vset1(1.0f) - vset1(2.0f) / (e + vset1(1.0f));
  return (vf)((vi)t | ((vi)u & vset1i((int32_t)0x80000000u)));
}

/* sigmoid(x) = 1 / (1 + exp(-x)). */
static inline vf vsigmoid(vf x) { return vset1(1.0f) / (vset1(1.0f) + vexp(-x)); }

/* Loads/stores the first len < VL elements (the rest of the vector is zero), so that tails
 * get exactly the arithmetic of full vectors. AVX-512 and AVX2 use masked loads/stores
 * (no stack round trip: decode attention with head size < VL runs every dot product
 * through here); other ISAs copy through a padded buffer. */
#if VL == 16
static inline vf vload_part(const float *p, long len) {
  return (vf)_mm512_maskz_loadu_ps((__mmask16)((1u << len) - 1u), p);
}
static inline void vstore_part(float *p, vf v, long len) {
  _mm512_mask_storeu_ps(p, (__mmask16)((1u << len) - 1u), (__m512)v);
}
#elif VL == 8 && defined(__AVX2__)
static inline __m256i vpart_mask(long len) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)len), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline vf vload_part(const float *p, long len) { return (vf)_mm256_maskload_ps(p, vpart_mask(len)); }
static inline void vstore_part(float *p, vf v, long len) { _mm256_maskstore_ps(p, vpart_mask(len), (__m256)v); }
#else
static inline vf vload_part(const float *p, long len) {
  float tmp[VL] = {0};
  memcpy(tmp, p, (size_t)len * sizeof(float));
  return vload(tmp);
}
static inline void vstore_part(float *p, vf v, long len) {
  float tmp[VL];
  vstore(tmp, v);
  memcpy(p, tmp, (size_t)len * sizeof(float));
}
#endif

#endif
