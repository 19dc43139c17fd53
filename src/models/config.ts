/**
 * Configuration of the decoder-only Transformer: one shape, two families.
 * - GPT-2: learned positions, LayerNorm, GELU MLP, biases, tied embeddings.
 * - Llama: RoPE, RMSNorm, SwiGLU MLP, grouped-query attention, no biases.
 * Tensor names follow Hugging Face's for the family (see decoder.ts).
 *
 * @example
 * const cfg = gpt2Config({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 });
 */
import { LlmtsError } from '../util/errors.ts';

export type DecoderArch = 'gpt2' | 'llama';

export interface DecoderConfig {
  arch: DecoderArch;
  vocabSize: number;
  /** Longest sequence (learned position table size; KV cache default capacity). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Key/value heads (GQA); equals nHead for multi-head attention. */
  nKvHead: number;
  nEmbd: number;
  /** Hidden width of the MLP (GPT-2: 4 * nEmbd). */
  intermediateSize: number;
  /** Linear layers carry biases (GPT-2 yes, Llama no). */
  bias: boolean;
  /** lm_head shares the token embedding matrix. */
  tieEmbeddings: boolean;
  normEps: number;
  /** RoPE base (Llama only). */
  ropeTheta: number;
  /** RoPE pairs (2i, 2i+1) as in Meta / llama2.c, else halves as in Hugging Face. */
  ropeInterleaved: boolean;
  /** Dropout probability on embeddings, attention output and MLP output (train mode only). */
  dropout: number;
}

/** GPT-2 family config; unspecified fields get GPT-2's values. */
export function gpt2Config(c: Pick<DecoderConfig, 'vocabSize' | 'blockSize' | 'nLayer' | 'nHead' | 'nEmbd'> & Partial<DecoderConfig>): DecoderConfig {
  return validateConfig({
    arch: 'gpt2', nKvHead: c.nHead, intermediateSize: 4 * c.nEmbd, bias: true, tieEmbeddings: true,
    normEps: 1e-5, ropeTheta: 10000, ropeInterleaved: false, dropout: 0, ...c,
  });
}

/** Llama family config; unspecified fields get Llama's values (SwiGLU width as in llama2.c). */
export function llamaConfig(c: Pick<DecoderConfig, 'vocabSize' | 'blockSize' | 'nLayer' | 'nHead' | 'nEmbd'> & Partial<DecoderConfig>): DecoderConfig {
  const hidden = 256 * Math.ceil(Math.floor((2 * 4 * c.nEmbd) / 3) / 256);
  return validateConfig({
    arch: 'llama', nKvHead: c.nHead, intermediateSize: hidden, bias: false, tieEmbeddings: false,
    normEps: 1e-5, ropeTheta: 10000, ropeInterleaved: false, dropout: 0, ...c,
  });
}

/** Checks the shape constraints; throws an LlmtsError naming the field. */
export function validateConfig(c: DecoderConfig): DecoderConfig {
  const positive = ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nKvHead', 'nEmbd', 'intermediateSize'] as const;
  for (const k of positive) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) {
      throw new LlmtsError('E_CONFIG', `model config: ${k} must be a positive integer, got ${c[k]}`, { where: `config.${k}` });
    }
  }
  if (c.nEmbd % c.nHead !== 0) {
    throw new LlmtsError('E_CONFIG', `model config: nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`, {
      where: 'config.nEmbd', hint: 'choose nEmbd = nHead * head size' });
  }
  if (c.nHead % c.nKvHead !== 0) {
    throw new LlmtsError('E_CONFIG', `model config: nHead ${c.nHead} is not a multiple of nKvHead ${c.nKvHead}`, {
      where: 'config.nKvHead', hint: 'grouped-query attention needs nHead % nKvHead == 0' });
  }
  if (c.arch === 'llama' && (c.nEmbd / c.nHead) % 2 !== 0) {
    throw new LlmtsError('E_CONFIG', `model config: RoPE needs an even head size, got ${c.nEmbd / c.nHead}`, { where: 'config.nHead' });
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) {
    throw new LlmtsError('E_CONFIG', `model config: dropout must be in [0, 1), got ${c.dropout}`, { where: 'config.dropout' });
  }
  return c;
}

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
