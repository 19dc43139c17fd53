/**
 * Splits named parameters into a weight-decay group and a no-decay group, the usual
 * rule (nanoGPT, HF): matrices decay; vectors (biases, norm gains) do not. Embedding
 * tables are matrices; pass `decayEmbeddings: false` to exempt them too.
 *
 * @example
 * const opt = new AdamW(decayGroups(model.namedParameters(), { weightDecay: 0.1 }), { lr: 1e-3 });
 */
import type { OptimParam, ParamGroup } from './param.ts';

export interface DecayGroupOptions {
  weightDecay: number;
  /** Default true. When false, parameters whose name marks an embedding are not decayed. */
  decayEmbeddings?: boolean;
}

/** Names of embedding tables across our models (GPT-2 and Llama Hugging Face names). */
const EMBEDDING_NAME = /(^|\.)(wte|wpe|embed_tokens|embed_positions|word_embeddings|position_embeddings)(\.|$)/;

/** Returns [decay group, no-decay group] (empty groups are dropped). */
export function decayGroups<P extends OptimParam>(
  named: Iterable<[string, P]>, opts: DecayGroupOptions,
): ParamGroup<P>[] {
  const decay: P[] = [];
  const noDecay: P[] = [];
  for (const [name, p] of named) {
    const isMatrix = (p.shape?.length ?? 1) >= 2;
    const isEmbedding = EMBEDDING_NAME.test(name);
    if (isMatrix && (opts.decayEmbeddings !== false || !isEmbedding)) decay.push(p);
    else noDecay.push(p);
  }
  const groups: ParamGroup<P>[] = [];
  if (decay.length) groups.push({ params: decay, weightDecay: opts.weightDecay });
  if (noDecay.length) groups.push({ params: noDecay, weightDecay: 0 });
  return groups;
}
