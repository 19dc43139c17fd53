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
  /**
   * Label smoothing eps in [0, 1) (PyTorch's `label_smoothing`): each counted row's loss is
   * (1 - eps)(-log p_t) + eps mean_v(-log p_v). Default 0.
   */
  labelSmoothing?: number;
}

/**
 * Mean over the counted rows of -log softmax(logits)[target]. logits (..., V) and one
 * target per row (Int32Array). Rows whose target is ignoreIndex do not count; with no
 * counted row the loss is 0. With label smoothing eps the row loss gains
 * eps (z_t - mean_v z_v), which is linear in the logits, so its gradient is added to the
 * fused kernel's without a (N, V) buffer.
 *
 * @example
 * crossEntropy(logits, targets); // (B, T, V) with B*T targets -> ()
 * crossEntropy(logits, targets, { labelSmoothing: 0.1 }); // as PyTorch's label_smoothing=0.1
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
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) {
    throw new LlmtsError('E_RANGE', `crossEntropy: labelSmoothing must be in [0, 1), got ${eps}`, { where: 'crossEntropy', hint: 'use 0 (off) or a small value such as 0.1' });
  }
  const be = backend();
  const losses = pool.acquire(N), lse = pool.acquire(N); // (N) each; lse saved for backward
  const counted = be.crossEntropy(N, V, logits.data, targets, ignoreIndex, losses, lse);
  let total = 0;
  for (let i = 0; i < N; i++) total += losses[i]!;
  pool.release(losses);
  if (eps > 0) total += eps * smoothingSum(logits.data, N, V, targets, ignoreIndex);
  const out = Tensor.empty([]); // ()
  out.data[0] = counted === 0 ? 0 : total / counted;
  return record(out, 'crossEntropy', [logits], [lse], (dout) => {
    const dl = gradOf(logits);
    if (!dl || counted === 0) return;
    be.crossEntropyBackward(N, V, logits.data, targets, ignoreIndex, lse, dout[0]! / counted, dl);
    if (eps > 0) smoothingBackward(dl, N, V, targets, ignoreIndex, (eps * dout[0]!) / counted);
  });
}

/** Sum over counted rows of z_t - mean_v z_v (the label-smoothing term per unit eps). */
function smoothingSum(z: Float32Array, N: number, V: number, targets: Int32Array, ignoreIndex: number): number {
  let total = 0;
  for (let r = 0; r < N; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    const o = r * V;
    let s = 0;
    for (let c = 0; c < V; c++) s += z[o + c]!;
    total += z[o + t]! - s / V;
  }
  return total;
}

/** dl += g (onehot(t) - 1/V) on each counted row: the gradient of g * smoothingSum. */
function smoothingBackward(dl: Float32Array, N: number, V: number, targets: Int32Array, ignoreIndex: number, g: number): void {
  const spread = g / V;
  for (let r = 0; r < N; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    const o = r * V;
    for (let c = 0; c < V; c++) dl[o + c]! -= spread;
    dl[o + t]! += g;
  }
}
