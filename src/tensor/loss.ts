/**
 * Fused softmax cross-entropy with an ignore index: the language-model loss.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { pool } from './pool.ts';
import { Tensor, fmtShape, gradOf, record } from './tensor.ts';

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions {
  /** Target value whose rows are skipped (no loss, not counted). Default -100 (as PyTorch). */
  ignoreIndex?: number;
}

/**
 * Mean over the counted rows of -log softmax(logits)[target]. logits (..., V) and one
 * target per row (Int32Array). Rows whose target is ignoreIndex do not count; with no
 * counted row the loss is 0.
 *
 * @example
 * crossEntropy(logits, targets); // (B, T, V) with B*T targets -> ()
 */
export function crossEntropy(logits: Tensor, targets: Int32Array, opts: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const V = logits.shape[logits.ndim - 1] ?? 0;
  const N = V === 0 ? 0 : logits.size / V;
  if (logits.ndim < 1 || targets.length !== N) {
    throw new LlmtsError('E_SHAPE', `crossEntropy: logits ${fmtShape(logits.shape)} have ${N} rows, got ${targets.length} targets`, {
      where: 'crossEntropy', hint: 'give one target per row of logits (B*T for (B, T, V))' });
  }
  for (let i = 0; i < N; i++) {
    const t = targets[i]!;
    if (t !== ignoreIndex && (t < 0 || t >= V)) {
      throw new LlmtsError('E_RANGE', `crossEntropy: target ${t} at row ${i} is outside [0, ${V})`, {
        where: 'crossEntropy', hint: `targets must be class ids < ${V}, or ${ignoreIndex} to ignore a row` });
    }
  }
  const be = backend();
  const losses = pool.acquire(N), lse = pool.acquire(N); // (N) each; lse saved for backward
  const counted = be.crossEntropy(N, V, logits.data, targets, ignoreIndex, losses, lse);
  let total = 0;
  for (let i = 0; i < N; i++) total += losses[i]!;
  pool.release(losses);
  const out = Tensor.empty([]); // ()
  out.data[0] = counted === 0 ? 0 : total / counted;
  return record(out, 'crossEntropy', [logits], [lse], (dout) => {
    const dl = gradOf(logits);
    if (dl && counted > 0) be.crossEntropyBackward(N, V, logits.data, targets, ignoreIndex, lse, dout[0]! / counted, dl);
  });
}
