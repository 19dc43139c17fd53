/**
 * One embedding per document from any model `llmts embed` takes (src/tasks/embed.ts: a BERT
 * or BART encoder's masked mean, a decoder's or classifier trunk's mean of the final hidden
 * states), each L2-normalised. Encoders cut a long text to their context themselves; for
 * decoders the text's first blockSize tokens are embedded (a topic needs no more), where
 * `llmts embed` would refuse the text.
 *
 * @example
 * const { rows, dim } = embedDocuments(loadTaskModel('runs/bert'), ['a cat', 'a dog']); // (2, C)
 */
import { encodePrompt } from '../infer/tokens.ts';
import { embed, embedTokenIds } from '../tasks/embed.ts';
import type { TaskModel } from '../tasks/model-kind.ts';

/** Row-major (n, dim) embeddings. */
export interface DocEmbeddings {
  rows: Float32Array;
  dim: number;
}

/** Embeds every text (see the module comment); `onProgress` gets the texts done and their total. */
export function embedDocuments(m: TaskModel, texts: readonly string[], o: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {}): DocEmbeddings {
  let vecs: Float32Array[];
  if (m.kind === 'decoder' || m.kind === 'classifier') {
    const trunk = m.kind === 'decoder' ? m.model : m.model.base;
    vecs = texts.map((t, i) => {
      const v = embedTokenIds(m, encodePrompt(m.tokenizer, t).slice(0, trunk.config.blockSize), 'topics');
      if ((i + 1) % 32 === 0 || i + 1 === texts.length) o.onProgress?.(i + 1, texts.length);
      return v;
    });
  } else {
    vecs = embed(m, texts, { batchSize: o.batchSize, onProgress: o.onProgress, caller: 'topics' });
  }
  const dim = vecs[0]!.length;
  const rows = new Float32Array(texts.length * dim); // (n, dim)
  vecs.forEach((v, i) => rows.set(v, i * dim));
  return { rows, dim };
}
