/**
 * Sizes of an encoder-decoder from its config alone (nothing allocated): the name and
 * shape of every parameter (`seq2seqParameterShapes`, in construction order, HF names) and
 * the FLOPs and memory `llmts model info` prints (`seq2seqInfo`).
 *
 * @example
 * seq2seqInfo(bartConfig({ vocabSize: 50265, nLayer: 6, nHead: 12, nEmbd: 768, blockSize: 1024 })).params; // 139470681 (bart-base: 139420416 in transformers, plus final_logits_bias, which it counts as a buffer)
 */
import type { InfoOptions, ModelInfo } from '../model.ts';
import type { Seq2SeqConfig } from './config.ts';

/** Name -> shape of every parameter of the model built from `c`, in construction order. */
export function seq2seqParameterShapes(c: Seq2SeqConfig): Map<string, number[]> {
  const C = c.nEmbd, H = c.intermediateSize, V = c.vocabSize;
  const out = new Map<string, number[]>();
  const linear = (name: string, outF: number, inF: number) => {
    out.set(`${name}.weight`, [outF, inF]);
    out.set(`${name}.bias`, [outF]);
  };
  const norm = (name: string) => {
    out.set(`${name}.weight`, [C]);
    out.set(`${name}.bias`, [C]);
  };
  const attn = (name: string) => {
    for (const p of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) linear(`${name}.${p}`, C, C);
  };
  out.set('final_logits_bias', [1, V]); // the model's own parameter comes before its submodules
  if (c.shareEmbeddings) out.set('model.shared.weight', [V, C]);
  const stack = (which: 'encoder' | 'decoder', layers: number) => {
    if (!c.shareEmbeddings) out.set(`model.${which}.embed_tokens.weight`, [V, C]);
    out.set(`model.${which}.embed_positions.weight`, [c.blockSize + 2, C]);
    for (let i = 0; i < layers; i++) {
      const p = `model.${which}.layers.${i}`;
      attn(`${p}.self_attn`);
      norm(`${p}.self_attn_layer_norm`);
      if (which === 'decoder') {
        attn(`${p}.encoder_attn`);
        norm(`${p}.encoder_attn_layer_norm`);
      }
      linear(`${p}.fc1`, H, C);
      linear(`${p}.fc2`, C, H);
      norm(`${p}.final_layer_norm`);
    }
    norm(`model.${which}.layernorm_embedding`);
  };
  stack('encoder', c.nLayer);
  stack('decoder', c.nDecoderLayer);
  if (!c.tieEmbeddings) out.set('lm_head.weight', [V, C]);
  return out;
}

/**
 * Parameters, FLOPs per token and memory of a config. A "token" is one source and one
 * target position (blockSize each, or `o.blockSize`): FLOPs cover the encoder, the decoder
 * with cross-attention and the output projection; the KV cache is the decoder's self and
 * cross keys/values for one sequence.
 */
export function seq2seqInfo(c: Seq2SeqConfig, o: InfoOptions = {}): ModelInfo {
  const B = o.batchSize ?? 1, T = o.blockSize ?? c.blockSize;
  const C = c.nEmbd, H = c.intermediateSize, V = c.vocabSize, Le = c.nLayer, Ld = c.nDecoderLayer;
  let params = 0;
  for (const s of seq2seqParameterShapes(c).values()) params += s.reduce((p, d) => p * d, 1);
  const tables = (c.shareEmbeddings ? 1 : 2) * V * C + 2 * (c.blockSize + 2) * C + V; // token and position tables, final_logits_bias
  const tiedHead = c.tieEmbeddings ? V * C : 0; // the output projection multiplies by the token table
  const matmulParams = params - tables + tiedHead;
  // attention scores and weighted sums: 4 T C per layer and attention (self in both stacks, cross in the decoder)
  const forwardFlopsPerToken = 2 * matmulParams + 4 * T * C * (Le + 2 * Ld);
  const perEncoder = B * T * (10 * C + 2 * H) + B * c.nHead * T * T;
  const perDecoder = B * T * (15 * C + 2 * H) + 2 * B * c.nHead * T * T;
  const activationFloats = Le * perEncoder + Ld * perDecoder + B * T * (4 * C + 2 * V);
  return {
    params, matmulParams, forwardFlopsPerToken, trainFlopsPerToken: 3 * forwardFlopsPerToken,
    trainStateBytes: 16 * params, activationBytes: 4 * activationFloats, weightBytes: 4 * params,
    kvCacheBytes: 4 * 2 * 2 * Ld * c.blockSize * C,
  };
}
