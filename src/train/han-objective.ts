/**
 * Document classification for the HAN family (src/models/han): one label per document,
 * the loss the mean cross-entropy over the batch's documents. `hanBatches` is a seeded,
 * resumable batch source: each epoch a fresh permutation from (seed, epoch); within an
 * epoch, documents are taken in groups of 50 batches sorted by sentence count, so that a
 * batch pads little, and the batches of a group shuffled.
 *
 * @example
 * const batches = hanBatches(docs, labels, { batchSize: 32, seed: 1 });
 * hanClassify.loss(model, batches.batch(0, 0)).loss.backward();
 */
import { batchDocuments, type DocBatch, type DocIds, type HanOutput } from '../models/han/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { hash32, Rng } from '../util/rng.ts';
import type { BatchShape, BatchSource, Objective } from './objectives/objective.ts';

/** A batch of documents: rows = documents, tokens = words. */
export interface HanBatch extends BatchShape {
  batch: DocBatch;
}

/** What the objective needs of a model. */
export interface HanClassifierModel {
  forward(b: DocBatch, withLoss?: boolean): HanOutput;
}

/** Mean cross-entropy over the documents' labels. */
export const hanClassify: Objective<HanBatch, HanClassifierModel> = {
  name: 'han-classify',
  loss(model, b) {
    const { loss } = model.forward(b.batch, true); // () mean over documents
    if (!loss) throw new LlmtsError('E_MODEL', 'the document model returned no loss', { where: 'han-classify objective', hint: 'the model must score its document labels' });
    return { loss, count: b.batch.docs };
  },
};

/** Documents and labels as a batch. */
export function hanBatch(docs: readonly DocIds[], labels: readonly number[]): HanBatch {
  const batch = batchDocuments(docs, labels);
  return { batch, rows: batch.docs, tokens: batch.words };
}

const GROUP = 50;

/** See the module comment; the last partial batch of an epoch is skipped. */
export function hanBatches(docs: readonly DocIds[], labels: readonly number[], o: { batchSize: number; seed: number }): BatchSource<HanBatch> & { stepsPerEpoch: number } {
  const perEpoch = Math.floor(docs.length / o.batchSize);
  if (perEpoch < 1) {
    throw new LlmtsError('E_CONFIG', `${docs.length} training documents do not fill one batch of ${o.batchSize}`, { where: 'batchSize', hint: `use a batch size of at most ${docs.length}` });
  }
  let epochCached = -1;
  let batches: number[][] = [];
  return {
    stepsPerEpoch: perEpoch,
    batch(step: number) {
      const epoch = Math.floor(step / perEpoch);
      if (epoch !== epochCached) {
        const rng = new Rng(hash32(o.seed, epoch));
        const order = rng.shuffle([...docs.keys()]).slice(0, perEpoch * o.batchSize);
        batches = [];
        for (let g = 0; g < order.length; g += GROUP * o.batchSize) {
          const group = order.slice(g, g + GROUP * o.batchSize).sort((a, b) => docs[a]!.length - docs[b]!.length || a - b);
          const inGroup: number[][] = [];
          for (let k = 0; k < group.length; k += o.batchSize) inGroup.push(group.slice(k, k + o.batchSize));
          batches.push(...rng.shuffle(inGroup));
        }
        epochCached = epoch;
      }
      const ids = batches[step % perEpoch]!;
      return hanBatch(ids.map((i) => docs[i]!), ids.map((i) => labels[i]!));
    },
  };
}
