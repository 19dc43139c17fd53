/**
 * A decode plan: a language model's live weights as typed per-layer arrays, in the shape
 * the fast decode step (src/infer/decode-step.ts) runs, so inference never reads tensor
 * names or branches on a family. A family's `decodePlan()` builds it (views of its
 * parameters, no copies); any pre-norm Transformer decoder fits it (GPT-2: LayerNorm,
 * fused qkv, learned positions, GELU; Llama: RMSNorm, separate q/k/v with GQA, RoPE,
 * SwiGLU). Matrices are (out, in), row-major, as torch.nn.Linear stores them.
 *
 * @example
 * const plan = model.decodePlan();
 * plan.layers[0].attention.kind;   // 'fused' (GPT-2) or 'separate' (Llama)
 */

/** y = x W^T + b, W (out, in). */
export interface LinearWeights {
  weight: Float32Array;
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

/** Rotary position embedding of q and k. */
export interface RopeSpec {
  theta: number;
  /** Pairs (2i, 2i+1) as Meta / llama2.c, else halves as Hugging Face. */
  interleaved: boolean;
}

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
}
