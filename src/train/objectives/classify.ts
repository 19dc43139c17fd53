/**
 * Classification: integer labels from a classification head on a model's trunk
 * (src/models/heads.ts). One objective for both kinds of head:
 * - sequence classification (`classificationHead`): one label per row, `labels` (rows);
 * - token classification (`tokenClassificationHead`): one label per position, `labels`
 *   (rows, T), -100 where a position is not scored (padding, sub-word continuations).
 * The head's logits and cross-entropy give the loss; the mean is over the scored labels.
 *
 * @example
 * const clf = withHead(model, classificationHead({ numLabels: 2, padId: 0 }));
 * const batch = classifyBatch([{ ids: [5, 6, 7], label: 1 }, { ids: [8], label: 0 }], { T: 4, padId: 0 });
 * classify.loss(clf, batch).loss.backward();
 */
import type { Tensor } from '../../tensor/index.ts';
import type { TokenInput } from '../../models/model.ts';
import { LlmtsError } from '../../util/errors.ts';
import { IGNORE } from './causal-lm.ts';
import { countTargets, type BatchShape, type Objective } from './objective.ts';

/** (rows, T) ids, right-padded, their attention mask and their labels: (rows) for sequences, (rows, T) for tokens. */
export interface ClassifyBatch extends BatchShape {
  ids: Int32Array;
  T: number;
  /** (rows, T): 1 on each row's ids, 0 on its padding (HF's attention_mask). */
  attentionMask: Float32Array;
  labels: Int32Array;
}

/**
 * A batch's model input: the ids and the attention mask, which a bidirectional encoder
 * (src/models/encoder, EncoderInput) applies so that no token attends to padding; a causal
 * decoder needs none (the right padding comes after every real token) and ignores it.
 */
export function classifierInput(b: Pick<ClassifyBatch, 'ids' | 'rows' | 'T' | 'attentionMask'>): TokenInput & { attentionMask: Float32Array } {
  return { ids: b.ids, B: b.rows, T: b.T, attentionMask: b.attentionMask };
}

/** What the classify objective needs of a model: a head's logits and loss from token ids (`ModelWithHead`). */
export interface ClassifierModel {
  forward(input: TokenInput, labels?: Int32Array | null): { logits: Tensor; loss: Tensor | null };
}

/** Cross-entropy of the head's logits against the labels (see the module comment). */
export const classify: Objective<ClassifyBatch, ClassifierModel> = {
  name: 'classify',
  loss(model, b) {
    const { loss } = model.forward(classifierInput(b), b.labels); // () mean over the scored labels
    if (!loss) throw new LlmtsError('E_MODEL', 'the classifier returned no loss for a batch with labels', { where: 'classify objective', hint: 'the model must score its labels' });
    return { loss, count: countTargets(b.labels, IGNORE) };
  },
};

/** One labelled sequence: a label for the whole of it, or one per id (`labels`, -100 = not scored). */
export type ClassifyExample = { ids: readonly number[]; label: number } | { ids: readonly number[]; labels: readonly number[] };

/**
 * Examples -> a batch of rows right-padded to T with `padId` (the sequence head pools the
 * last non-pad token), with the attention mask of the padding. All examples must be of one kind. A sequence longer than T, or
 * labels that do not match its ids, is an error naming the example.
 */
export function classifyBatch(examples: readonly ClassifyExample[], o: { T: number; padId: number }): ClassifyBatch {
  const { T, padId } = o;
  const rows = examples.length;
  const perToken = rows > 0 && 'labels' in examples[0]!;
  const ids = new Int32Array(rows * T).fill(padId); // (rows, T)
  const attentionMask = new Float32Array(rows * T); // (rows, T)
  const labels = new Int32Array(perToken ? rows * T : rows).fill(IGNORE); // (rows, T) or (rows)
  examples.forEach((e, r) => {
    if (e.ids.length > T) throw new LlmtsError('E_CLASSIFY', `example ${r} has ${e.ids.length} ids, more than T = ${T}`, { where: `examples[${r}]`, hint: 'cut long sequences or raise T' });
    if (('labels' in e) !== perToken) throw new LlmtsError('E_CLASSIFY', `example ${r} mixes sequence and token labels with example 0`, { where: `examples[${r}]`, hint: 'give every example a label, or every example labels' });
    ids.set(e.ids, r * T);
    attentionMask.fill(1, r * T, r * T + e.ids.length);
    if ('labels' in e) {
      if (e.labels.length !== e.ids.length) throw new LlmtsError('E_CLASSIFY', `example ${r} has ${e.ids.length} ids but ${e.labels.length} labels`, { where: `examples[${r}]`, hint: 'one label per id (-100 to skip one)' });
      labels.set(e.labels, r * T);
    } else {
      labels[r] = e.label;
    }
  });
  return { ids, T, attentionMask, labels, rows, tokens: rows * T };
}
