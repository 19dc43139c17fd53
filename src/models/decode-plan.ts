/**
 * A decode plan: a language model's live weights as typed per-layer arrays, in the shape
 * the fast decode step (src/infer/decode-step.ts) runs, so inference never reads tensor
 * names or branches on a family. A family's `decodePlan()` builds it (views of its
 * parameters, no copies); any pre-norm Transformer decoder fits it (GPT-2: LayerNorm,
 * fused qkv, learned positions, GELU; Llama: RMSNorm, separate q/k/v with GQA, RoPE,
 * SwiGLU). Matrices are (out, in), row-major, as torch.nn.Linear stores them. Each
 * projection also says how the decode step multiplies by it (`DecodeMatrix`): a family's
 * plan is all fp32; `packDecodePlan` (decode-weights.ts) gives bf16 / Q8_0 copies.
 *
 * @example
 * const plan = model.decodePlan();
 * plan.layers[0].attention.kind;   // 'fused' (GPT-2) or 'separate' (Llama)
 */
import type { RopeSettings } from '../nn/rope-scaling.ts';

/** Number formats the decode step multiplies weight matrices in. */
export type DecodeWeightFormat = 'fp32' | 'bf16' | 'q8_0';

/**
 * A matrix (out, in) as the decode step multiplies by it: the fp32 weights themselves,
 * their bf16 bits (`Backend.gemvBf16`) or their Q8_0 blocks, K / 32 per row
 * (`Backend.gemvQ8_0`; llama.cpp's layout). See decode-weights.ts.
 */
export type DecodeMatrix =
  | { format: 'fp32'; data: Float32Array }
  | { format: 'bf16'; data: Uint16Array }
  | { format: 'q8_0'; data: Uint8Array };

/** y = x W^T + b, W (out, in). */
export interface LinearWeights {
  /** The model's fp32 weights (live view). */
  weight: Float32Array;
  /** What the decode step multiplies by: `weight` itself (fp32), or a bf16 / Q8_0 copy of it. */
  matrix: DecodeMatrix;
  bias: Float32Array | null;
  /** Rows of W. */
  out: number;
  /** Columns of W. */
  in: number;
}

/** LayerNorm (weight and bias) or RMSNorm (weight only) over the hidden width. */
export interface NormWeights {
  kind: 'layernorm' | 'rmsnorm';
  weight: Float32Array;
  bias: Float32Array | null;
  eps: number;
}

/** Query/key/value projections: one fused (C + 2 kvC, C) matrix, or three. */
export type AttentionWeights =
  | { kind: 'fused'; qkv: LinearWeights }
  | { kind: 'separate'; q: LinearWeights; k: LinearWeights; v: LinearWeights };

/** The MLP: GELU(x W_up^T) W_down^T, or (SiLU(x W_gate^T) * x W_up^T) W_down^T. */
export type MlpWeights =
  | { kind: 'gelu'; up: LinearWeights; down: LinearWeights }
  | { kind: 'swiglu'; gate: LinearWeights; up: LinearWeights; down: LinearWeights };

/** One pre-norm block: x += o(attn(norm1(x))); x += mlp(norm2(x)). */
export interface DecodeLayer {
  norm1: NormWeights;
  attention: AttentionWeights;
  /** Attention output projection (C, C). */
  out: LinearWeights;
  norm2: NormWeights;
  mlp: MlpWeights;
}

/** Rotary position embedding of q and k: base, pair layout (interleaved: Meta / llama2.c), scaling. */
export type RopeSpec = RopeSettings;

/** See the module comment. */
export interface DecodePlan {
  vocabSize: number;
  /** Context length (learned position table size; KV cache default capacity). */
  blockSize: number;
  /** Hidden width C. */
  hiddenSize: number;
  nHead: number;
  nKvHead: number;
  /** hs = C / nHead. */
  headSize: number;
  /** MLP hidden width H. */
  intermediateSize: number;
  /** Token embedding (V, C). */
  embedding: Float32Array;
  /** Learned positions (blockSize, C), or null. */
  positions: Float32Array | null;
  /** RoPE on q and k, or null. */
  rope: RopeSpec | null;
  layers: DecodeLayer[];
  finalNorm: NormWeights;
  /** Output projection (V, C); the embedding itself when tied. */
  lmHead: Float32Array;
  /** What the decode step multiplies by for the logits: `lmHead` itself, or a bf16 / Q8_0 copy. */
  lmHeadMatrix: DecodeMatrix;
}
