/*
 * Every kernel compiled for AVX2 and FMA: built with -mavx2 -mfma.
 * binding.gyp builds this file as its own static library with those flags; addon.c only
 * calls into it after checking the CPU supports them. Everything here is static except
 * the table llmts_ops_avx2.
 */
#include "pool.h"
#include "ops.h"

#define LLMTS_ISA_NAME "avx2"
#define LLMTS_OPS_NAME llmts_ops_avx2

#include "kernels/gemm.c"
#include "kernels/elementwise.c"
#include "kernels/norm.c"
#include "kernels/attention.c"
#include "kernels/encoder.c"
#include "kernels/self_attention.c"
#include "kernels/table.c"
