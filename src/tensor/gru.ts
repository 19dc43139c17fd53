/**
 * One direction of a GRU layer over padded sequences, as a single op with its backward
 * (back-propagation through time) beside it (the HAN family's encoders, src/models/han). The gates follow torch.nn.GRU (order r, z, n):
 *   r = sigmoid(gx_r + W_hr h + b_hr),  z = sigmoid(gx_z + W_hz h + b_hz)
 *   n = tanh(gx_n + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
 * where gx = x W_ih^T + b_ih is computed for every step beforehand (one GEMM over all
 * steps, by the caller). Per step: one (N, H) x (H, 3H) GEMM on the backend, then the
 * gates in one loop. The backward runs the steps in reverse: per step the gate
 * gradients in one loop and dh_prev += dgh W_hh (a GEMM); dW_hh is one GEMM over all
 * steps at the end.
 *
 * Padding: row i's steps are t < lengths[i], later steps are padding. At a padding step
 * the state is carried unchanged and the output is 0, so a forward pass ends on the last
 * real word and a reverse pass (`reverse`: t = T-1 .. 0) starts at it with h = 0, exactly
 * as torch's packed sequences run.
 *
 * @example
 * const gx = linear(x, wIh, bIh);                        // (N, T, 3H)
 * const h = gruSequence(gx, wHh, bHh, lengths, false);   // (N, T, H)
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { pool } from './pool.ts';
import { fmtShape, gradFor, gradOf, record, Tensor } from './tensor.ts';

type Buf = Float32Array;

function sigmoidOf(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

function checkShapes(gx: Tensor, whh: Tensor, bhh: Tensor, lengths: Int32Array): [number, number, number] {
  const [N, T, G] = gx.shape as [number, number, number];
  const H = whh.shape[1]!;
  if (gx.ndim !== 3 || whh.ndim !== 2 || whh.shape[0] !== 3 * H || G !== 3 * H || bhh.size !== 3 * H) {
    throw new LlmtsError('E_SHAPE', `gruSequence: gx ${fmtShape(gx.shape)}, W_hh ${fmtShape(whh.shape)}, b_hh ${fmtShape(bhh.shape)} do not fit (N, T, 3H), (3H, H), (3H)`, { where: 'gruSequence' });
  }
  if (lengths.length !== N) throw new LlmtsError('E_SHAPE', `gruSequence: ${lengths.length} lengths for ${N} rows`, { where: 'gruSequence' });
  for (let i = 0; i < N; i++) {
    if (!(lengths[i]! >= 0 && lengths[i]! <= T)) throw new LlmtsError('E_RANGE', `gruSequence: length ${lengths[i]} of row ${i} is outside [0, ${T}]`, { where: 'gruSequence' });
  }
  return [N, T, H];
}

/** See the module comment: gx (N, T, 3H), whh (3H, H), bhh (3H) -> (N, T, H). */
export function gruSequence(gx: Tensor, whh: Tensor, bhh: Tensor, lengths: Int32Array, reverse: boolean): Tensor {
  const [N, T, H] = checkShapes(gx, whh, bhh, lengths);
  const G = 3 * H;
  const be = backend();
  const out = Tensor.empty([N, T, H]); // (N, T, H)
  const acts = pool.acquire(N * T * 4 * H); // per (i, t): r, z, n, W_hn h + b_hn
  const h = pool.acquire(N * H), gh = pool.acquire(N * G); // (N, H), (N, 3H)
  h.fill(0);
  const xd = gx.data, wd = whh.data, bd = bhh.data, od = out.data;
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    be.gemm(false, true, N, G, H, 1, h, H, 0, wd, H, 0, 0, gh, G, 0, 1); // (N, 3H) = h W_hh^T
    for (let i = 0; i < N; i++) {
      const o = (i * T + t) * H;
      if (t >= lengths[i]!) {
        od.fill(0, o, o + H); // padding: output 0, state carried
        continue;
      }
      const x = (i * T + t) * G, g = i * G, a = (i * T + t) * 4 * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoidOf(xd[x + j]! + gh[g + j]! + bd[j]!);
        const z = sigmoidOf(xd[x + H + j]! + gh[g + H + j]! + bd[H + j]!);
        const hn = gh[g + 2 * H + j]! + bd[2 * H + j]!;
        const n = Math.tanh(xd[x + 2 * H + j]! + r * hn);
        const hNew = (1 - z) * n + z * h[i * H + j]!;
        h[i * H + j] = hNew;
        od[o + j] = hNew;
        acts[a + j] = r;
        acts[a + H + j] = z;
        acts[a + 2 * H + j] = n;
        acts[a + 3 * H + j] = hn;
      }
    }
  }
  pool.release(h);
  pool.release(gh);
  return record(out, 'gruSequence', [gx, whh, bhh], [acts], (dout) => gruSequenceBackward(dout, out.data, acts, gx, whh, bhh, lengths, reverse, [N, T, H]));
}

/** Back-propagation through time of `gruSequence` (see the module comment). */
function gruSequenceBackward(dout: Buf, od: Buf, acts: Buf, gx: Tensor, whh: Tensor, bhh: Tensor, lengths: Int32Array, reverse: boolean, [N, T, H]: [number, number, number]): void {
  const G = 3 * H;
  const be = backend();
  const sx = gradFor(gx);
  const dx = sx?.g ?? null, addX = sx !== null && !sx.fresh;
  const dgh = pool.acquire(N * T * G); // per (i, t): d(W_hh h + b_hh), 0 at padding
  const hPrev = pool.acquire(N * T * H); // per (i, t): the state the step read
  const dh = pool.acquire(N * H); // (N, H) d loss / d h carried back through the steps
  dh.fill(0);
  const wd = whh.data;
  for (let k = T - 1; k >= 0; k--) {
    const t = reverse ? T - 1 - k : k;
    const tp = reverse ? t + 1 : t - 1; // the step whose output this step read as h
    for (let i = 0; i < N; i++) {
      const x = (i * T + t) * G;
      if (t >= lengths[i]!) {
        dgh.fill(0, x, x + G);
        hPrev.fill(0, (i * T + t) * H, (i * T + t + 1) * H);
        if (dx && !addX) dx.fill(0, x, x + G);
        continue; // padding: dh passes through unchanged
      }
      const a = (i * T + t) * 4 * H, o = (i * T + t) * H;
      for (let j = 0; j < H; j++) {
        const d = dh[i * H + j]! + dout[o + j]!;
        const hp = tp >= 0 && tp < T ? od[(i * T + tp) * H + j]! : 0;
        const r = acts[a + j]!, z = acts[a + H + j]!, n = acts[a + 2 * H + j]!, hn = acts[a + 3 * H + j]!;
        const dnPre = d * (1 - z) * (1 - n * n);
        const dzPre = d * (hp - n) * z * (1 - z);
        const drPre = dnPre * hn * r * (1 - r);
        if (dx) {
          if (addX) {
            dx[x + j]! += drPre;
            dx[x + H + j]! += dzPre;
            dx[x + 2 * H + j]! += dnPre;
          } else {
            dx[x + j] = drPre;
            dx[x + H + j] = dzPre;
            dx[x + 2 * H + j] = dnPre;
          }
        }
        dgh[x + j] = drPre;
        dgh[x + H + j] = dzPre;
        dgh[x + 2 * H + j] = dnPre * r;
        dh[i * H + j] = d * z;
        hPrev[o + j] = hp;
      }
    }
    // dh_prev += dgh_t W_hh: the step's rows of dgh are T*3H apart
    be.gemm(false, false, N, H, G, 1, dgh.subarray(t * G), T * G, 0, wd, H, 0, 1, dh, H, 0, 1);
  }
  const sw = gradFor(whh);
  if (sw) be.gemm(true, false, G, H, N * T, 1, dgh, G, 0, hPrev, H, 0, sw.fresh ? 0 : 1, sw.g, H, 0, 1); // (3H, H) = dgh^T hPrev
  const db = gradOf(bhh);
  if (db) {
    for (let r = 0; r < N * T; r++) for (let c = 0; c < G; c++) db[c]! += dgh[r * G + c]!;
  }
  pool.release(dgh);
  pool.release(hPrev);
  pool.release(dh);
}
