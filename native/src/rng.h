/*
 * Counter-based hash used for dropout masks; bit-identical to hash32 / hashUniform in
 * src/util/rng.ts, so native and reference dropout keep the very same elements.
 */
#ifndef LLMTS_RNG_H
#define LLMTS_RNG_H
#include <stdint.h>

/* lowbias32 on (index * golden ratio) ^ seed. */
static inline uint32_t llmts_hash32(uint32_t seed, uint32_t index) {
  uint32_t x = (index * 0x9e3779b9u) ^ seed;
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/* Uniform in [0, 1) with 24 bits: (hash32 >> 8) / 2^24 (exact in float and double). */
static inline double llmts_hash_uniform(uint32_t seed, uint32_t index) {
  return (double)(llmts_hash32(seed, index) >> 8) * (1.0 / 16777216.0);
}

#endif
