/**
 * Classify texts (sentiment and any other labels): for each text the best label, its
 * probability and every label's probability (softmax of the model's logits), from any
 * classifier the task models know (model-kind.ts):
 * - a `classifier` directory (`llmts finetune --task classify`): the text encoded as in
 *   fine-tuning (`tokenizer.encode(text)`, cut to the model's context), one text a forward;
 * - a BERT with a sequence-classification head: [CLS] text [SEP] (cut to the context, [SEP]
 *   kept), padded batches with the attention mask;
 * - a Tree-LSTM (`llmts train-tree`): the text split into words and composed right-branching
 *   (classify-tree.ts), or PTB trees given as they are (`classifyTrees`); with `phrases`,
 *   the label of every phrase too;
 * - a HAN (`llmts train-han`): the text as a document of sentences (classify-han.ts); with
 *   `explain`, the sentence and word attention weights behind the label (`attention`);
 * - a linear n-gram classifier (NBSVM, `llmts recipe sentiment`): the text's hashed word
 *   uni- and bigrams, any length.
 * With `explain`, the HAN's attention weights, or for a Transformer classifier (BERT
 * sequence head, decoder with a score head) attention rollout (explain-attention.ts). A
 * model without a classification head is an E_MODEL error naming it; so is `explain` for
 * a model without attention (`canExplain`: a Tree-LSTM, an NBSVM, the mean-pooled HAN).
 *
 * @example
 * classify(loadTaskModel('runs/sentiment'), ['a gorgeous, witty film']);
 * // [{ text, label: 'positive', id: 1, score: 0.93, scores: [{ label: 'negative', score: 0.07 }, { label: 'positive', score: 0.93 }] }]
 */
import { encodeTexts } from '../infer/encoder.ts';
import { inferenceScope } from '../infer/inference-scope.ts';
import { LlmtsError } from '../util/errors.ts';
import { classifyTrees, treeFromText } from './classify-tree.ts';
import { classifyWithHan } from './classify-han.ts';
import { labelled, softmax, type Classification, type ClassifyOptions } from './labels.ts';
import { linearTextProbs } from '../models/linear-text/index.ts';
import { describeTaskModel, wrongKind, type TaskModel } from './model-kind.ts';
import { canExplainTransformer, explainTransformer } from './explain-attention.ts';

/** True when `m` can classify (a classification head of some kind). */
export function canClassify(m: TaskModel): boolean {
  return m.kind === 'classifier' || m.kind === 'tree' || m.kind === 'han' || m.kind === 'linear' || (m.kind === 'encoder' && m.labels !== null);
}

/**
 * True when `m` has attention weights to explain its labels with (`explain`): a HAN (its
 * sentence and word attention) or a Transformer classifier (attention rollout,
 * recomputed for the explanation: explain-attention.ts). A Tree-LSTM has none (its
 * `phrases` explain a label instead); nor have NBSVM and the HAN family's mean-pooled baseline.
 */
export function canExplain(m: TaskModel): boolean {
  if (m.kind === 'han') return m.model.config.arch === 'han';
  return canExplainTransformer(m);
}

/** The label names of a model that can classify, else the E_MODEL error of `caller`. */
export function classifierLabels(m: TaskModel, caller = 'classify'): string[] {
  if (m.kind === 'classifier' || m.kind === 'tree' || m.kind === 'han' || m.kind === 'linear') return m.labels;
  if (m.kind === 'encoder' && m.labels !== null) return m.labels;
  throw notAClassifier(m, caller);
}

function notAClassifier(m: TaskModel, caller: string): LlmtsError {
  return wrongKind(m, caller, 'a classifier', 'fine-tune a classifier (llmts finetune --task classify, or llmts recipe sentiment), train a Tree-LSTM (llmts train-tree), or use a Hugging Face BertForSequenceClassification directory');
}

/** Labels and probabilities of each text; see the module comment. */
export function classify(m: TaskModel, texts: readonly string[], o: ClassifyOptions = {}): Classification[] {
  const caller = o.caller ?? 'classify';
  if (m.kind === 'decoder' || m.kind === 'seq2seq') throw notAClassifier(m, caller);
  const labels = classifierLabels(m, caller);
  if (o.explain && !canExplain(m)) {
    throw new LlmtsError('E_MODEL', `${caller}: ${m.path} is ${describeTaskModel(m)}, which has no attention weights to explain its labels`, {
      where: m.path, hint: 'leave out --explain (explain); it needs a model with attention (a HAN: llmts train-han, a BERT or decoder classifier: llmts finetune --task classify)' });
  }
  if (texts.length === 0) throw new LlmtsError('E_INPUT', `${caller}: no text to classify`, { where: 'input', hint: 'give at least one text' });
  const empty = texts.findIndex((t) => t.trim() === '');
  if (empty >= 0) throw new LlmtsError('E_INPUT', `${caller}: input ${empty} is empty`, { where: 'input', hint: 'give non-empty texts' });
  if (m.kind === 'tree') return classifyTrees(m, texts.map(treeFromText), texts, o);
  if (m.kind === 'han') return classifyWithHan(m, texts, o.explain === true, caller, o.onProgress);
  const out: Classification[] = [];
  const L = labels.length;
  if (m.kind === 'linear') {
    for (const text of texts) {
      out.push(labelled(text, labels, linearTextProbs(m.model, text), false));
      if (out.length % 32 === 0 || out.length === texts.length) o.onProgress?.(out.length, texts.length);
    }
    return out;
  }
  if (m.kind === 'classifier') {
    const { model, tokenizer } = m;
    const ctx = model.config.blockSize;
    for (const text of texts) {
      const all = tokenizer.encode(text);
      if (all.length === 0) throw new LlmtsError('E_INPUT', `${caller}: input ${out.length} encodes to no token`, { where: 'input', hint: 'give a text with words in it' });
      const ids = all.slice(0, ctx);
      inferenceScope(model, () => {
        const logits = model.forward({ ids: Int32Array.from(ids), B: 1, T: ids.length }).logits.data; // (1, L)
        out.push(labelled(text, labels, softmax(logits, 0, L), all.length > ctx));
      });
      if (o.explain) out.at(-1)!.attention = explainTransformer(m, text);
      if (out.length % 32 === 0 || out.length === texts.length) o.onProgress?.(out.length, texts.length);
    }
    return out;
  }
  const enc = m.model, bs = o.batchSize ?? 32, ctx = enc.config.blockSize;
  for (let s = 0; s < texts.length; s += bs) {
    const chunk = texts.slice(s, s + bs);
    const batch = encodeTexts(m.tokenizer, chunk, ctx);
    inferenceScope(enc, () => {
      const logits = enc.run({ ids: batch.ids, B: batch.B, T: batch.T, attentionMask: batch.attentionMask }).logits.data; // (B, L)
      chunk.forEach((text, b) => out.push(labelled(text, labels, softmax(logits, b * L, L), m.tokenizer.encode(text, { addSpecialTokens: true }).length > ctx)));
    });
    if (o.explain) chunk.forEach((text, b) => { out[s + b]!.attention = explainTransformer(m, text); });
    o.onProgress?.(out.length, texts.length);
  }
  return out;
}
