/**
 * Sizes of an encoder from its config alone (nothing allocated): the name and shape of
 * every parameter (`encoderParameterShapes`, in construction order, HF names) and the
 * FLOPs and memory `llmts model info` prints (`encoderInfo`).
 *
 * @example
 * encoderInfo(bertConfig({ vocabSize: 30522, nLayer: 12, nHead: 12, nEmbd: 768, head: 'none' })).params; // 109482240 (bert-base)
 */
import type { InfoOptions, ModelInfo } from '../model.ts';
import type { EncoderConfig } from './config.ts';

/** Name -> shape of every parameter of `new Encoder(c)`, in construction order. */
export function encoderParameterShapes(c: EncoderConfig): Map<string, number[]> {
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
  out.set('bert.embeddings.word_embeddings.weight', [V, C]);
  out.set('bert.embeddings.position_embeddings.weight', [c.blockSize, C]);
  out.set('bert.embeddings.token_type_embeddings.weight', [c.typeVocabSize, C]);
  norm('bert.embeddings.LayerNorm');
  for (let i = 0; i < c.nLayer; i++) {
    const p = `bert.encoder.layer.${i}`;
    for (const m of ['query', 'key', 'value']) linear(`${p}.attention.self.${m}`, C, C);
    linear(`${p}.attention.output.dense`, C, C);
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, H, C);
    linear(`${p}.output.dense`, C, H);
    norm(`${p}.output.LayerNorm`);
  }
  if (c.pooler) linear('bert.pooler.dense', C, C);
  if (c.head === 'mlm') {
    out.set('cls.predictions.bias', [V]); // the head's own parameter comes before its submodules
    linear('cls.predictions.transform.dense', C, C);
    norm('cls.predictions.transform.LayerNorm');
  }
  if (c.head === 'sequence' || c.head === 'token') linear('classifier', c.numLabels, C);
  return out;
}

/**
 * Parameters, FLOPs per token and memory of an encoder config. `batchSize` and
 * `blockSize` (default the config's) size the activation estimate; the MLM head is
 * counted at every position (as for an unmasked forward).
 */
export function encoderInfo(c: EncoderConfig, o: InfoOptions = {}): ModelInfo {
  const B = o.batchSize ?? 1, T = o.blockSize ?? c.blockSize;
  const C = c.nEmbd, H = c.intermediateSize, V = c.vocabSize, L = c.nLayer;
  let params = 0;
  for (const s of encoderParameterShapes(c).values()) params += s.reduce((p, d) => p * d, 1);
  const tables = (V + c.blockSize + c.typeVocabSize) * C;
  const tiedDecoder = c.head === 'mlm' ? V * C : 0; // the MLM decoder multiplies by the word table
  const matmulParams = params - tables + tiedDecoder;
  const forwardFlopsPerToken = 2 * matmulParams + 4 * L * T * C;
  // saved per layer: q/k/v, attention output, two norms' inputs/outputs, MLP hidden (pre and post
  // activation), residuals, and the softmax rows
  const perLayer = B * T * (10 * C + 2 * H) + B * c.nHead * T * T;
  const activationFloats = L * perLayer + B * T * (3 * C + (c.head === 'mlm' ? 2 * V : 0));
  return {
    params, matmulParams, forwardFlopsPerToken, trainFlopsPerToken: 3 * forwardFlopsPerToken,
    trainStateBytes: 16 * params, activationBytes: 4 * activationFloats, weightBytes: 4 * params, kvCacheBytes: 0,
  };
}
