/**
 * The tasks layer: use cases as library calls that the CLI commands and the server's task
 * routes share. Load a model once with `loadTaskModel` (its kind read from its files),
 * then summarise, translate, classify or embed; a model of the wrong kind is an E_MODEL
 * error naming the path, the kind found and the kind needed.
 *
 * @example
 * import { tasks } from 'llmts';
 * const m = tasks.loadTaskModel('runs/sentiment');
 * tasks.classify(m, ['a gorgeous, witty film'])[0].label; // 'positive'
 */
export { loadTaskModel, describeTaskModel, wrongKind, taskTokenizer, taskContextLength, type TaskModel, type HanTaskModel, type TaskModelKind, type LoadTaskModelOptions,
  type DecoderTaskModel, type EncoderTaskModel, type Seq2SeqTaskModel, type ClassifierTaskModel, type TreeTaskModel } from './model-kind.ts';
export { summarize, translate, requireSeq2Seq, type TextToTextOptions } from './text-to-text.ts';
export { classify, canClassify, canExplain, classifierLabels } from './classify.ts';
export { classifyTrees, treeFromText } from './classify-tree.ts';
export { classifyWithHan } from './classify-han.ts';
export { softmax, labelled, type Classification, type ClassifyOptions, type LabelScore, type PhraseLabel, type AttentionExplanation } from './labels.ts';
export { embed, embedTokenIds, canEmbed, type EmbedOptions, type EmbedPooling } from './embed.ts';
export { readTaskInputs, inputLines, type TaskInputSource } from './inputs.ts';
