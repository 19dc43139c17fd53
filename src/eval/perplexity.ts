/**
 * Language-model quality on a text: mean loss (nats per token), perplexity and bits per
 * byte.
 *
 * The text is encoded once (with the tokenizer's start-of-sequence id first when it has
 * one, so the first real token is scored too) and cut into consecutive, non-overlapping
 * windows of at most blockSize predictions; each window is scored with the context of
 * its own tokens only (the usual "non-overlapping" evaluation, a slight overestimate of
 * the loss with unlimited context).
 * - loss = total nats / scored tokens; perplexity = exp(loss)
 * - bits per byte = total nats / (ln 2 * UTF-8 bytes of the text): comparable across
 *   tokenizers, since it does not depend on how many tokens the text became.
 *
 * @example
 * const r = evaluateText(model, tokenizer, readFileSync('val.txt', 'utf8'));
 * console.log(r.loss, r.perplexity, r.bitsPerByte);
 */
import { isEncoder } from '../models/encoder/index.ts';
import type { AnyModel } from '../models/registry.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { causalLm, type CausalLmBatch } from '../train/objectives/causal-lm.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkTokenIds } from '../util/token-ids.ts';
import { sumLoss } from './loss.ts';

/** Options of an evaluation. */
export interface EvalOptions {
  /** Predictions per window (default and maximum: the model's blockSize). */
  blockSize?: number;
  /** Windows per forward pass (default 4). */
  batchSize?: number;
  /** Score at most this many tokens (default: all). */
  maxTokens?: number;
  /** Called after each batch with (tokens scored so far, tokens to score). */
  onProgress?: (done: number, total: number) => void;
}

/** Result of an evaluation. */
export interface EvalResult {
  /** Tokens whose prediction was scored. */
  tokens: number;
  /** UTF-8 bytes of the text. */
  bytes: number;
  /** Sum of the negative log-likelihoods, in nats. */
  totalNats: number;
  /** Mean nats per scored token. */
  loss: number;
  perplexity: number;
  /** totalNats / (ln 2 * bytes). */
  bitsPerByte: number;
}

/** Sum of -log p(ids[t+1] | ids[..t]) over consecutive windows; see the module comment. */
export function scoreIds(model: AnyModel, ids: readonly number[], opts: EvalOptions = {}): { totalNats: number; tokens: number } {
  const c = model.config;
  if (isEncoder(c)) {
    throw new LlmtsError('E_EVAL', `a ${c.arch} encoder has no next-token perplexity (it sees the whole text)`, {
      where: '--model', hint: 'score an encoder by masked-token accuracy / pseudo-perplexity (llmts train --objective mlm reports them) or use llmts fill-mask' });
  }
  const T = Math.min(opts.blockSize ?? c.blockSize, c.blockSize);
  if (!Number.isInteger(T) || T < 1) throw new LlmtsError('E_EVAL', `blockSize ${T} is out of range`, { where: 'blockSize', hint: 'use a positive integer' });
  const B = Math.max(1, opts.batchSize ?? 4);
  const predictions = Math.min(ids.length - 1, opts.maxTokens ?? Infinity);
  if (predictions < 1) throw new LlmtsError('E_EVAL', 'the text is too short to score: it needs at least two tokens', { where: 'text', hint: 'evaluate a longer text' });
  // full windows of T predictions, B per forward pass, then the shorter remainder alone
  const full = Math.floor(predictions / T);
  const groups: { start: number; count: number; len: number }[] = [];
  for (let w = 0; w < full; w += B) groups.push({ start: w * T, count: Math.min(B, full - w), len: T });
  if (predictions % T) groups.push({ start: full * T, count: 1, len: predictions % T });
  function* batches(): Generator<CausalLmBatch> {
    for (const g of groups) {
      const n = g.count * g.len;
      const x = new Int32Array(n); // (count, len)
      const y = new Int32Array(n); // (count, len)
      for (let i = 0; i < n; i++) {
        x[i] = ids[g.start + i]!; // windows are consecutive: window b starts at g.start + b * len
        y[i] = ids[g.start + i + 1]!;
      }
      yield { ids: x, targets: y, rows: g.count, T: g.len, tokens: n };
    }
  }
  const { totalLoss, count } = sumLoss(model, causalLm, batches(), (done) => opts.onProgress?.(done, predictions));
  return { totalNats: totalLoss, tokens: count };
}

/** Bits per byte of a text scored at `totalNats`: totalNats / (ln 2 * UTF-8 bytes); comparable across tokenizers. */
export function bitsPerByte(totalNats: number, bytes: number): number {
  return totalNats / (Math.LN2 * bytes);
}

/** Loss, perplexity and bits per byte of `model` on `text`; see the module comment. */
export function evaluateText(model: AnyModel, tokenizer: Tokenizer, text: string, opts: EvalOptions = {}): EvalResult {
  const bos = tokenizer.specialIds.bos;
  const body = tokenizer.encode(text);
  const ids = bos !== undefined && body[0] !== bos ? [bos, ...body] : body;
  checkTokenIds(ids, model.config.vocabSize, { code: 'E_EVAL', where: 'tokenizer', hint: 'use the tokenizer the model was trained with' });
  const { totalNats, tokens } = scoreIds(model, ids, opts);
  // with maxTokens, only the scored part of the text counts
  const scored = tokens < ids.length - 1 ? tokenizer.decode(ids.slice(0, tokens + 1), { skipSpecialTokens: true }) : text;
  const bytes = Buffer.byteLength(scored, 'utf8');
  const loss = totalNats / tokens;
  return { tokens, bytes, totalNats, loss, perplexity: Math.exp(loss), bitsPerByte: bitsPerByte(totalNats, bytes) };
}
