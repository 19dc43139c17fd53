/**
 * A count-based n-gram language model over token ids, the baseline of the code-completion
 * benchmark: order n (default 5: the next token from the last 4), greedy prediction with
 * "stupid backoff" (Brants et al. 2007) reduced to its argmax: the most frequent next token
 * after the longest context seen in training, down to the unigram; ties go to the token
 * that reached the top count first.
 *
 * Storage: for every context of 0..n-1 tokens only the running argmax (token, count) and
 * the count of each (context, next) pair, keyed by a 52-bit hash of the ids (two 26-bit
 * FNV-1a halves; a collision is a ~1e-9 event per lookup at 10M n-grams), so a few
 * million training tokens fit in memory.
 *
 * @example
 * const ng = new NGramModel(5);
 * ng.train([1, 2, 3, 1, 2, 3]);
 * ng.next([1, 2]);                       // 3
 * ng.greedy([1, 2], { maxTokens: 4 });   // [3, 1, 2, 3]
 */
import { LlmtsError } from '../util/errors.ts';

const HALF = 2 ** 26;

/** Hash of `ids[from..to)` followed by `extra` (when >= 0): a safe integer below 2^52. */
function hashIds(ids: ArrayLike<number>, from: number, to: number, extra: number): number {
  let a = 0x811c9dc5 ^ (to - from), b = 0x01000193 ^ (to - from) * 7919;
  const mix = (x: number): void => {
    a = Math.imul(a ^ x, 0x01000193) >>> 0;
    b = Math.imul(b ^ (x * 2654435761), 0x5bd1e995) >>> 0;
    b ^= b >>> 15;
  };
  for (let i = from; i < to; i++) mix(ids[i]!);
  if (extra >= 0) mix(extra + 0x9e3779b9);
  return (a % HALF) * HALF + (b % HALF);
}

/** What `greedy` takes. */
export interface NGramGreedyOptions {
  /** New tokens at most. */
  maxTokens: number;
  /** Stop before a token for which this returns true (the token is not emitted). */
  stop?: (id: number, generated: readonly number[]) => boolean;
}

/** See the module comment. */
export class NGramModel {
  readonly order: number;
  /** (context, next) -> count. */
  private readonly pairs = new Map<number, number>();
  /** context -> the argmax next token and its count, packed as token * 2^21 + min(count, 2^21 - 1). */
  private readonly best = new Map<number, number>();
  private tokens = 0;

  /** An empty model of order `order` (>= 1: 1 is unigram). */
  constructor(order = 5) {
    if (!Number.isInteger(order) || order < 1 || order > 12) throw new LlmtsError('E_CONFIG', `n-gram order must be an integer in [1, 12], got ${order}`, { where: 'NGramModel order', hint: 'e.g. 5' });
    this.order = order;
  }

  /** Tokens trained on so far. */
  get trainedTokens(): number {
    return this.tokens;
  }

  /** Adds the n-grams of one sequence (documents are trained one call each: no n-gram spans two). */
  train(ids: ArrayLike<number>): void {
    for (let t = 0; t < ids.length; t++) {
      const next = ids[t]!;
      for (let k = 0; k < this.order && k <= t; k++) this.count(hashIds(ids, t - k, t, -1), hashIds(ids, t - k, t, next), next);
    }
    this.tokens += ids.length;
  }

  private count(ctx: number, pair: number, next: number): void {
    const c = (this.pairs.get(pair) ?? 0) + 1;
    this.pairs.set(pair, c);
    const b = this.best.get(ctx);
    if (b === undefined || c > b % 2 ** 21) this.best.set(ctx, next * 2 ** 21 + Math.min(c, 2 ** 21 - 1));
  }

  /** The predicted next token after `context` (its last order-1 ids), or -1 for an untrained model. */
  next(context: ArrayLike<number>): number {
    const T = context.length;
    for (let k = Math.min(this.order - 1, T); k >= 0; k--) {
      const b = this.best.get(hashIds(context, T - k, T, -1));
      if (b !== undefined) return Math.floor(b / 2 ** 21);
    }
    return -1;
  }

  /** Greedy continuation of `context`: up to `maxTokens` ids, ending before a stop token. */
  greedy(context: readonly number[], o: NGramGreedyOptions): number[] {
    const tail = context.slice(Math.max(0, context.length - (this.order - 1)));
    const out: number[] = [];
    for (let i = 0; i < o.maxTokens; i++) {
      const id = this.next(tail);
      if (id < 0 || (o.stop && o.stop(id, out))) break;
      out.push(id);
      tail.push(id);
      if (tail.length > this.order - 1) tail.shift();
    }
    return out;
  }
}
