/**
 * The binary Tree-LSTM over a whole `TreePlan` as one op, its backward beside it (the
 * fast path of `BinaryTreeCell`; the same arithmetic as the cell's step-by-step graph).
 * Forward, step by step: a step of leaves turns its rows of `leafIou` = W x + b into
 * states; a step of n inner nodes gathers its children's h into one (n, 2H) block, runs
 * one (n, 2H) x (2H, 5H) GEMM on the backend, then the gate nonlinearities and the cell
 * update in one loop. All nodes' h, c and gate activations live in whole-plan buffers
 * (no per-step tensors, no graph nodes per step).
 * Backward, steps in reverse: the gate gradients of a step in one loop (dc flows to the
 * children there), the children's dh by one GEMM; dU (one GEMM over every inner node)
 * and db at the end. Each intermediate is stored with its buffer's precision (float32,
 * or float64 under `withFloat64`), as the unfused ops store it, so results are the
 * unfused ones up to the summation order of the weight gradient.
 *
 * @example
 * const h = binaryTreePlan(plan, leafIou, compose.weight, compose.bias); // (plan.nodes, H)
 */
import { backend } from '../../backend/index.ts';
import { pool } from '../../tensor/pool.ts';
import { fmtShape, gradFor, gradOf, record, Tensor } from '../../tensor/tensor.ts';
import { LlmtsError } from '../../util/errors.ts';
import type { TreePlan } from './plan.ts';

type Buf = Float32Array;

function sigmoidOf(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/**
 * A pool buffer of at least rows x width, rows rounded up to one of 8 sizes per power of
 * two: batches of trees differ in node count, and the pool keeps exact sizes, so exact
 * requests would allocate fresh buffers every step.
 */
function acquireRows(rows: number, width: number): Buf {
  const r = Math.max(rows, 64);
  const q = 2 ** Math.max(0, Math.ceil(Math.log2(r)) - 3);
  return pool.acquire(Math.ceil(r / q) * q * width);
}

/** Where each step's rows start: in the output (`out`), among leaves (`leaf`) or inner nodes (`inner`). */
interface Layout {
  out: Int32Array;
  leaf: Int32Array;
  inner: Int32Array;
  leaves: number;
  inners: number;
  maxInner: number;
}

function layout(plan: TreePlan): Layout {
  const S = plan.steps.length;
  const out = new Int32Array(S), leaf = new Int32Array(S), inner = new Int32Array(S);
  let o = 0, l = 0, i = 0, maxInner = 0;
  plan.steps.forEach((s, k) => {
    out[k] = o; leaf[k] = l; inner[k] = i;
    o += s.n;
    if (s.words) l += s.n;
    else {
      if (s.arity !== 2) {
        throw new LlmtsError('E_TREE', `the binary Tree-LSTM needs exactly 2 children per inner node; a step has ${s.arity === 0 ? 'mixed arities' : `${s.arity} per node`}`, {
          where: 'tree-lstm', hint: "binarise the trees, or use arch 'child-sum-tree-lstm' for any arity" });
      }
      i += s.n;
      maxInner = Math.max(maxInner, s.n);
    }
  });
  return { out, leaf, inner, leaves: l, inners: i, maxInner };
}

/**
 * Every node's h, (plan.nodes, H) in the plan's output order, from the leaves' gates
 * `leafIou` ((leaves, 3H): the leaf steps' rows in step order) and the compose Linear's
 * `weight` (5H, 2H) and `bias` (5H). See the module comment.
 */
export function binaryTreePlan(plan: TreePlan, leafIou: Tensor, weight: Tensor, bias: Tensor): Tensor {
  const H = weight.shape[1]! / 2, G = 5 * H;
  const L = layout(plan);
  if (weight.ndim !== 2 || weight.shape[0] !== G || bias.size !== G || leafIou.ndim !== 2 || leafIou.shape[0] !== L.leaves || leafIou.shape[1] !== 3 * H) {
    throw new LlmtsError('E_SHAPE', `binaryTreePlan: leafIou ${fmtShape(leafIou.shape)}, weight ${fmtShape(weight.shape)}, bias ${fmtShape(bias.shape)} do not fit (${L.leaves}, 3H), (5H, 2H), (5H)`, { where: 'binaryTreePlan' });
  }
  const be = backend();
  const round = Math.fround;
  const out = Tensor.empty([plan.nodes, H]); // (nodes, H)
  const f32 = out.data instanceof Float32Array;
  const r32 = (v: number): number => (f32 ? round(v) : v); // what a float32 tensor would hold
  const hd = out.data;
  const cd = acquireRows(plan.nodes, H); // (nodes, H) memory cells
  const tc = acquireRows(plan.nodes, H); // (nodes, H) tanh(c)
  const acts = acquireRows(plan.nodes, G); // (nodes, 5H): inner i, f_l, f_r, o after sigmoid, tanh(u); leaves i, o, tanh(u)
  const hk = acquireRows(L.inners, 2 * H); // (inners, 2H) the children's [h_l; h_r]
  const xd = leafIou.data, wd = weight.data, bd = bias.data;
  for (let k = 0; k < plan.steps.length; k++) {
    const s = plan.steps[k]!, o0 = L.out[k]!;
    if (s.words) {
      for (let r = 0; r < s.n; r++) {
        const x = (L.leaf[k]! + r) * 3 * H, g = o0 + r, a = g * G;
        for (let j = 0; j < H; j++) {
          const si = r32(sigmoidOf(xd[x + j]!)), so = r32(sigmoidOf(xd[x + H + j]!)), tu = r32(Math.tanh(xd[x + 2 * H + j]!));
          const c = r32(si * tu), t = r32(Math.tanh(c));
          acts[a + j] = si; acts[a + H + j] = so; acts[a + 2 * H + j] = tu;
          cd[g * H + j] = c; tc[g * H + j] = t;
          hd[g * H + j] = so * t;
        }
      }
      continue;
    }
    const i0 = L.inner[k]!;
    for (let r = 0; r < s.n; r++) {
      const dst = (i0 + r) * 2 * H;
      const lrow = L.out[s.childStep[2 * r]!]! + s.childRow[2 * r]!, rrow = L.out[s.childStep[2 * r + 1]!]! + s.childRow[2 * r + 1]!;
      for (let j = 0; j < H; j++) {
        hk[dst + j] = hd[lrow * H + j]!;
        hk[dst + H + j] = hd[rrow * H + j]!;
      }
    }
    be.gemm(false, true, s.n, G, 2 * H, 1, hk.subarray(i0 * 2 * H), 2 * H, 0, wd, 2 * H, 0, 0, acts.subarray(o0 * G), G, 0, 1); // (n, 5H) = hk U^T
    for (let r = 0; r < s.n; r++) {
      const g = o0 + r, a = g * G;
      const lc = (L.out[s.childStep[2 * r]!]! + s.childRow[2 * r]!) * H, rc = (L.out[s.childStep[2 * r + 1]!]! + s.childRow[2 * r + 1]!) * H;
      for (let j = 0; j < H; j++) {
        // each value rounded as the unfused ops' float32 tensors hold it
        const si = r32(sigmoidOf(r32(acts[a + j]! + bd[j]!)));
        const sl = r32(sigmoidOf(r32(acts[a + H + j]! + bd[H + j]!)));
        const sr = r32(sigmoidOf(r32(acts[a + 2 * H + j]! + bd[2 * H + j]!)));
        const so = r32(sigmoidOf(r32(acts[a + 3 * H + j]! + bd[3 * H + j]!)));
        const tu = r32(Math.tanh(r32(acts[a + 4 * H + j]! + bd[4 * H + j]!)));
        const carried = r32(r32(sl * cd[lc + j]!) + r32(sr * cd[rc + j]!));
        const c = r32(r32(si * tu) + carried), t = r32(Math.tanh(c));
        acts[a + j] = si; acts[a + H + j] = sl; acts[a + 2 * H + j] = sr; acts[a + 3 * H + j] = so; acts[a + 4 * H + j] = tu;
        cd[g * H + j] = c; tc[g * H + j] = t;
        hd[g * H + j] = so * t;
      }
    }
  }
  return record(out, 'binaryTreePlan', [leafIou, weight, bias], [cd, tc, acts, hk],
    (dout) => binaryTreePlanBackward(dout, plan, L, H, cd, tc, acts, hk, leafIou, weight, bias), { readsOutput: false });
}

/** The backward of `binaryTreePlan` (module comment): dout (nodes, H) is d loss / d h. */
function binaryTreePlanBackward(dout: Buf, plan: TreePlan, L: Layout, H: number, cd: Buf, tc: Buf, acts: Buf, hk: Buf, leafIou: Tensor, weight: Tensor, bias: Tensor): void {
  const G = 5 * H;
  const be = backend();
  const dh = acquireRows(plan.nodes, H); // (nodes, H) d h: from the head, then from the parents
  dh.set(dout.subarray(0, plan.nodes * H));
  const dc = acquireRows(plan.nodes, H).fill(0); // (nodes, H) d c from the parents
  const dg = acquireRows(L.inners, G); // (inners, 5H) d of the gates before the nonlinearities
  const dhk = acquireRows(L.maxInner, 2 * H); // (n, 2H) one step's d [h_l; h_r]
  const sx = gradFor(leafIou);
  const dx = sx?.g ?? null, addX = sx !== null && !sx.fresh;
  const wd = weight.data;
  for (let k = plan.steps.length - 1; k >= 0; k--) {
    const s = plan.steps[k]!, o0 = L.out[k]!;
    if (s.words) {
      if (!dx) continue;
      for (let r = 0; r < s.n; r++) {
        const g = o0 + r, a = g * G, x = (L.leaf[k]! + r) * 3 * H;
        for (let j = 0; j < H; j++) {
          const si = acts[a + j]!, so = acts[a + H + j]!, tu = acts[a + 2 * H + j]!, t = tc[g * H + j]!, d = dh[g * H + j]!;
          const dcv = dc[g * H + j]! + d * so * (1 - t * t);
          const di = dcv * tu * si * (1 - si), dOut = d * t * so * (1 - so), du = dcv * si * (1 - tu * tu);
          if (addX) { dx[x + j]! += di; dx[x + H + j]! += dOut; dx[x + 2 * H + j]! += du; }
          else { dx[x + j] = di; dx[x + H + j] = dOut; dx[x + 2 * H + j] = du; }
        }
      }
      continue;
    }
    const i0 = L.inner[k]!;
    for (let r = 0; r < s.n; r++) {
      const g = o0 + r, a = g * G, e = (i0 + r) * G;
      const lc = (L.out[s.childStep[2 * r]!]! + s.childRow[2 * r]!) * H, rc = (L.out[s.childStep[2 * r + 1]!]! + s.childRow[2 * r + 1]!) * H;
      for (let j = 0; j < H; j++) {
        const si = acts[a + j]!, sl = acts[a + H + j]!, sr = acts[a + 2 * H + j]!, so = acts[a + 3 * H + j]!, tu = acts[a + 4 * H + j]!;
        const t = tc[g * H + j]!, d = dh[g * H + j]!;
        const dcv = dc[g * H + j]! + d * so * (1 - t * t);
        dg[e + j] = dcv * tu * si * (1 - si);
        dg[e + H + j] = dcv * cd[lc + j]! * sl * (1 - sl);
        dg[e + 2 * H + j] = dcv * cd[rc + j]! * sr * (1 - sr);
        dg[e + 3 * H + j] = d * t * so * (1 - so);
        dg[e + 4 * H + j] = dcv * si * (1 - tu * tu);
        dc[lc + j]! += dcv * sl;
        dc[rc + j]! += dcv * sr;
      }
    }
    be.gemm(false, false, s.n, 2 * H, G, 1, dg.subarray(i0 * G), G, 0, wd, 2 * H, 0, 0, dhk, 2 * H, 0, 1); // (n, 2H) = dg U
    for (let r = 0; r < s.n; r++) {
      const lh = (L.out[s.childStep[2 * r]!]! + s.childRow[2 * r]!) * H, rh = (L.out[s.childStep[2 * r + 1]!]! + s.childRow[2 * r + 1]!) * H;
      for (let j = 0; j < H; j++) {
        dh[lh + j]! += dhk[r * 2 * H + j]!;
        dh[rh + j]! += dhk[r * 2 * H + H + j]!;
      }
    }
  }
  const sw = gradFor(weight);
  if (sw) {
    if (L.inners > 0) be.gemm(true, false, G, 2 * H, L.inners, 1, dg, G, 0, hk, 2 * H, 0, sw.fresh ? 0 : 1, sw.g, 2 * H, 0, 1); // (5H, 2H) = dg^T hk
    else if (sw.fresh) sw.g.fill(0);
  }
  const db = gradOf(bias);
  if (db && L.inners > 0) be.addBiasBackward(L.inners, G, dg, db);
  pool.release(dh);
  pool.release(dc);
  pool.release(dg);
  pool.release(dhk);
}
