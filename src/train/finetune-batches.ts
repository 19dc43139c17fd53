/**
 * Batches of examples for fine-tuning (SFT conversations, labelled texts): training
 * batches are drawn in epochs, each a permutation of the examples seeded by (seed,
 * epoch), so the batch of (step, micro) is a pure function of them and a resumed run sees
 * what an uninterrupted one would; validation batches are the examples in order.
 * `packExamples` concatenates SFT examples (ids and masks) into rows of exactly T + 1 ids,
 * as TRL's `packing=True` (attention crosses example boundaries; the mask still keeps the
 * loss on the assistant tokens).
 *
 * @example
 * const src = sampledBatches(examples, { batchSize: 8, seed: 1 }, (ex) => sftBatch(ex, { T: 256, padId: 0 }));
 * src.batch(12, 0); // the 8 examples of step 12
 */
import { hash32, Rng } from '../util/rng.ts';
import type { SftExample } from './objectives/causal-lm.ts';
import type { BatchShape, BatchSource } from './objectives/objective.ts';

/** Training batches of `batchSize` examples drawn epoch by epoch; see the module comment. */
export function sampledBatches<E, B extends BatchShape>(examples: readonly E[], o: { batchSize: number; seed: number; gradAccum?: number }, make: (batch: E[]) => B): BatchSource<B> {
  const n = examples.length;
  let cachedEpoch = -1;
  let perm: Int32Array = new Int32Array(0);
  const permutation = (epoch: number): Int32Array => {
    if (epoch !== cachedEpoch) {
      const rng = new Rng(hash32(o.seed ^ 0x5f7e, epoch));
      perm = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = perm[i]!;
        perm[i] = perm[j]!;
        perm[j] = t;
      }
      cachedEpoch = epoch;
    }
    return perm;
  };
  const accum = o.gradAccum ?? 1;
  return {
    batch(step: number, micro: number): B {
      const picked: E[] = [];
      for (let j = 0; j < o.batchSize; j++) {
        const index = (step * accum + micro) * o.batchSize + j;
        picked.push(examples[permutation(Math.floor(index / n))[index % n]!]!);
      }
      return make(picked);
    },
  };
}

/** The examples in order, `batchSize` at a time (the last batch may be smaller). */
export function* orderedBatches<E, B>(examples: readonly E[], batchSize: number, make: (batch: E[]) => B): Generator<B> {
  for (let i = 0; i < examples.length; i += batchSize) yield make(examples.slice(i, i + batchSize));
}

/** An SFT example cut to at most `maxIds` ids (TRL's max_length truncation keeps the start). */
export function truncateExample(e: SftExample, maxIds: number): SftExample {
  return e.ids.length <= maxIds ? e : { ids: e.ids.slice(0, maxIds), mask: Array.from(e.mask).slice(0, maxIds) };
}

/** SFT examples packed into rows of exactly T + 1 ids (the remainder that fills no row is dropped). */
export function packExamples(examples: readonly SftExample[], T: number): SftExample[] {
  const rows: SftExample[] = [];
  let ids: number[] = [], mask: number[] = [];
  for (const e of examples) {
    for (let i = 0; i < e.ids.length; i++) {
      ids.push(e.ids[i]!);
      mask.push(Number(e.mask[i]));
      if (ids.length === T + 1) {
        rows.push({ ids, mask });
        ids = [];
        mask = [];
      }
    }
  }
  return rows;
}

/** Deterministic train/validation split: a seeded shuffle, then the last `valFraction` (at least one example when valFraction > 0). */
export function splitExamples<E>(examples: readonly E[], valFraction: number, seed: number): { train: E[]; val: E[] } {
  const order = examples.map((_, i) => i);
  const rng = new Rng(hash32(seed ^ 0x59117, examples.length));
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nVal = valFraction > 0 ? Math.max(1, Math.round(valFraction * examples.length)) : 0;
  const shuffled = order.map((i) => examples[i]!);
  return { train: shuffled.slice(0, shuffled.length - nVal), val: shuffled.slice(shuffled.length - nVal) };
}
