/**
 * Classification with a HAN-family document classifier (a `han` task model, `llmts
 * train-han`): each text cut into sentences of words as in training (src/models/han), its
 * label and every label's probability, and with `explain` (a `han`, not the mean-pooled
 * baseline) the weight of every sentence and of every word within it. A text with more
 * sentences than the model reads is cut, and says so (`truncated`).
 *
 * @example
 * classifyWithHan(loadTaskModel('runs/spam') as HanTaskModel, ['WIN $$$ now! Click here.'], true, 'classify');
 * // [{ label: 'spam', ..., attention: { sentences: [{ text: 'win now', weight: 0.7, words: [...] }, ...] } }]
 */
import { classifyDocument, splitDocument } from '../models/han/index.ts';
import type { Classification } from './labels.ts';
import type { HanTaskModel } from './model-kind.ts';

/** See the module comment. */
export function classifyWithHan(m: HanTaskModel, texts: readonly string[], explain: boolean, caller: string, onProgress?: (done: number, total: number) => void): Classification[] {
  const out: Classification[] = [];
  const doc = m.document;
  texts.forEach((text, i) => {
    const r = classifyDocument(m.model, m.wordId, m.labels, doc, text, explain, texts.length === 1 ? caller : `${caller}: input ${i}`);
    const truncated = splitDocument(text, { ...doc, maxSentences: doc.maxSentences + 1 }).length > doc.maxSentences;
    const c: Classification = { text, label: r.label, id: r.id, score: r.score, scores: r.scores, truncated };
    if (r.attention) c.attention = r.attention;
    out.push(c);
    if (out.length % 32 === 0 || out.length === texts.length) onProgress?.(out.length, texts.length);
  });
  return out;
}
