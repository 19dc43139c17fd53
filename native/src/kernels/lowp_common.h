/*
 * Scalar number formats of the low-precision kernels: bf16 and fp16 conversions (bit
 * exact, round to nearest even) and the Q8_0 block quantiser. Included by every lowp_*.c
 * (once per instruction set); everything here is static.
 */
#ifndef LLMTS_LOWP_COMMON_H
#define LLMTS_LOWP_COMMON_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../lowp.h"
#include "../pool.h"

static inline uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static inline float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* fp32 -> bf16, nearest even; every NaN -> 0x7FC0 (PyTorch's round_to_nearest_even).
 * Branch-free, so loops over it vectorise. */
static inline uint16_t bf16_round(float f) {
  uint32_t u = f32_bits(f);
  uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? 0x7fc0u : r);
}

static inline float bf16_float(uint16_t h) { return bits_f32((uint32_t)h << 16); }

/* fp32 -> fp16, nearest even, overflow to infinity, subnormals kept (numpy's astype). */
static inline uint16_t f16_round(float fv) {
  uint32_t u = f32_bits(fv);
  uint32_t sign = (u >> 16) & 0x8000u;
  u &= 0x7fffffffu;
  if (u >= 0x47800000u) return (uint16_t)(sign | (u > 0x7f800000u ? 0x7e00u : 0x7c00u)); /* >= 65536, inf, NaN */
  if (u < 0x38800000u) {
    /* below 2^-14: subnormal; adding 0.5 puts the half's ulp (2^-24) at the float's ulp,
     * so the float addition rounds to nearest even for us */
    float v = bits_f32(u) + 0.5f;
    return (uint16_t)(sign | (f32_bits(v) - 0x3f000000u));
  }
  uint32_t odd = (u >> 13) & 1u;
  u += 0xc8000fffu + odd; /* rebias the exponent (15 - 127) << 23, round half to even */
  return (uint16_t)(sign | (u >> 13));
}

static inline float f16_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0) return bits_f32(sign | f32_bits((float)mant * (1.0f / 16777216.0f)));
  if (exp == 31) return bits_f32(sign | 0x7f800000u | (mant << 13));
  return bits_f32(sign | ((exp + 112u) << 23) | (mant << 13));
}

/* One Q8_0 block from 32 floats, as llama.cpp's quantize_row_q8_0_ref and the gguf
 * package: d = amax / 127, q = roundf(x / d) (half away from zero), d stored as fp16. */
static inline void q8_quantize_block(const float *x, uint8_t *out) {
  float amax = 0.0f;
  for (int i = 0; i < Q8_BLOCK; i++) {
    float a = fabsf(x[i]);
    amax = a > amax ? a : amax;
  }
  float d = amax / 127.0f;
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  uint16_t dh = f16_round(d);
  memcpy(out, &dh, 2);
  int8_t *q = (int8_t *)(out + 2);
  for (int i = 0; i < Q8_BLOCK; i++) q[i] = (int8_t)roundf(x[i] * id);
}

static inline long lp_div_up(long a, long b) { return (a + b - 1) / b; }

#endif
