/*
 * The bf16 and int8 kernels compiled for: AMX tiles (bf16 GEMM) with AVX512-BF16/VNNI/F16C for the rest.
 * binding.gyp builds this file as its own static library with its flags (-mamx-tile -mamx-bf16 -mamx-int8 -mavx512bf16 -mavx512vnni -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma -mf16c);
 * addon_lowp.c only calls into it after checking the CPU (and, for AMX, the kernel's
 * permission) allows them. Everything here is static except the table llmts_lowp_amx.
 */
#define LOWP_AMX 1
#define LOWP_AVX512 1
#define LOWP_ISA_NAME "amx"
#define LOWP_OPS_NAME llmts_lowp_amx

#include "kernels/lowp_gemm.c"
#include "kernels/lowp_gemv.c"
#include "kernels/lowp_table.c"
