/*
 * The low-precision kernel table for the ISA this translation unit is compiled for.
 * Included last by lowp_*.c, which define LOWP_OPS_NAME and LOWP_ISA_NAME.
 */
const llmts_lowp_ops LOWP_OPS_NAME = {
    .isa = LOWP_ISA_NAME,
    .to_bf16 = k_to_bf16,
    .from_bf16 = k_from_bf16,
    .gemm_bf16 = k_gemm_bf16,
    .gemv_bf16 = k_gemv_bf16,
    .quantize_q8_0 = k_quantize_q8_0,
    .dequantize_q8_0 = k_dequantize_q8_0,
    .gemv_q8_0 = k_gemv_q8_0,
};
