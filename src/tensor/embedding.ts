/**
 * Embedding lookup (rows of a table by integer id) and its scatter-add gradient.
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Tensor, fmtShape, gradOf, record } from './tensor.ts';

/**
 * Rows of table (V, C) picked by ids; the result has shape (...shape, C) where shape
 * defaults to [ids.length].
 *
 * @example
 * embedding(wte, ids, [B, T]); // (B, T, C)
 */
export function embedding(table: Tensor, ids: Int32Array, shape?: readonly number[]): Tensor {
  if (table.ndim !== 2) {
    throw new LlmtsError('E_SHAPE', `embedding table must be 2-D (V, C), got ${fmtShape(table.shape)}`, { where: 'embedding' });
  }
  const [V, C] = table.shape as [number, number];
  const lead = shape ?? [ids.length];
  if (lead.reduce((p, d) => p * d, 1) !== ids.length) {
    throw new LlmtsError('E_SHAPE', `embedding: ${ids.length} ids do not fill shape ${fmtShape(lead)}`, { where: 'embedding' });
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= V) {
      throw new LlmtsError('E_RANGE', `embedding: id ${id} at position ${i} is outside the table [0, ${V})`, {
        where: 'embedding', hint: 'token ids must be smaller than the vocabulary size of the model' });
    }
  }
  const be = backend();
  const n = ids.length;
  const out = Tensor.empty([...lead, C]); // (...shape, C)
  be.embedding(n, C, ids, table.data, out.data);
  return record(out, 'embedding', [table], [], (dout) => {
    const dt = gradOf(table);
    if (dt) be.embeddingBackward(n, C, ids, dout, dt);
  }, { readsOutput: false });
}
