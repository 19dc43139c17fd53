/**
 * A text through a trained HAN-family model, with the attention weights behind its
 * label: the text is cut into sentences of words as in training (document.ts), each
 * word looked up (unknown words: row 0), and the prediction returned with, for a `han`
 * model and `explain`, every sentence's weight and every word's weight within its
 * sentence, beside the words as they were read. The shape is the tasks layer's
 * `AttentionExplanation`.
 *
 * @example
 * const r = classifyDocument(model, wordId, ['ham', 'spam'], DOCUMENT_DEFAULTS, 'WIN $$$ now!', true);
 * r.label; r.attention!.sentences[0].words[0]; // { text: 'win', weight: 0.41 }
 */
import { LlmtsError } from '../../util/errors.ts';
import { splitDocument, type DocumentOptions } from './document.ts';
import { predictDocuments, type DocumentClassifier } from './predict.ts';

/** Attention weights behind a label: per sentence, and per word within it. */
export interface DocumentExplanation {
  sentences: { text: string; weight: number; words: { text: string; weight: number }[] }[];
}

/** The label of one text, every label's probability and, when asked, the attention weights. */
export interface DocumentLabel {
  label: string;
  id: number;
  score: number;
  scores: { label: string; score: number }[];
  /** Sentences read / kept (the model reads at most `maxSentences`). */
  sentences: number;
  attention: DocumentExplanation | null;
}

/** See the module comment; a text with no word is `E_INPUT`. */
export function classifyDocument(model: DocumentClassifier, wordId: (w: string) => number, labels: readonly string[], o: DocumentOptions, text: string, explain: boolean, where = 'input'): DocumentLabel {
  const words = splitDocument(text, o);
  if (words.length === 0) throw new LlmtsError('E_INPUT', `${where} has no words to classify`, { where, hint: 'give a text with letters or digits in it' });
  const [p] = predictDocuments(model, [words.map((s) => s.map(wordId))], { explain });
  if (!p!.probs.every(Number.isFinite)) {
    throw new LlmtsError('E_MODEL', `the model's scores for ${where} are not finite numbers: its weights are damaged or overflow`, {
      where, hint: 'load an undamaged model.safetensors (retrain with llmts train-han if there is none)' });
  }
  let id = 0;
  p!.probs.forEach((v, k) => { if (v > p!.probs[id]!) id = k; });
  const attention = p!.sentWeights && p!.wordWeights
    ? { sentences: words.map((s, k) => ({ text: s.join(' '), weight: p!.sentWeights![k]!, words: s.map((w, j) => ({ text: w, weight: p!.wordWeights![k]![j]! })) })) }
    : null;
  return {
    label: labels[id] ?? String(id), id, score: p!.probs[id]!, scores: Array.from(p!.probs, (v, k) => ({ label: labels[k] ?? String(k), score: v })),
    sentences: words.length, attention,
  };
}
