/**
 * Contrastive training of a sentence encoder (a bi-encoder, as sentence-transformers'):
 * batches of (query, document) pairs, both sides through the same encoder, each side
 * mean-pooled over its real tokens ([CLS] and [SEP] included, as `sentenceEmbeddings`
 * pools at inference) and scored with InfoNCE over the in-batch negatives
 * (contrastive-loss.ts). The objective runs in the one training loop (loop.ts).
 *
 * - `tokenizePairs`: texts -> id rows with the tokenizer's [CLS] ... [SEP], cut to
 *   `maxLen` keeping the last id (as infer's `encodeTexts` cuts);
 * - `pairBatches`: a `BatchSource` of padded pair batches drawn in seeded epochs (a pure
 *   function of seed and step, so a run repeats), several pair sets interleaved by a
 *   step pattern;
 * - `contrastive`: the objective.
 *
 * @example
 * const pairs = tokenizePairs(tok, [{ query: 'a cat', doc: 'un chat', group: 0 }], 64);
 * const batches = pairBatches([{ pairs, batchSize: 128 }], { seed: 1, padId: 0 });
 * await trainLoop({ model, objective: contrastive({ temperature: 0.05 }), batches, ... });
 */
import type { EncoderModel } from '../models/encoder/index.ts';
import { matmul, reshape, Tensor, type Tensor as TensorT } from '../tensor/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { hash32, Rng } from '../util/rng.ts';
import { infoNce, type InfoNceOptions } from './contrastive-loss.ts';
import type { BatchShape, BatchSource, Objective } from './objectives/objective.ts';

/** A text pair; `group` ties pairs that share an item (translations of one sentence). */
export interface TextPair {
  query: string;
  doc: string;
  group: number;
}

/** A tokenized pair. */
export interface IdPair {
  query: readonly number[];
  doc: readonly number[];
  group: number;
}

/** One side of a batch: (B, T) ids padded after each row, and each row's real length. */
export interface PaddedIds {
  ids: Int32Array;
  attentionMask: Float32Array;
  lengths: number[];
  T: number;
}

/** A batch of pairs. */
export interface PairBatch extends BatchShape {
  query: PaddedIds;
  doc: PaddedIds;
  /** (rows) group of each pair. */
  groups: Int32Array;
}

/** Ids of `text` with the tokenizer's special tokens, cut to `maxLen` keeping the last id. */
export function encodeForEncoder(tokenizer: Tokenizer, text: string, maxLen: number): number[] {
  const ids = tokenizer.encode(text, { addSpecialTokens: true });
  return ids.length > maxLen ? [...ids.slice(0, maxLen - 1), ids[ids.length - 1]!] : ids;
}

/** Text pairs -> id pairs (see the module comment); `maxLen` is per side, e.g. [32, 256]. */
export function tokenizePairs(tokenizer: Tokenizer, pairs: readonly TextPair[], maxLen: number | [number, number]): IdPair[] {
  const [mq, md] = typeof maxLen === 'number' ? [maxLen, maxLen] : maxLen;
  return pairs.map((p) => ({ query: encodeForEncoder(tokenizer, p.query, mq), doc: encodeForEncoder(tokenizer, p.doc, md), group: p.group }));
}

/** Rows -> one padded side of a batch. */
export function padRows(rows: readonly (readonly number[])[], padId: number): PaddedIds {
  const B = rows.length, T = Math.max(1, ...rows.map((r) => r.length));
  const ids = new Int32Array(B * T).fill(padId), attentionMask = new Float32Array(B * T); // (B, T)
  rows.forEach((r, b) => {
    ids.set(r, b * T);
    attentionMask.fill(1, b * T, b * T + r.length);
  });
  return { ids, attentionMask, lengths: rows.map((r) => r.length), T };
}

/** One set of pairs in `pairBatches`: its pairs and rows per batch. */
export interface PairSet {
  pairs: readonly IdPair[];
  batchSize: number;
}

/**
 * Batches of pairs: step s draws from set `pattern[s % pattern.length]` (default: set 0
 * only); each set walks its own seeded permutations, one per epoch over its pairs.
 */
export function pairBatches(sets: readonly PairSet[], o: { seed: number; padId: number; pattern?: readonly number[] }): BatchSource<PairBatch> {
  const pattern = o.pattern ?? [0];
  for (const [i, s] of sets.entries()) {
    if (s.pairs.length < 2) throw new LlmtsError('E_DATA', `pair set ${i} has ${s.pairs.length} pairs; contrastive training needs at least 2`, { where: `sets[${i}]`, hint: 'give more pairs' });
    if (s.batchSize < 2) throw new LlmtsError('E_CONFIG', `batchSize ${s.batchSize} leaves no in-batch negatives`, { where: `sets[${i}].batchSize`, hint: 'use at least 2 pairs per batch' });
  }
  for (const p of pattern) if (!(p >= 0 && p < sets.length)) throw new LlmtsError('E_CONFIG', `pattern names set ${p}; there are ${sets.length}`, { where: 'pattern', hint: 'use indexes of sets' });
  const perms = new Map<string, Int32Array>();
  const permutation = (set: number, epoch: number): Int32Array => {
    const key = `${set}:${epoch}`;
    let p = perms.get(key);
    if (!p) {
      const n = sets[set]!.pairs.length;
      p = Int32Array.from({ length: n }, (_, i) => i);
      const rng = new Rng(hash32(hash32(o.seed ^ 0x0c0a7a11, set), epoch));
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [p[i], p[j]] = [p[j]!, p[i]!];
      }
      if (perms.size > 8) perms.clear();
      perms.set(key, p);
    }
    return p;
  };
  return {
    batch(step) {
      const set = pattern[step % pattern.length]!;
      // how many batches this set gave before this step
      const full = Math.floor(step / pattern.length) * pattern.filter((x) => x === set).length;
      const k = full + pattern.slice(0, step % pattern.length).filter((x) => x === set).length;
      const { pairs, batchSize } = sets[set]!;
      const B = Math.min(batchSize, pairs.length);
      const chosen: IdPair[] = [];
      for (let r = 0; r < B; r++) {
        const flat = k * B + r;
        const epoch = Math.floor(flat / pairs.length);
        chosen.push(pairs[permutation(set, epoch)[flat % pairs.length]!]!);
      }
      const padId = o.padId;
      const query = padRows(chosen.map((p) => p.query), padId), doc = padRows(chosen.map((p) => p.doc), padId);
      return { query, doc, groups: Int32Array.from(chosen, (p) => p.group), rows: B, tokens: B * (query.T + doc.T) };
    },
  };
}

/**
 * The masked mean over each row's real tokens of hidden states h (B, T, C) -> (B, C), as
 * a batched matrix product with the (B, 1, T) weights 1/len (so its backward is matmul's).
 */
export function meanPool(h: TensorT, lengths: readonly number[]): TensorT {
  const [B, T, C] = h.shape as [number, number, number];
  const w = new Float32Array(B * T); // (B, 1, T)
  lengths.forEach((n, b) => w.fill(1 / n, b * T, b * T + n));
  const pooled = matmul(new Tensor(w, [B, 1, T]), h); // (B, 1, C)
  return reshape(pooled, [B, C]); // (B, C)
}

/** Pooled sentence vectors (B, C) of one padded side under `model`. */
function embedSide(model: EncoderModel, side: PaddedIds): TensorT {
  const B = side.lengths.length;
  const { hidden } = model.encode({ ids: side.ids, B, T: side.T, attentionMask: side.attentionMask }); // (B, T, C)
  return meanPool(hidden, side.lengths); // (B, C)
}

/** The contrastive objective: InfoNCE over in-batch negatives of the pooled pair vectors. */
export function contrastive(o: Omit<InfoNceOptions, 'groups'> = {}): Objective<PairBatch, EncoderModel> {
  return {
    name: 'contrastive',
    loss(model, b) {
      const q = embedSide(model, b.query), d = embedSide(model, b.doc); // (B, C) each
      return { loss: infoNce(q, d, { ...o, groups: b.groups }), count: b.rows };
    },
  };
}
