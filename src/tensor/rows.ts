/**
 * Rows by index: `gatherRows` copies rows of one or more (n_i, C) tensors into a new
 * (m, C) tensor (its backward scatter-adds into the sources), and `scatterAddRows` sums
 * rows of an (m, C) tensor into (n, C) by a parent index (its backward gathers). A
 * Tree-LSTM uses them to batch a whole tree level: gather the children's states from the
 * levels below, run one matrix product, sum children per parent.
 * Plain loops (no backend kernel): they move O(m C) values next to O(m C^2) GEMMs.
 */
import { LlmtsError } from '../util/errors.ts';
import { Tensor, fmtShape, gradOf, record } from './tensor.ts';

/** Checks that every source is 2-D with C columns; returns C. */
function rowWidth(sources: readonly Tensor[], op: string): number {
  if (sources.length === 0) throw new LlmtsError('E_SHAPE', `${op}: no source tensors`, { where: op });
  const C = sources[0]!.shape[sources[0]!.ndim - 1]!;
  for (const s of sources) {
    if (s.ndim !== 2 || s.shape[1] !== C) {
      throw new LlmtsError('E_SHAPE', `${op}: sources must be 2-D (n, ${C}), got ${fmtShape(s.shape)}`, { where: op });
    }
  }
  return C;
}

/**
 * out[i] = sources[src[i]][row[i]]: rows picked from several (n_k, C) tensors -> (m, C),
 * m = src.length. The backward adds each out row's gradient into its source row (a row
 * picked twice gets both).
 *
 * @example
 * gatherRows([h0, h1, h2], src, row); // the children's h of one tree level, (m, H)
 */
export function gatherRows(sources: readonly Tensor[], src: Int32Array, row: Int32Array): Tensor {
  const C = rowWidth(sources, 'gatherRows');
  const m = src.length;
  if (row.length !== m) throw new LlmtsError('E_SHAPE', `gatherRows: ${m} source indices but ${row.length} row indices`, { where: 'gatherRows' });
  for (let i = 0; i < m; i++) {
    const s = sources[src[i]!];
    if (!s || row[i]! < 0 || row[i]! >= s.shape[0]!) {
      throw new LlmtsError('E_RANGE', `gatherRows: entry ${i} asks for row ${row[i]} of source ${src[i]}, which ${s ? `has ${s.shape[0]} rows` : 'does not exist'}`, { where: 'gatherRows' });
    }
  }
  const out = Tensor.empty([m, C]); // (m, C)
  const od = out.data;
  for (let i = 0; i < m; i++) {
    const sd = sources[src[i]!]!.data, o = row[i]! * C;
    for (let c = 0; c < C; c++) od[i * C + c] = sd[o + c]!;
  }
  // the graph's inputs: the sources read (a copy: the caller's array may grow afterwards)
  const used = [...new Set(Array.from(src, (k) => sources[k]!))];
  return record(out, 'gatherRows', used, [], (dout) => {
    for (let i = 0; i < m; i++) {
      const ds = gradOf(sources[src[i]!]!);
      if (!ds) continue;
      const o = row[i]! * C;
      for (let c = 0; c < C; c++) ds[o + c]! += dout[i * C + c]!;
    }
  }, { readsOutput: false, readsInputs: false });
}

/**
 * out[p] = sum of x[i] over the rows i with index[i] = p: (m, C) -> (n, C). Rows of out
 * that no index names are zero. The backward copies out's gradient row back to each x row.
 *
 * @example
 * scatterAddRows(hChildren, parentOf, nParents); // the sum of each parent's children, (n, H)
 */
export function scatterAddRows(x: Tensor, index: Int32Array, n: number): Tensor {
  if (x.ndim !== 2 || x.shape[0] !== index.length) {
    throw new LlmtsError('E_SHAPE', `scatterAddRows: x must be (${index.length}, C) for ${index.length} indices, got ${fmtShape(x.shape)}`, { where: 'scatterAddRows' });
  }
  const m = index.length, C = x.shape[1]!;
  for (let i = 0; i < m; i++) {
    if (index[i]! < 0 || index[i]! >= n) throw new LlmtsError('E_RANGE', `scatterAddRows: index ${index[i]} at ${i} is outside [0, ${n})`, { where: 'scatterAddRows' });
  }
  const out = Tensor.zeros([n, C]); // (n, C)
  const od = out.data, xd = x.data;
  for (let i = 0; i < m; i++) {
    const o = index[i]! * C;
    for (let c = 0; c < C; c++) od[o + c]! += xd[i * C + c]!;
  }
  return record(out, 'scatterAddRows', [x], [], (dout) => {
    const dx = gradOf(x);
    if (!dx) return;
    for (let i = 0; i < m; i++) {
      const o = index[i]! * C;
      for (let c = 0; c < C; c++) dx[i * C + c]! += dout[o + c]!;
    }
  }, { readsOutput: false, readsInputs: false });
}
