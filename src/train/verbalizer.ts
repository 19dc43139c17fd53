/**
 * Prompt-style classification through a decoder's language-model head (PET / LM-BFF's
 * "prompt-based fine-tuning"): each text is followed by a template (e.g. " It was") and
 * label k is read off the language model's logit for its verbalizer token (e.g. " terrible"
 * for 0, " great" for 1) at the template's last position; the loss is the cross-entropy
 * over those verbalizer logits only. With few labels this starts from what pretraining
 * already knows (which word is likely after the template) instead of a random head.
 *
 * It is built from the existing classifier parts: a sequence-classification head with
 * 'last' pooling whose `score.weight` rows start as the LM head's rows of the verbalizer
 * tokens (`initVerbalizerHead`); a decoder's hidden states are what its LM head
 * multiplies, so before any training the classifier's logits equal the LM's verbalizer
 * logits (the zero-shot prompt). The texts get the template appended (`promptIds`).
 *
 * @example
 * const v = makeVerbalizer(tokenizer, ' It was', [' terrible', ' great']);
 * const ft = prepareFinetuneModel(model, { task: 'classify', pooling: 'last', labels: ['0', '1'], ... });
 * initVerbalizerHead(ft.classifier!, model, v);
 * const train = rows.map((r) => ({ ids: promptIds(tokenizer.encode(r.text), v, 64), label: r.label }));
 */
import { Decoder } from '../models/decoder/decoder.ts';
import type { ModelWithHead } from '../models/heads.ts';
import type { AnyModel, ModelConfig } from '../models/registry.ts';
import { Tensor } from '../tensor/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';

/** A prompt: the template's ids and one verbalizer token id per label. */
export interface Verbalizer {
  template: number[];
  /** labelIds[k]: the token whose LM logit scores label k. */
  labelIds: number[];
}

/** Tokenizes the template and the label words; each word must be exactly one token of `tokenizer`. */
export function makeVerbalizer(tokenizer: Tokenizer, template: string, words: readonly string[]): Verbalizer {
  const ids = tokenizer.encode(template);
  if (ids.length === 0) throw new LlmtsError('E_CONFIG', 'the verbalizer template is empty', { where: 'verbalizer template', hint: "give a template such as ' It was'" });
  if (words.length < 2) throw new LlmtsError('E_CONFIG', `a verbalizer needs one word per label (at least 2), got ${words.length}`, { where: 'verbalizer words', hint: "e.g. ' terrible', ' great'" });
  const labelIds = words.map((w, k) => {
    const wi = tokenizer.encode(w);
    if (wi.length !== 1) {
      throw new LlmtsError('E_CONFIG', `verbalizer word ${JSON.stringify(w)} (label ${k}) is ${wi.length} tokens, not one`, { where: 'verbalizer words', hint: 'pick words the tokenizer keeps whole (mind the leading space), or train a larger vocabulary' });
    }
    return wi[0]!;
  });
  if (new Set(labelIds).size !== labelIds.length) throw new LlmtsError('E_CONFIG', 'two verbalizer words are the same token', { where: 'verbalizer words', hint: 'give each label its own word' });
  return { template: [...ids], labelIds };
}

/** A text's ids followed by the template, the text cut from the right so that the whole fits in `block`. */
export function promptIds(ids: readonly number[], v: Verbalizer, block: number): number[] {
  const room = block - v.template.length;
  if (room < 1) throw new LlmtsError('E_CONFIG', `the template (${v.template.length} tokens) leaves no room in a block of ${block}`, { where: 'verbalizer template', hint: 'use a shorter template or a longer block' });
  return [...ids.slice(0, room), ...v.template];
}

/**
 * The LM head's weight (V, C) of `model`: the untied lm_head, else the token embedding it
 * is tied to. Only decoders have one the hidden states feed directly.
 */
function outputEmbedding(model: AnyModel): Float32Array {
  if (!(model instanceof Decoder)) {
    throw new LlmtsError('E_MODEL', `a verbalizer head needs a decoder language model, got arch ${model.config.arch}`, { where: 'verbalizer', hint: 'use a GPT-2 or Llama-shaped model, or a plain classification head' });
  }
  return (model.lmHead ? model.lmHead.weight : model.trunk.tokens.weight).data;
}

/**
 * Sets the classifier's `score.weight` (numLabels, C) to the LM head rows of the
 * verbalizer tokens, so that its logits are the LM's verbalizer logits. The classifier
 * must pool the 'last' token (the template's end) and have one label per verbalizer word.
 */
export function initVerbalizerHead(classifier: ModelWithHead<ModelConfig>, model: AnyModel, v: Verbalizer): void {
  const head = classifier.head;
  const w = 'weight' in head && head.weight instanceof Tensor ? head.weight : null;
  if (!w || !('pooling' in head) || head.pooling !== 'last') throw new LlmtsError('E_CONFIG', 'a verbalizer head must be a sequence-classification head with last-token pooling', { where: 'verbalizer', hint: "prepare the classifier with pooling 'last'" });
  const [numLabels, C] = w.shape as [number, number];
  if (numLabels !== v.labelIds.length) throw new LlmtsError('E_CONFIG', `the classifier has ${numLabels} labels but the verbalizer ${v.labelIds.length} words`, { where: 'verbalizer words', hint: 'one word per label' });
  const table = outputEmbedding(model); // (V, C)
  if (C !== model.hiddenSize) throw new LlmtsError('E_MODEL', `head width ${C} differs from the model's ${model.hiddenSize}`, { where: 'verbalizer' });
  v.labelIds.forEach((id, k) => {
    if (id < 0 || (id + 1) * C > table.length) throw new LlmtsError('E_CONFIG', `verbalizer token ${id} is outside the model's vocabulary`, { where: 'verbalizer words', hint: 'build the verbalizer with the model\'s own tokenizer' });
    w.data.set(table.subarray(id * C, (id + 1) * C), k * C);
  });
}
