/**
 * Classification metrics from predicted and true label ids: accuracy, per-label
 * precision / recall / F1, macro F1 (the unweighted mean over labels, as scikit-learn's
 * `f1_score(average='macro')`, a label never predicted nor present scoring 0), and the
 * confusion matrix (rows: true label, columns: predicted).
 *
 * @example
 * classificationMetrics([1, 0, 1], [1, 1, 1], 2);
 * // { accuracy: 0.667, macroF1: 0.4, confusion: [[0, 0], [1, 2]], ... }
 */
import type { Module } from '../nn/module.ts';
import { withEvalMode } from '../nn/eval-mode.ts';
import { noGrad, type Tensor } from '../tensor/index.ts';

/** What `classificationMetrics` returns. */
export interface ClassificationMetrics {
  count: number;
  accuracy: number;
  /** Per label id. */
  precision: number[];
  recall: number[];
  f1: number[];
  macroF1: number;
  /** confusion[true][predicted]. */
  confusion: number[][];
}

/** See the module comment. `pred` and `gold` hold label ids in [0, numLabels). */
export function classificationMetrics(pred: ArrayLike<number>, gold: ArrayLike<number>, numLabels: number): ClassificationMetrics {
  const confusion = Array.from({ length: numLabels }, () => new Array<number>(numLabels).fill(0));
  let right = 0;
  for (let i = 0; i < gold.length; i++) {
    confusion[gold[i]!]![pred[i]!]!++;
    if (gold[i] === pred[i]) right++;
  }
  const precision: number[] = [], recall: number[] = [], f1: number[] = [];
  for (let k = 0; k < numLabels; k++) {
    const tp = confusion[k]![k]!;
    const predicted = confusion.reduce((a, row) => a + row[k]!, 0);
    const actual = confusion[k]!.reduce((a, x) => a + x, 0);
    const p = predicted > 0 ? tp / predicted : 0, r = actual > 0 ? tp / actual : 0;
    precision.push(p);
    recall.push(r);
    f1.push(p + r > 0 ? (2 * p * r) / (p + r) : 0);
  }
  return {
    count: gold.length, accuracy: gold.length > 0 ? right / gold.length : 0, precision, recall, f1,
    macroF1: f1.reduce((a, x) => a + x, 0) / numLabels, confusion,
  };
}

/** The metrics as printed lines: accuracy and macro F1, per-label F1, the confusion matrix with label names. */
export function formatClassificationMetrics(m: ClassificationMetrics, labels: readonly string[]): string[] {
  const w = Math.max(8, ...labels.map((l) => l.length + 1));
  const lines = [`accuracy ${(100 * m.accuracy).toFixed(2)}% | macro F1 ${m.macroF1.toFixed(4)} (${m.count} examples)`];
  lines.push(`per label F1: ${labels.map((l, k) => `${l} ${m.f1[k]!.toFixed(4)}`).join(', ')}`);
  lines.push(`confusion (rows true, columns predicted):`);
  lines.push(`${''.padEnd(w)}${labels.map((l) => l.padStart(w)).join('')}`);
  m.confusion.forEach((row, k) => lines.push(`${labels[k]!.padEnd(w)}${row.map((x) => String(x).padStart(w)).join('')}`));
  return lines;
}

/** What `predictLabels` needs: a classifier's logits (rows, numLabels) from token ids. */
export interface LabelScorer extends Module {
  forward(input: { ids: Int32Array; B: number; T: number }): { logits: Tensor };
}

/** The argmax label of each row of each batch, in eval mode without gradients; the gold labels beside them. */
export function predictLabels(model: LabelScorer, batches: Iterable<{ ids: Int32Array; rows: number; T: number; attentionMask?: Float32Array; labels: Int32Array }>): { pred: number[]; gold: number[] } {
  const pred: number[] = [], gold: number[] = [];
  withEvalMode(model, () => {
    for (const b of batches) {
      const input = { ids: b.ids, B: b.rows, T: b.T, attentionMask: b.attentionMask ?? null }; // the mask: an encoder's padding (see classifierInput)
      const logits = noGrad(() => model.forward(input).logits.data.slice()); // (rows, numLabels)
      const k = logits.length / b.rows;
      for (let r = 0; r < b.rows; r++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (logits[r * k + j]! > logits[r * k + best]!) best = j;
        pred.push(best);
        gold.push(b.labels[r]!);
      }
    }
  });
  return { pred, gold };
}
