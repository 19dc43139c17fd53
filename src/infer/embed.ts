/**
 * Text embeddings from a decoder: the final hidden states (after the final norm, before
 * the lm_head) of every position, mean-pooled and L2-normalised to one unit vector (C).
 *
 * @example
 * const e = embedIds(model, encodePrompt(tok, 'a cat')); // Float32Array(C), |e| = 1
 */
import type { AnyModel } from '../models/registry.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkTokenIds } from '../util/token-ids.ts';
import { inferenceScope } from './inference-scope.ts';

/** Mean-pooled, L2-normalised final hidden states of `ids` (at most blockSize of them); (C). */
export function embedIds(model: AnyModel, ids: readonly number[]): Float32Array {
  const c = model.config;
  if (ids.length === 0) throw new LlmtsError('E_PROMPT', 'embedding input is empty', { where: 'input', hint: 'give at least one token' });
  if (ids.length > c.blockSize) {
    throw new LlmtsError('E_PROMPT', `embedding input has ${ids.length} tokens; the model's context is ${c.blockSize}`, { where: 'input', hint: `shorten the input to at most ${c.blockSize} tokens` });
  }
  checkTokenIds(ids, c.vocabSize, { where: 'input', hint: 'encode the input with the tokenizer of this model' });
  const C = model.hiddenSize, T = ids.length;
  const out = new Float32Array(C);
  inferenceScope(model, () => {
    const h = model.hiddenStates({ ids: Int32Array.from(ids), B: 1, T }).data; // (1, T, C)
    const acc = new Float64Array(C);
    for (let t = 0; t < T; t++) for (let i = 0; i < C; i++) acc[i] += h[t * C + i]!;
    let ss = 0;
    for (let i = 0; i < C; i++) {
      acc[i] /= T;
      ss += acc[i]! * acc[i]!;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let i = 0; i < C; i++) out[i] = acc[i]! * inv;
  });
  return out;
}
