/**
 * What classification returns, shared by every classifier kind (classify.ts,
 * classify-tree.ts): a label with its probability, every label's probability, and what
 * some models add (the label of every phrase, attention weights).
 */

/** One phrase (tree node) and its label. */
export interface PhraseLabel {
  text: string;
  label: string;
  id: number;
  /** 0 for the sentence (the root), 1 for its children, ... */
  depth: number;
  /** Every label's probability, by label id. */
  probabilities: number[];
}

/** One label's probability. */
export interface LabelScore {
  label: string;
  score: number;
}

/** Attention weights behind a label, for models that have them: per sentence, and per word within it. */
export interface AttentionExplanation {
  sentences: { text: string; weight: number; words: { text: string; weight: number }[] }[];
}

/** The result for one text. */
export interface Classification {
  text: string;
  /** The most probable label, its id and probability. */
  label: string;
  id: number;
  score: number;
  /** Every label's probability, by label id. */
  scores: LabelScore[];
  /** True when the text was cut to the model's context. */
  truncated: boolean;
  /** Tree-LSTMs with `phrases`: every phrase, parents before children. */
  phrases?: PhraseLabel[];
  /** Tree-LSTMs with `phrases`: the tree as a PTB line with the predicted labels. */
  tree?: string;
  /** With `explain`, for models with attention. */
  attention?: AttentionExplanation;
}

/** Options of `classify`. */
export interface ClassifyOptions {
  /** Texts per forward pass (BERT; default 32). */
  batchSize?: number;
  /** Tree-LSTMs: also label every phrase. */
  phrases?: boolean;
  /** The attention weights behind each label (models with attention only). */
  explain?: boolean;
  /** Called after each batch with the texts done so far and their total. */
  onProgress?: (done: number, total: number) => void;
  /** Who asks, for error messages (default 'classify'). */
  caller?: string;
}

/** Probabilities (softmax) of `logits[off .. off + L)`, float64 sums. */
export function softmax(logits: ArrayLike<number>, off: number, L: number): number[] {
  let max = -Infinity;
  for (let k = 0; k < L; k++) max = Math.max(max, logits[off + k]!);
  const p: number[] = [];
  let s = 0;
  for (let k = 0; k < L; k++) {
    p.push(Math.exp(logits[off + k]! - max));
    s += p[k]!;
  }
  return p.map((x) => x / s);
}

/** The Classification of one text from its label probabilities. */
export function labelled(text: string, labels: readonly string[], probs: readonly number[], truncated: boolean): Classification {
  let id = 0;
  for (let k = 1; k < probs.length; k++) if (probs[k]! > probs[id]!) id = k;
  return { text, label: labels[id]!, id, score: probs[id]!, scores: labels.map((label, k) => ({ label, score: probs[k]! })), truncated };
}

