/*
 * The bf16 and int8 kernels compiled for: AVX512-BF16 (VDPBF16PS) and AVX512-VNNI (VPDPBUSD), F16C.
 * binding.gyp builds this file as its own static library with its flags (-mavx512bf16 -mavx512vnni -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma -mf16c);
 * addon_lowp.c only calls into it after checking the CPU (and, for AMX, the kernel's
 * permission) allows them. Everything here is static except the table llmts_lowp_avx512.
 */
#define LOWP_AMX 0
#define LOWP_AVX512 1
#define LOWP_ISA_NAME "avx512bf16"
#define LOWP_OPS_NAME llmts_lowp_avx512

#include "kernels/lowp_gemm.c"
#include "kernels/lowp_gemv.c"
#include "kernels/lowp_table.c"
