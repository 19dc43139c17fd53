/**
 * A linear text classifier over hashed word uni- and bigrams (features.ts): NBSVM (Wang &
 * Manning 2012, "Baselines and Bigrams") with logistic regression in place of the SVM.
 * With two labels each feature is scaled by its naive-Bayes log-count ratio
 * r = log((p / |p|_1) / (q / |q|_1)), p = alpha + the number of label-1 texts with the
 * feature, q the same for label 0; with more labels every scale is 1 (plain multinomial
 * logistic regression). Then logits = W (x * r) + b, x the 0/1 feature vector, trained by
 * full-batch Adam on the (example-weighted) mean cross-entropy plus (l2 / 2) |W|^2, starting from zero
 * (deterministic: no random numbers anywhere).
 *
 * @example
 * const m = trainLinearText([{ text: 'great film', label: 1 }, ...], { labels: 2, buckets: 1 << 20 });
 * linearTextProbs(m, 'a great cast'); // [0.1, 0.9]
 */
import { textFeatures } from './features.ts';

/** The sizes of a model (config.json's `llmts.model`). */
export interface LinearTextConfig {
  arch: 'nbsvm';
  /** Hash slots of the features. */
  buckets: number;
  numLabels: number;
}

/** A model: its config and parameters. */
export interface LinearTextModel {
  config: LinearTextConfig;
  /** (buckets) the per-feature scale r (all 1 with more than two labels). */
  scale: Float32Array;
  /** (numLabels, buckets) */
  weight: Float32Array;
  /** (numLabels) */
  bias: Float32Array;
}

/** One training text, its class id (0..labels-1) and its weight in the loss and the NB counts (default 1). */
export interface LinearTextExample {
  text: string;
  label: number;
  weight?: number;
}

/** Training settings; the defaults are those the sentiment recipe measured. */
export interface LinearTextTrainOptions {
  labels: number;
  /** Hash slots (default 2^20). */
  buckets?: number;
  /** Naive-Bayes smoothing of the log-count ratios (default 1). */
  alpha?: number;
  /** L2 penalty on W (default 1e-4). */
  l2?: number;
  /** Full-batch Adam epochs (default 100) and learning rate (default 0.05). */
  epochs?: number;
  lr?: number;
  /** Called after each epoch with the training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/** The per-feature scales: NB log-count ratios for two labels, else ones. */
function nbScale(feats: readonly Int32Array[], labels: readonly number[], weights: readonly number[], L: number, D: number, alpha: number): Float32Array {
  const scale = new Float32Array(D).fill(1);
  if (L !== 2) return scale;
  const p = new Float64Array(D).fill(alpha), q = new Float64Array(D).fill(alpha);
  feats.forEach((f, i) => { const c = labels[i] === 1 ? p : q; for (const j of f) c[j]! += weights[i]!; });
  let sp = 0, sq = 0;
  for (let j = 0; j < D; j++) { sp += p[j]!; sq += q[j]!; }
  for (let j = 0; j < D; j++) scale[j] = Math.log(p[j]! / sp) - Math.log(q[j]! / sq);
  return scale;
}

/** logits (L) of one feature set: b + W (x * r). */
function logitsOf(m: LinearTextModel, f: Int32Array): Float64Array {
  const { numLabels: L, buckets: D } = m.config;
  const z = Float64Array.from(m.bias);
  for (let k = 0; k < L; k++) {
    let s = 0;
    for (const j of f) s += m.weight[k * D + j]! * m.scale[j]!;
    z[k]! += s;
  }
  return z;
}

/** Softmax of logits in place; returns log-sum-exp. */
function softmaxInPlace(z: Float64Array): number {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let k = 0; k < z.length; k++) { z[k] = Math.exp(z[k]! - max); sum += z[k]!; }
  for (let k = 0; k < z.length; k++) z[k]! /= sum;
  return max + Math.log(sum);
}

/** Trains a model on `examples` (see the module comment). */
export function trainLinearText(examples: readonly LinearTextExample[], o: LinearTextTrainOptions): LinearTextModel {
  const L = o.labels, D = o.buckets ?? 1 << 20, l2 = o.l2 ?? 1e-4, epochs = o.epochs ?? 100, lr = o.lr ?? 0.05;
  const feats = examples.map((e) => textFeatures(e.text, D));
  const ys = examples.map((e) => e.label);
  const ws = examples.map((e) => e.weight ?? 1);
  const m: LinearTextModel = { config: { arch: 'nbsvm', buckets: D, numLabels: L }, scale: nbScale(feats, ys, ws, L, D, o.alpha ?? 1), weight: new Float32Array(L * D), bias: new Float32Array(L) };
  const P = L * D + L; // W then b
  const grad = new Float64Array(P), mom = new Float64Array(P), vel = new Float64Array(P);
  // The parameters that can move: W's columns of the slots some text has, and b. The rest
  // get no gradient and stay zero (so does their L2 term), and the dense passes skip them.
  const seen = new Uint8Array(D);
  for (const f of feats) for (const j of f) seen[j] = 1;
  const live: number[] = [];
  for (let k = 0; k < L; k++) for (let j = 0; j < D; j++) if (seen[j]) live.push(k * D + j);
  for (let k = 0; k < L; k++) live.push(L * D + k);
  const active = Int32Array.from(live);
  const b1 = 0.9, b2 = 0.999, eps = 1e-8, N = ws.reduce((a, b) => a + b, 0);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const p of active) grad[p] = 0;
    let loss = 0;
    feats.forEach((f, i) => {
      const z = logitsOf(m, f); // (L)
      const y = ys[i]!;
      const zy = z[y]!;
      loss += ws[i]! * (softmaxInPlace(z) - zy); // -log p_y; z now holds the probabilities
      for (let k = 0; k < L; k++) {
        const g = ws[i]! * (z[k]! - (k === y ? 1 : 0)) / N; // dLoss/dlogit_k
        for (const j of f) grad[k * D + j]! += g * m.scale[j]!;
        grad[L * D + k]! += g;
      }
    });
    let reg = 0;
    for (const p of active) {
      if (p >= L * D) continue; // b is not penalised
      const w = m.weight[p]!;
      grad[p]! += l2 * w;
      reg += w * w;
    }
    o.onEpoch?.(epoch, loss / N + (l2 / 2) * reg);
    const c1 = 1 - b1 ** epoch, c2 = 1 - b2 ** epoch;
    for (const p of active) {
      const g = grad[p]!;
      mom[p] = b1 * mom[p]! + (1 - b1) * g;
      vel[p] = b2 * vel[p]! + (1 - b2) * g * g;
      const step = (lr * mom[p]! / c1) / (Math.sqrt(vel[p]! / c2) + eps);
      if (p < L * D) m.weight[p]! -= step; else m.bias[p - L * D]! -= step;
    }
  }
  return m;
}

/** The probability of each label for `text`. */
export function linearTextProbs(m: LinearTextModel, text: string): number[] {
  const z = logitsOf(m, textFeatures(text, m.config.buckets));
  softmaxInPlace(z);
  return [...z];
}
