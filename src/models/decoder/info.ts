/**
 * Sizes of a decoder from its config alone (nothing allocated): the parameter count, the
 * name and shape of every parameter (`decoderParameterShapes`, what a weights file must
 * hold), and the FLOPs and memory `llmts model info` prints (`decoderInfo`).
 *
 * @example
 * decoderInfo(gpt2Config({ vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768 })).params; // 124439808
 */
import type { InfoOptions, ModelInfo } from '../model.ts';
import type { DecoderConfig } from './config.ts';

/** Number of parameters of a model built from `c` (tied embeddings counted once). */
export function countParams(c: DecoderConfig): number {
  const C = c.nEmbd, hs = C / c.nHead, kv = c.nKvHead * hs, H = c.intermediateSize;
  const b = c.bias ? 1 : 0;
  const norm = c.arch === 'gpt2' ? 2 * C : C; // LayerNorm has weight + bias
  const attn = C * C + 2 * C * kv + C * C + b * (C + 2 * kv + C);
  const mlp = c.arch === 'gpt2' ? 2 * C * H + b * (H + C) : 3 * C * H + b * (2 * H + C);
  const block = 2 * norm + attn + mlp;
  const emb = c.vocabSize * C + (c.arch === 'gpt2' ? c.blockSize * C : 0);
  const head = c.tieEmbeddings ? 0 : c.vocabSize * C;
  return emb + c.nLayer * block + norm + head;
}

/**
 * Name -> shape of every parameter of `new Decoder(c)`, in construction order, with
 * our names (HF's, Linear weights (out, in)); tied embeddings have no lm_head.
 */
export function decoderParameterShapes(c: DecoderConfig): Map<string, number[]> {
  const C = c.nEmbd, kv = c.nKvHead * (C / c.nHead), H = c.intermediateSize, V = c.vocabSize;
  const gpt2 = c.arch === 'gpt2';
  const out = new Map<string, number[]>();
  const linear = (name: string, outF: number, inF: number) => {
    out.set(`${name}.weight`, [outF, inF]);
    if (c.bias) out.set(`${name}.bias`, [outF]);
  };
  const norm = (name: string) => {
    out.set(`${name}.weight`, [C]);
    if (gpt2) out.set(`${name}.bias`, [C]);
  };
  const root = gpt2 ? 'transformer' : 'model';
  out.set(`${root}.${gpt2 ? 'wte' : 'embed_tokens'}.weight`, [V, C]);
  if (gpt2) out.set('transformer.wpe.weight', [c.blockSize, C]);
  for (let i = 0; i < c.nLayer; i++) {
    const p = `${root}.${gpt2 ? 'h' : 'layers'}.${i}`;
    if (gpt2) {
      norm(`${p}.ln_1`);
      linear(`${p}.attn.c_attn`, C + 2 * kv, C);
      linear(`${p}.attn.c_proj`, C, C);
      norm(`${p}.ln_2`);
      linear(`${p}.mlp.c_fc`, H, C);
      linear(`${p}.mlp.c_proj`, C, H);
    } else {
      norm(`${p}.input_layernorm`);
      linear(`${p}.self_attn.q_proj`, C, C);
      linear(`${p}.self_attn.k_proj`, kv, C);
      linear(`${p}.self_attn.v_proj`, kv, C);
      linear(`${p}.self_attn.o_proj`, C, C);
      norm(`${p}.post_attention_layernorm`);
      linear(`${p}.mlp.gate_proj`, H, C);
      linear(`${p}.mlp.up_proj`, H, C);
      linear(`${p}.mlp.down_proj`, C, H);
    }
  }
  norm(`${root}.${gpt2 ? 'ln_f' : 'norm'}`);
  if (!c.tieEmbeddings) out.set('lm_head.weight', [V, C]);
  return out;
}

/**
 * Parameter count, FLOPs per token and memory of a decoder config. `batchSize` and
 * `blockSize` (default the config's) size the activation estimate.
 */
export function decoderInfo(c: DecoderConfig, o: InfoOptions = {}): ModelInfo {
  const B = o.batchSize ?? 1, T = o.blockSize ?? c.blockSize;
  const C = c.nEmbd, H = c.intermediateSize, V = c.vocabSize, L = c.nLayer, hs = C / c.nHead;
  const params = countParams(c);
  const positions = c.arch === 'gpt2' ? c.blockSize * C : 0;
  const inputTable = c.tieEmbeddings ? 0 : V * C; // an untied input table is a lookup, not a matmul
  const matmulParams = params - positions - inputTable;
  const forwardFlopsPerToken = 2 * matmulParams + 4 * L * T * C;
  // saved per layer: norm inputs/outputs, q/k/v, attention output, projections, residuals,
  // MLP hidden (pre and post activation; SwiGLU: gate, up, product), and the softmax rows
  const hiddenCopies = c.arch === 'gpt2' ? 2 : 3;
  const perLayer = B * T * (10 * C + hiddenCopies * H) + B * c.nHead * T * T;
  const activationFloats = L * perLayer + B * T * (3 * C + 2 * V);
  return {
    params, matmulParams, forwardFlopsPerToken, trainFlopsPerToken: 3 * forwardFlopsPerToken,
    trainStateBytes: 16 * params, activationBytes: 4 * activationFloats, weightBytes: 4 * params,
    kvCacheBytes: 4 * 2 * L * c.nKvHead * hs * T,
  };
}
