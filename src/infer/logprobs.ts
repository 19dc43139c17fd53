/**
 * Per-token log-probabilities in OpenAI's shape: the log-softmax of the model's raw
 * logits (before any penalty, temperature or truncation), for the chosen token and the
 * `n` likeliest alternatives (n <= 20), each with its text and UTF-8 bytes.
 *
 * @example
 * const lp = new LogprobReporter(tokenizer);
 * lp.report(logits, chosenId, 5);
 * // { id, token: ' the', logprob: -0.31, bytes: [32, 116, 104, 101], top: [{ id, token, logprob, bytes }, ...] }
 */
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';

/** One token with its log-probability. */
export interface TokenLogprob {
  id: number;
  /** The token's text (its bytes decoded as UTF-8; a partial character shows as U+FFFD). */
  token: string;
  logprob: number;
  /** The token's UTF-8 bytes. */
  bytes: number[];
}

/** The chosen token's log-probability and the likeliest alternatives. */
export type ChosenLogprob = TokenLogprob & { top: TokenLogprob[] };

/** The most alternatives a request may ask for (OpenAI's limit). */
export const MAX_TOP_LOGPROBS = 20;

/** Checks a `logprobs` request field: undefined, or an integer in [0, 20]. */
export function validateLogprobs(n: number | undefined): void {
  if (n === undefined) return;
  if (!(Number.isInteger(n) && n >= 0 && n <= MAX_TOP_LOGPROBS)) {
    throw new LlmtsError('E_SAMPLING', `logprobs = ${String(n)} is out of range`, { where: 'logprobs', hint: `use an integer from 0 (chosen token only) to ${MAX_TOP_LOGPROBS}` });
  }
}

/** log(sum(exp(x))) of a row, in float64 with the max subtracted. */
export function logSumExp(x: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i]! - max);
  return max + Math.log(sum);
}

/**
 * The indices of the n largest values, largest first (ties: smaller index first).
 * O(V * n), which is fine for n <= 20.
 */
export function topIndices(x: Float32Array, n: number): number[] {
  const out: number[] = [];
  if (n <= 0) return out;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (out.length === n && !(v > x[out[n - 1]!]!)) continue;
    let j = out.length < n ? out.length : n - 1;
    while (j > 0 && v > x[out[j - 1]!]!) {
      if (j < n) out[j] = out[j - 1]!;
      j--;
    }
    out[j] = i;
  }
  return out;
}

/** Computes `ChosenLogprob`s for one tokenizer, caching each id's text and bytes. */
export class LogprobReporter {
  private readonly tok: Tokenizer & { decodeBytes?: (ids: ArrayLike<number>) => Uint8Array };
  private readonly pieces = new Map<number, { token: string; bytes: number[] }>();
  private readonly utf8 = new TextDecoder();
  private readonly encoder = new TextEncoder();

  constructor(tokenizer: Tokenizer) {
    this.tok = tokenizer;
  }

  /** The text and bytes of one id (empty for ids the tokenizer does not know). */
  piece(id: number): { token: string; bytes: number[] } {
    let p = this.pieces.get(id);
    if (!p) {
      let bytes: Uint8Array;
      if (id < 0 || id >= this.tok.vocabSize) bytes = new Uint8Array(0);
      else if (this.tok.decodeBytes) bytes = this.tok.decodeBytes([id]);
      else bytes = this.encoder.encode(this.tok.decode([id]));
      p = { token: this.utf8.decode(bytes), bytes: Array.from(bytes) };
      this.pieces.set(id, p);
    }
    return p;
  }

  /** The chosen id's log-probability under `logits` (V), with the top `n` alternatives. */
  report(logits: Float32Array, chosen: number, n: number): ChosenLogprob {
    const lse = logSumExp(logits);
    const entry = (id: number): TokenLogprob => {
      const p = this.piece(id);
      return { id, token: p.token, logprob: logits[id]! - lse, bytes: p.bytes.slice() };
    };
    return { ...entry(chosen), top: topIndices(logits, n).map(entry) };
  }
}
