/**
 * Objectives: how a batch becomes a loss, one file per objective (see objective.ts). The
 * trainer's loop (../loop.ts) runs any of them.
 *
 * @example
 * import { causalLm, sftBatch } from './objectives/index.ts';
 */
export { countTargets, type BatchShape, type BatchSource, type Objective, type ObjectiveLoss } from './objective.ts';
export { causalLm, sftBatch, IGNORE, type CausalLmBatch, type CausalLmModel, type SftExample } from './causal-lm.ts';
export { maskedLm, maskedLmBatches, maskTokens, type MaskedLmBatch, type MaskingOptions } from './masked-lm.ts';
export {
  seq2seq, seq2seqBatch, seq2seqBatches, seq2seqObjective,
  type Seq2SeqBatch, type Seq2SeqBatchesOptions, type Seq2SeqModel, type Seq2SeqObjectiveOptions, type Seq2SeqPair,
} from './seq2seq.ts';
export { classify, classifyBatch, type ClassifierModel, type ClassifyBatch, type ClassifyExample } from './classify.ts';
export { treeBatch, treeBatches, treeClassify, type TreeBatch, type TreeClassifierModel } from './tree.ts';
