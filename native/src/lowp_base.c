/*
 * The bf16 and int8 kernels compiled for: plain C (the target's baseline).
 * binding.gyp builds this file as its own static library with its flags (no extra flags);
 * addon_lowp.c only calls into it after checking the CPU (and, for AMX, the kernel's
 * permission) allows them. Everything here is static except the table llmts_lowp_base.
 */
#define LOWP_AMX 0
#define LOWP_AVX512 0
#define LOWP_ISA_NAME "scalar"
#define LOWP_OPS_NAME llmts_lowp_base

#include "kernels/lowp_gemm.c"
#include "kernels/lowp_gemv.c"
#include "kernels/lowp_table.c"
