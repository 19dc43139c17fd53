/**
 * InfoNCE with in-batch negatives (the loss of sentence-transformers'
 * MultipleNegativesRankingLoss, symmetric as in CLIP): row i of `q` and row i of `d` are a
 * pair, every other row of `d` is a negative for query i (and, symmetric, every other row
 * of `q` a negative for document i).
 *
 *   qn = q / |q|, dn = d / |d|            (B, C) each, row-wise L2 normalisation
 *   S  = qn dn^T / temperature            (B, B)
 *   L  = mean_i [logsumexp_j S_ij - S_ii]                   (query -> document)
 *      (+ mean_j [logsumexp_i S_ij - S_jj], then halved, when symmetric)
 *
 * `groups` (B) marks rows that are the same item (two translations of one sentence):
 * a pair (i, j != i) of one group is no negative and leaves the softmax of both directions.
 *
 * Forward and backward are plain loops in float64 sums (B is a batch, C a hidden width):
 * dS = (P - I) / B for each direction (P the row or column softmax), dqn = dS dn / t,
 * ddn = dS^T qn / t, and through the normalisation dx = (dy - y (y . dy)) / |x|.
 *
 * @example
 * const loss = infoNce(queryEmb, docEmb, { temperature: 0.05 }); // () on the tape
 * loss.backward(); // gradients flow into the encoder through both (B, C) inputs
 */
import { gradOf, record, Tensor } from '../tensor/tensor.ts';
import { LlmtsError } from '../util/errors.ts';

/** Options of `infoNce`. */
export interface InfoNceOptions {
  /** Softmax temperature (default 0.05, sentence-transformers' scale 20). */
  temperature?: number;
  /** Average both directions (query -> document and document -> query); default true. */
  symmetric?: boolean;
  /** (B) group id of each pair; rows of one group are not each other's negatives. */
  groups?: Int32Array | null;
}

/** Row-wise L2 normalisation of x (B, C) into y; returns the norms (B). */
function normalizeRows(x: Float32Array, B: number, C: number, y: Float64Array): Float64Array {
  const norms = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[b * C + c]! * x[b * C + c]!;
    const n = Math.max(Math.sqrt(ss), 1e-12);
    norms[b] = n;
    for (let c = 0; c < C; c++) y[b * C + c] = x[b * C + c]! / n;
  }
  return norms;
}

/** Adds to dx (B, C) the gradient through y = x / |x| given dy (B, C). */
function normalizeBackward(y: Float64Array, norms: Float64Array, dy: Float64Array, B: number, C: number, dx: Float32Array): void {
  for (let b = 0; b < B; b++) {
    let dot = 0;
    for (let c = 0; c < C; c++) dot += y[b * C + c]! * dy[b * C + c]!;
    for (let c = 0; c < C; c++) dx[b * C + c]! += (dy[b * C + c]! - y[b * C + c]! * dot) / norms[b]!;
  }
}

/**
 * Softmax cross-entropy of each line of S with the diagonal as its target, lines being
 * rows (`byRow`) or columns; adds `weight * (P - I) / B` into dS and returns the mean loss.
 */
function diagonalCe(S: Float64Array, B: number, byRow: boolean, masked: (i: number, j: number) => boolean, weight: number, dS: Float64Array): number {
  let total = 0;
  const at = (line: number, k: number) => (byRow ? line * B + k : k * B + line);
  for (let line = 0; line < B; line++) {
    let max = -Infinity;
    for (let k = 0; k < B; k++) if (!masked(line, k)) max = Math.max(max, S[at(line, k)]!);
    let z = 0;
    for (let k = 0; k < B; k++) if (!masked(line, k)) z += Math.exp(S[at(line, k)]! - max);
    total += max + Math.log(z) - S[at(line, line)]!;
    for (let k = 0; k < B; k++) {
      if (masked(line, k)) continue;
      const p = Math.exp(S[at(line, k)]! - max) / z;
      dS[at(line, k)]! += (weight * (p - (k === line ? 1 : 0))) / B;
    }
  }
  return total / B;
}

/** InfoNCE over in-batch negatives of q (B, C) and d (B, C) -> () (see the module comment). */
export function infoNce(q: Tensor, d: Tensor, o: InfoNceOptions = {}): Tensor {
  if (q.ndim !== 2 || d.ndim !== 2 || q.shape[0] !== d.shape[0] || q.shape[1] !== d.shape[1]) {
    throw new LlmtsError('E_SHAPE', `infoNce needs two (B, C) tensors of one shape, got [${q.shape.join(', ')}] and [${d.shape.join(', ')}]`, { where: 'infoNce', hint: 'pool each side to one vector per pair' });
  }
  const B = q.shape[0]!, C = q.shape[1]!;
  const t = o.temperature ?? 0.05, symmetric = o.symmetric ?? true, groups = o.groups ?? null;
  if (!(t > 0)) throw new LlmtsError('E_CONFIG', `infoNce temperature must be > 0, got ${t}`, { where: 'temperature', hint: 'e.g. 0.05' });
  if (groups && groups.length !== B) throw new LlmtsError('E_SHAPE', `infoNce groups has ${groups.length} entries for ${B} pairs`, { where: 'groups', hint: 'one group id per pair' });
  const masked = (i: number, j: number) => groups !== null && i !== j && groups[i] === groups[j];
  const qn = new Float64Array(B * C), dn = new Float64Array(B * C); // (B, C)
  const qNorm = normalizeRows(q.data, B, C, qn), dNorm = normalizeRows(d.data, B, C, dn);
  const S = new Float64Array(B * B); // (B, B)
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < B; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += qn[i * C + c]! * dn[j * C + c]!;
      S[i * B + j] = s / t;
    }
  }
  const dS = new Float64Array(B * B); // (B, B) dL/dS
  const w = symmetric ? 0.5 : 1;
  let loss = w * diagonalCe(S, B, true, masked, w, dS);
  if (symmetric) loss += w * diagonalCe(S, B, false, (j, i) => masked(i, j), w, dS);
  const out = Tensor.scalar(loss);
  return record(out, 'infoNce', [q, d], [], (dout) => {
    const g = dout[0]! / t;
    const dq = gradOf(q), dd = gradOf(d);
    if (dq) {
      const dqn = new Float64Array(B * C); // (B, C) = dS dn
      for (let i = 0; i < B; i++) {
        for (let j = 0; j < B; j++) {
          const s = dS[i * B + j]! * g;
          if (s !== 0) for (let c = 0; c < C; c++) dqn[i * C + c]! += s * dn[j * C + c]!;
        }
      }
      normalizeBackward(qn, qNorm, dqn, B, C, dq);
    }
    if (dd) {
      const ddn = new Float64Array(B * C); // (B, C) = dS^T qn
      for (let i = 0; i < B; i++) {
        for (let j = 0; j < B; j++) {
          const s = dS[i * B + j]! * g;
          if (s !== 0) for (let c = 0; c < C; c++) ddn[j * C + c]! += s * qn[i * C + c]!;
        }
      }
      normalizeBackward(dn, dNorm, ddn, B, C, dd);
    }
  }, { readsInputs: false, readsOutput: false });
}
