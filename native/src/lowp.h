/*
 * The low-precision kernel table (bf16 and int8): one per instruction set, like ops.h for
 * the fp32 kernels, chosen separately at load time (addon_lowp.c). lowp_amx.c (AMX tiles +
 * AVX512-BF16/VNNI: Intel Sapphire Rapids and later), lowp_avx512.c (AVX512-BF16/VNNI: AMD
 * Zen 4/5, Intel Cooper Lake/Ice Lake servers without AMX) and lowp_base.c (plain C) each
 * compile native/src/kernels/lowp_*.c with their own flags. Semantics: src/backend/backend.ts.
 *
 * Formats: bf16 = the top 16 bits of an fp32 (uint16 storage); Q8_0 = llama.cpp's
 * block_q8_0: 34 bytes per 32 weights, an fp16 scale d then 32 int8 quants, x = d * q.
 */
#ifndef LLMTS_LOWP_H
#define LLMTS_LOWP_H
#include <stdint.h>

#define Q8_BLOCK 32  /* weights per Q8_0 block */
#define Q8_BYTES 34  /* bytes per Q8_0 block: fp16 scale + 32 int8 */

typedef struct llmts_lowp_ops {
  const char *isa;
  /* out[i] = bf16(x[i]), rounded to nearest even (NaN -> 0x7FC0), as PyTorch's .to(bfloat16) */
  void (*to_bf16)(long n, const float *x, uint16_t *out);
  void (*from_bf16)(long n, const uint16_t *x, float *out);
  /* C = alpha op(A) op(B) + beta C with bf16 products and fp32 sums. Each operand is bf16
   * (xbf16 = 1: uint16 storage) or fp32 (xbf16 = 0: rounded to bf16 while packed). */
  void (*gemm_bf16)(int transA, int transB, long M, long N, long K, float alpha, const void *a, int abf16, long lda,
                    long strideA, const void *b, int bbf16, long ldb, long strideB, float beta, float *c, long ldc,
                    long strideC, long batch);
  /* y (M, N) = x (M, K) W^T for bf16 weights W (N, K), fp32 x and sums */
  void (*gemv_bf16)(long M, long N, long K, const float *x, const uint16_t *w, float *y);
  /* rows x K floats (K % 32 == 0) -> rows * K/32 Q8_0 blocks */
  void (*quantize_q8_0)(long n, const float *x, uint8_t *out);
  void (*dequantize_q8_0)(long n, const uint8_t *q, float *out);
  /* y (M, N) = x (M, K) W^T for Q8_0 weights W (N, K): x quantised to Q8_0 per block of
   * 32, integer dot products per block, scaled and summed in fp32 (llama.cpp's q8_0 x q8_0) */
  void (*gemv_q8_0)(long M, long N, long K, const float *x, const uint8_t *w, float *y);
} llmts_lowp_ops;

#if defined(__x86_64__) || defined(_M_X64)
extern const llmts_lowp_ops llmts_lowp_amx;
extern const llmts_lowp_ops llmts_lowp_avx512;
#endif
extern const llmts_lowp_ops llmts_lowp_base;

#endif
