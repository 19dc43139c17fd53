/**
 * Running an encoder (BERT) on text: what `llmts fill-mask`, `llmts embed`, the server's
 * `/v1/embeddings` and `npm run bench -- encode` share.
 * - `encodeTexts`: texts -> one padded batch of ids with [CLS] ... [SEP] (the tokenizer's
 *   template) and the attention mask, each cut to the model's positions (the last id kept);
 * - `sentenceEmbeddings`: L2-normalised sentence vectors, sentence-transformers' masked
 *   mean over the real tokens ([CLS] and [SEP] included), or the [CLS] hidden state;
 * - `fillMask`: for each [MASK] of a text, the top-k ids by probability (softmax over the
 *   whole vocabulary), best first, as transformers' fill-mask pipeline.
 *
 * @example
 * const { model, tokenizer } = loadModel('test/fixtures/hf-bert/mlm');
 * fillMask(model, tokenizer, 'The [MASK] sat on the mat.', { topK: 5 }); // [[{ token: 'a', id: 49, score: 0.1495 }, ...]]
 * sentenceEmbeddings(model, tokenizer, ['a cat', 'a dog']);              // [Float32Array(C), Float32Array(C)]
 */
import { asEncoder } from '../models/encoder/index.ts';
import type { AnyModel } from '../models/registry.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { inferenceScope } from './inference-scope.ts';

/** A padded batch of texts for an encoder. */
export interface EncodedBatch {
  /** (B, T) ids, padding after each text. */
  ids: Int32Array;
  /** (B, T) 1 for a real token, 0 for padding. */
  attentionMask: Float32Array;
  B: number;
  T: number;
  /** Real tokens of each text. */
  lengths: number[];
}

/** Texts -> one padded batch (see the module comment). */
export function encodeTexts(tokenizer: Tokenizer, texts: readonly string[], maxLen: number, o: { allowSpecial?: boolean } = {}): EncodedBatch {
  if (texts.length === 0) throw new LlmtsError('E_INPUT', 'no text to encode', { where: 'input', hint: 'give at least one text' });
  const rows = texts.map((t) => {
    const ids = tokenizer.encode(t, { addSpecialTokens: true, allowedSpecial: o.allowSpecial ? 'all' : undefined });
    return ids.length > maxLen ? [...ids.slice(0, maxLen - 1), ids[ids.length - 1]!] : ids;
  });
  const B = rows.length, T = Math.max(...rows.map((r) => r.length));
  const pad = tokenizer.specialIds.pad ?? 0;
  const ids = new Int32Array(B * T).fill(pad), attentionMask = new Float32Array(B * T);
  rows.forEach((r, b) => {
    ids.set(r, b * T);
    attentionMask.fill(1, b * T, b * T + r.length);
  });
  return { ids, attentionMask, B, T, lengths: rows.map((r) => r.length) };
}

/** How a sentence vector is taken from the hidden states. */
export type SentencePooling = 'mean' | 'cls';

/** L2-normalised sentence embeddings of `texts` (C each), `batchSize` texts per forward. */
export function sentenceEmbeddings(model: AnyModel, tokenizer: Tokenizer, texts: readonly string[], o: { pooling?: SentencePooling; batchSize?: number } = {}): Float32Array[] {
  const enc = asEncoder(model, '--model');
  const pooling = o.pooling ?? 'mean', bs = o.batchSize ?? 32;
  const C = enc.hiddenSize;
  const out: Float32Array[] = [];
  for (let s = 0; s < texts.length; s += bs) {
    const batch = encodeTexts(tokenizer, texts.slice(s, s + bs), enc.config.blockSize);
    inferenceScope(enc, () => {
      // only real tokens are pooled: the padding is not computed (its rows come back zero)
      const h = enc.encode({ ids: batch.ids, B: batch.B, T: batch.T, attentionMask: batch.attentionMask, skipPadding: true }).hidden.data; // (B, T, C)
      for (let b = 0; b < batch.B; b++) {
        const acc = new Float64Array(C);
        const n = pooling === 'cls' ? 1 : batch.lengths[b]!; // padding comes after the real tokens
        for (let t = 0; t < n; t++) for (let i = 0; i < C; i++) acc[i] += h[(b * batch.T + t) * C + i]!;
        let ss = 0;
        for (let i = 0; i < C; i++) ss += (acc[i]! / n) ** 2;
        const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
        out.push(Float32Array.from(acc, (v) => (v / n) * inv));
      }
    });
  }
  return out;
}

/** One prediction for a [MASK]. */
export interface MaskPrediction {
  token: string;
  id: number;
  score: number;
}

/** For each [MASK] of `text`, the `topK` (default 5) most probable ids, best first (see the module comment). */
export function fillMask(model: AnyModel, tokenizer: Tokenizer, text: string, o: { topK?: number } = {}): MaskPrediction[][] {
  const enc = asEncoder(model, '--model');
  if (enc.config.head !== 'mlm') {
    throw new LlmtsError('E_MODEL', `fill-mask needs a masked-LM head; this bert model's head is '${enc.config.head}'`, { where: '--model', hint: 'use a BertForMaskedLM checkpoint (or one trained with --objective mlm)' });
  }
  const maskId = tokenizer.specialIds.mask;
  const maskToken = maskId === undefined ? undefined : tokenizer.idToToken(maskId);
  if (maskId === undefined || maskToken === undefined) {
    throw new LlmtsError('E_TOKENIZER', 'the tokenizer has no mask token', { where: '--model', hint: 'use the tokenizer the masked LM was trained with' });
  }
  const ids = tokenizer.encode(text, { addSpecialTokens: true, allowedSpecial: [maskToken] });
  const T = ids.length, V = enc.config.vocabSize;
  if (T > enc.config.blockSize) {
    throw new LlmtsError('E_INPUT', `the text has ${T} tokens; the model takes ${enc.config.blockSize}`, { where: '--text', hint: 'shorten the text' });
  }
  const positions = ids.flatMap((id, t) => (id === maskId ? [t] : []));
  if (positions.length === 0) throw new LlmtsError('E_INPUT', `the text has no ${maskToken}`, { where: '--text', hint: `put ${maskToken} where a word should be predicted` });
  const topK = Math.min(o.topK ?? 5, V);
  const result: MaskPrediction[][] = [];
  inferenceScope(enc, () => {
    const logits = enc.run({ ids: Int32Array.from(ids), B: 1, T }).logits.data; // (1, T, V)
    for (const t of positions) {
      const row = logits.subarray(t * V, (t + 1) * V);
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, row[v]!);
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(row[v]! - max);
      const order = Array.from({ length: V }, (_, v) => v).sort((a, b) => row[b]! - row[a]! || a - b).slice(0, topK);
      result.push(order.map((id) => ({ token: tokenizer.decode([id]), id, score: Math.exp(row[id]! - max) / sum })));
    }
  });
  return result;
}
