/*
 * The kernel table: one entry per Backend kernel (src/backend/backend.ts has the
 * semantics of each). isa_avx512.c, isa_avx2.c and isa_base.c each compile every kernel
 * for one instruction set and export one llmts_ops; addon.c picks one at load time.
 * Sizes are long; pointers are trusted (the TypeScript wrapper checks lengths).
 */
#ifndef LLMTS_OPS_H
#define LLMTS_OPS_H

typedef struct llmts_ops {
  const char *isa;
  int vector_width; /* floats per SIMD vector */
  int gemm_mr, gemm_nr;

  void (*gemm)(int transA, int transB, long M, long N, long K, float alpha, const float *a, long lda,
               long strideA, const float *b, long ldb, long strideB, float beta, float *c, long ldc,
               long strideC, long batch);

  /* Diagnostic: iters rounds of the micro-kernel's FMA pattern (MR x NV independent vector
   * FMAs, no memory) on every pool thread; returns the flops done. The addon times it. */
  double (*fma_peak)(long iters);

  void (*add)(long n, const float *a, const float *b, float *out);
  void (*mul)(long n, const float *a, const float *b, float *out);
  void (*mul_acc)(long n, const float *a, const float *b, float *out);
  void (*scale)(long n, float s, const float *x, float *out);
  void (*axpy)(long n, float alpha, const float *x, float *y);
  void (*add_bias)(long rows, long cols, const float *x, const float *bias, float *out);
  void (*add_bias_backward)(long rows, long cols, const float *dout, float *dbias);

  void (*sum_axis)(long outer, long axis, long inner, const float *x, float *out);
  void (*sum_axis_backward)(long outer, long axis, long inner, float s, const float *dout, float *dx);
  double (*sum_squares)(long n, const float *x);
  long (*argmax)(long n, const float *x);
  void (*transpose12)(long d0, long d1, long d2, long d3, const float *x, float *out);

  void (*softmax)(long rows, long cols, const float *x, float *out);
  void (*softmax_backward)(long rows, long cols, const float *y, const float *dy, float *dx);
  void (*layer_norm)(long rows, long C, float eps, const float *x, const float *w, const float *b, float *out,
                     float *mean, float *rstd);
  void (*layer_norm_backward)(long rows, long C, const float *dout, const float *x, const float *w,
                              const float *mean, const float *rstd, float *dx, float *dw, float *db);
  void (*rms_norm)(long rows, long C, float eps, const float *x, const float *w, float *out, float *rstd);
  void (*rms_norm_backward)(long rows, long C, const float *dout, const float *x, const float *w,
                            const float *rstd, float *dx, float *dw);

  void (*gelu)(long n, const float *x, float *out);
  void (*gelu_backward)(long n, const float *x, const float *dout, float *dx);
  void (*gelu_erf)(long n, const float *x, float *out);
  void (*gelu_erf_backward)(long n, const float *x, const float *dout, float *dx);
  void (*silu)(long n, const float *x, float *out);
  void (*silu_backward)(long n, const float *x, const float *dout, float *dx);
  void (*swiglu)(long n, const float *gate, const float *up, float *out);
  void (*swiglu_backward)(long n, const float *gate, const float *up, const float *dout, float *dgate, float *dup);

  void (*attention)(long B, long nh, long nkv, long Tq, long Tk, long kvCap, long hs, float scale, int causal,
                    long posOffset, const float *keyMask, const float *q, const float *k, const float *v,
                    float *out, float *att);
  void (*attention_backward)(long B, long nh, long nkv, long Tq, long Tk, long hs, float scale, const float *q,
                             const float *k, const float *v, const float *att, const float *dout, float *dq,
                             float *dk, float *dv);
  void (*attention_qkv)(long B, long T, long nh, long hs, float scale, int causal, const float *keyMask,
                        const float *qkv, float *out, float *att);
  void (*attention_qkv_backward)(long B, long T, long nh, long hs, float scale, const float *qkv, const float *att,
                                 const float *dout, float *dqkv);
  void (*self_attention)(long B, long T, long nh, long nkv, long hs, float scale, int causal, const float *keyMask,
                         const float *cs, int interleaved, const float *q, const float *k, const float *v, float *out,
                         float *lse);
  void (*self_attention_backward)(long B, long T, long nh, long nkv, long hs, float scale, int causal,
                                  const float *keyMask, const float *cs, int interleaved, const float *q,
                                  const float *k, const float *v, const float *out, const float *lse,
                                  const float *dout, float *dq, float *dk, float *dv);
  void (*rope)(long B, long H, long T, long hs, long posOffset, double theta, const float *invFreq, double attnFactor,
               int interleaved, int inverse, float *x);

  void (*embedding)(long n, long C, const int *ids, const float *table, float *out);
  void (*embedding_backward)(long n, long C, const int *ids, const float *dout, float *dtable);
  long (*cross_entropy)(long N, long V, const float *logits, const int *targets, int ignoreIndex, float *losses,
                        float *lse);
  void (*cross_entropy_backward)(long N, long V, const float *logits, const int *targets, int ignoreIndex,
                                 const float *lse, float dloss, float *dlogits);
  void (*dropout)(long n, double p, unsigned seed, const float *x, float *out, float *mask);

  void (*adamw)(long n, float *p, const float *g, float *m, float *v, float lr, float beta1, float beta2, float eps,
                float weightDecay, double t);
  void (*sgd)(long n, float *p, const float *g, float *buf, float lr, float momentum, float weightDecay,
              int nesterov);

  /* encoder inference, forward only (kernels/encoder.c) */
  void (*packed_attention)(long S, long nh, long hs, float scale, const int *rowStart, const int *nKeys,
                           const float *qkv, float *out);
  void (*bias_gelu_erf)(long rows, long cols, const float *x, const float *bias, float *out);
  void (*add_layer_norm)(long rows, long C, float eps, const float *x, const float *bias, const float *residual,
                         const float *w, const float *b, float *out);
} llmts_ops;

#if defined(__x86_64__) || defined(_M_X64)
extern const llmts_ops llmts_ops_avx512;
extern const llmts_ops llmts_ops_avx2;
#endif
extern const llmts_ops llmts_ops_base;

#endif
