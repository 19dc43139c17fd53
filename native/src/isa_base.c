/*
 * Every kernel compiled for the baseline of the target (SSE2 on x86-64, NEON on arm64): no extra flags.
 * binding.gyp builds this file as its own static library with those flags; addon.c only
 * calls into it after checking the CPU supports them. Everything here is static except
 * the table llmts_ops_base.
 */
#include "pool.h"
#include "ops.h"

#if defined(__aarch64__) || defined(__ARM_NEON)
#define LLMTS_ISA_NAME "neon"
#elif defined(__x86_64__) || defined(_M_X64)
#define LLMTS_ISA_NAME "sse2"
#else
#define LLMTS_ISA_NAME "scalar"
#endif
#define LLMTS_OPS_NAME llmts_ops_base

#include "kernels/gemm.c"
#include "kernels/elementwise.c"
#include "kernels/norm.c"
#include "kernels/attention.c"
#include "kernels/encoder.c"
#include "kernels/self_attention.c"
#include "kernels/table.c"
