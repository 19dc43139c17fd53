/**
 * Matrix products: `matmul` (batched, optional transposes, one side may be a shared 2-D
 * matrix) and `linear` (x @ W^T + b with the Hugging Face weight layout W (out, in)).
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Tensor, fmtShape, gradFor, gradOf, record } from './tensor.ts';

/** Transpose flags of `matmul`. */
export interface MatmulOptions {
  /** Use a^T: a's last two dims are (K, M). */
  transA?: boolean;
  /** Use b^T: b's last two dims are (N, K). */
  transB?: boolean;
}

/**
 * Batched matrix product op(a) @ op(b) over the last two dims.
 * a (..., M, K) and b (..., K, N) with equal batch dims, or either one 2-D (shared by
 * every batch). Result (..., M, N).
 *
 * @example
 * matmul(q, k, { transB: true }); // (B, nh, T, hs) @ (B, nh, T, hs)^T -> (B, nh, T, T)
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  if (a.ndim < 2 || b.ndim < 2) {
    throw new LlmtsError('E_SHAPE', `matmul needs tensors of >= 2 dims, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`, { where: 'matmul' });
  }
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const M = transA ? ac : ar, K = transA ? ar : ac;
  const N = transB ? br : bc, Kb = transB ? bc : br;
  if (K !== Kb) {
    throw new LlmtsError('E_SHAPE', `matmul inner dims differ: ${fmtShape(a.shape)}${transA ? '^T' : ''} @ ${fmtShape(b.shape)}${transB ? '^T' : ''}`, {
      where: 'matmul', hint: 'the contracted dims (K) of op(a) and op(b) must be equal' });
  }
  const aBatch = a.shape.slice(0, -2), bBatch = b.shape.slice(0, -2);
  const aBatched = aBatch.length > 0, bBatched = bBatch.length > 0;
  if (aBatched && bBatched && aBatch.join(',') !== bBatch.join(',')) {
    throw new LlmtsError('E_SHAPE', `matmul batch dims differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`, {
      where: 'matmul', hint: 'batch dims must be equal, or one operand must be a 2-D matrix' });
  }
  const batchShape = aBatched ? aBatch : bBatch;
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const lda = transA ? M : K, ldb = transB ? K : N;
  const sA = aBatched ? M * K : 0, sB = bBatched ? K * N : 0;
  const be = backend();
  const out = Tensor.empty([...batchShape, M, N]); // (..., M, N)
  // a batched, b shared and not transposed a: one GEMM over (batch * M) rows
  const flatA = aBatched && !bBatched && !transA;
  if (flatA) be.gemm(false, transB, batch * M, N, K, 1, a.data, lda, 0, b.data, ldb, 0, 0, out.data, N, 0, 1);
  else be.gemm(transA, transB, M, N, K, 1, a.data, lda, sA, b.data, ldb, sB, 0, out.data, N, M * N, batch);

  return record(out, 'matmul', [a, b], [], (dC) => {
    // a fresh gradient buffer is written (beta = 0), an existing one is added to (beta = 1)
    const sa = gradFor(a), sb = gradFor(b);
    if (batch * M * N === 0) {
      // an empty product: no gradient flows, but fresh buffers must still read as zeros
      if (sa?.fresh) sa.g.fill(0);
      if (sb?.fresh) sb.g.fill(0);
      return;
    }
    if (sa) {
      const dA = sa.g, beta = sa.fresh ? 0 : 1;
      if (flatA) {
        be.gemm(false, !transB, batch * M, K, N, 1, dC, N, 0, b.data, ldb, 0, beta, dA, K, 0, 1); // (batch*M, K)
      } else if (aBatched) {
        gradA(be, transA, transB, M, N, K, dC, b.data, ldb, sB, beta, dA, M * K, batch);
      } else {
        // a shared by every batch: sum the per-batch gradients, one GEMM at a time
        for (let i = 0; i < batch; i++) {
          gradA(be, transA, transB, M, N, K, dC.subarray(i * M * N), b.data.subarray(i * sB), ldb, 0, i === 0 ? beta : 1, dA, 0, 1);
        }
      }
    }
    if (sb) {
      const dB = sb.g, beta = sb.fresh ? 0 : 1;
      if (flatA) {
        // dB = (batch*M rows of a)^T @ dC, as one GEMM
        if (!transB) be.gemm(true, false, K, N, batch * M, 1, a.data, K, 0, dC, N, 0, beta, dB, N, 0, 1); // (K, N)
        else be.gemm(true, false, N, K, batch * M, 1, dC, N, 0, a.data, K, 0, beta, dB, K, 0, 1); // (N, K)
      } else if (bBatched) {
        gradB(be, transA, transB, M, N, K, a.data, lda, sA, dC, beta, dB, K * N, batch);
      } else {
        for (let i = 0; i < batch; i++) {
          gradB(be, transA, transB, M, N, K, a.data.subarray(i * sA), lda, 0, dC.subarray(i * M * N), i === 0 ? beta : 1, dB, 0, 1);
        }
      }
    }
  });
}

type Be = ReturnType<typeof backend>;

/** dA = beta dA + dC op(B)^T (stored as A is: (M, K), or (K, M) when transA). */
function gradA(be: Be, transA: boolean, transB: boolean, M: number, N: number, K: number,
  dC: Float32Array, b: Float32Array, ldb: number, sB: number, beta: number, dA: Float32Array, sdA: number, batch: number): void {
  if (!transA) be.gemm(false, !transB, M, K, N, 1, dC, N, M * N, b, ldb, sB, beta, dA, K, sdA, batch); // (M, K)
  else be.gemm(transB, true, K, M, N, 1, b, ldb, sB, dC, N, M * N, beta, dA, M, sdA, batch); // (K, M)
}

/** dB = beta dB + op(A)^T dC (stored as B is: (K, N), or (N, K) when transB). */
function gradB(be: Be, transA: boolean, transB: boolean, M: number, N: number, K: number,
  a: Float32Array, lda: number, sA: number, dC: Float32Array, beta: number, dB: Float32Array, sdB: number, batch: number): void {
  if (!transB) be.gemm(!transA, false, K, N, M, 1, a, lda, sA, dC, N, M * N, beta, dB, N, sdB, batch); // (K, N)
  else be.gemm(true, transA, N, K, M, 1, dC, N, M * N, a, lda, sA, beta, dB, K, sdB, batch); // (N, K)
}

/**
 * Checks the operands of an affine map over the last dim (x (..., in), weight (out, in),
 * bias (out)) and returns its sizes; `op` and `xName` name them in the E_SHAPE error.
 * Shared by `linear` and `geluLinear`.
 */
export function linearShape(op: string, xName: string, x: Tensor, weight: Tensor, bias?: Tensor | null): { inF: number; outF: number; rows: number } {
  const inF = x.shape[x.ndim - 1]!;
  if (weight.ndim !== 2 || weight.shape[1] !== inF) {
    throw new LlmtsError('E_SHAPE', `${op}: ${xName} ${fmtShape(x.shape)} does not fit weight ${fmtShape(weight.shape)}`, {
      where: op, hint: `weight must be (out_features, in_features) with in_features = the last dim of ${xName}` });
  }
  const outF = weight.shape[0]!;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new LlmtsError('E_SHAPE', `${op}: bias ${fmtShape(bias.shape)} does not match ${outF} outputs`, { where: op });
  }
  return { inF, outF, rows: x.size / inF };
}

/**
 * Affine map over the last dim: x (..., in), weight (out, in), bias (out) -> (..., out).
 * Same layout as torch.nn.Linear / Hugging Face checkpoints.
 *
 * @example
 * linear(x, w, b); // (B, T, 768) -> (B, T, 3072) with w (3072, 768)
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const { inF, outF, rows } = linearShape('linear', 'x', x, weight, bias);
  const be = backend();
  const y = Tensor.empty([...x.shape.slice(0, -1), outF]); // (..., out)
  be.gemm(false, true, rows, outF, inF, 1, x.data, inF, 0, weight.data, inF, 0, 0, y.data, outF, 0, 1);
  if (bias) be.addBias(rows, outF, y.data, bias.data, y.data);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, 'linear', inputs, [], (dy) => {
    const sx = gradFor(x), sw = gradFor(weight), db = bias ? gradOf(bias) : null;
    if (rows === 0 || outF === 0) {
      // nothing flows (empty input or output), but fresh buffers must still read as zeros
      if (sx?.fresh) sx.g.fill(0);
      if (sw?.fresh) sw.g.fill(0);
      return;
    }
    if (sx) be.gemm(false, false, rows, inF, outF, 1, dy, outF, 0, weight.data, inF, 0, sx.fresh ? 0 : 1, sx.g, inF, 0, 1); // (rows, in)
    if (sw) be.gemm(true, false, outF, inF, rows, 1, dy, outF, 0, x.data, inF, 0, sw.fresh ? 0 : 1, sw.g, inF, 0, 1); // (out, in)
    if (db) be.addBiasBackward(rows, outF, dy, db);
  }, { readsOutput: false });
}
