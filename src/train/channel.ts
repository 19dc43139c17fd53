/**
 * Generative ("noisy channel") classification with a causal language model: label k is a
 * short prefix of ids (e.g. [eos, " great"]); the model is fine-tuned as a language model
 * on each labelled text after its label's prefix (the loss on the text and its closing
 * eos only: SFT examples, `channelExample`), and a text is classified by which prefix
 * makes it most likely: argmax_k log P(text | prefix_k) (`channelScores`), each label's
 * mean score over unlabelled texts subtracted first (`channelCalibration`). It is naive
 * Bayes with the unigram/bigram counts replaced by a language model, the generative
 * classifier that needs the fewest labels (Ng and Jordan 2001; Yogatama et al. 2017; the
 * channel prompting of Min et al. 2022), and what a pretrained language model already
 * knows about text carries over to it directly.
 *
 * @example
 * const prefixes = [[eos, tok.encode(' terrible')[0]], [eos, tok.encode(' great')[0]]];
 * const train = rows.map((r) => channelExample(tok.encode(r.text), prefixes[r.label], eos, 64));
 * ... finetune(ft, { task: 'sft', train, val }, ...) ...
 * const scores = channelScores(model, texts.map((t) => tok.encode(t)), prefixes, eos, 64); // scores[i][k]
 */
import type { AnyModel } from '../models/registry.ts';
import { withEvalMode } from '../nn/eval-mode.ts';
import { noGrad } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';
import type { SftExample } from './objectives/causal-lm.ts';

/** The rows a block of T positions holds: prefix + text + eos cut to T + 1 ids (the text is cut, never the prefix). */
function row(text: readonly number[], prefix: readonly number[], eos: number, block: number): number[] {
  const room = block + 1 - prefix.length - 1;
  if (prefix.length === 0) throw new LlmtsError('E_CONFIG', 'a channel label prefix is empty', { where: 'channel prefixes', hint: 'give each label at least one id' });
  if (room < 1) throw new LlmtsError('E_CONFIG', `a label prefix of ${prefix.length} ids leaves no room in a block of ${block}`, { where: 'channel prefixes', hint: 'use a shorter prefix or a longer block' });
  return [...prefix, ...text.slice(0, room), eos];
}

/** A labelled text as an SFT example: its label's prefix (not scored), then the text and eos (scored). */
export function channelExample(text: readonly number[], prefix: readonly number[], eos: number, block: number): SftExample {
  const ids = row(text, prefix, eos, block);
  return { ids, mask: ids.map((_, t) => (t >= prefix.length ? 1 : 0)) };
}

/**
 * log P(text, eos | prefix_k) under `model` for every text and label: (texts, labels).
 * Texts are scored in batches of `batch` rows, right-padded with eos (padding is never scored).
 */
export function channelScores(model: AnyModel, texts: readonly (readonly number[])[], prefixes: readonly (readonly number[])[], eos: number, block: number, batch = 32): number[][] {
  const V = model.config.vocabSize;
  const out = texts.map(() => new Array<number>(prefixes.length).fill(0));
  const jobs = texts.flatMap((t, i) => prefixes.map((p, k) => ({ i, k, ids: row(t, p, eos, block), from: p.length })));
  withEvalMode(model, () => {
    for (let j0 = 0; j0 < jobs.length; j0 += batch) {
      const part = jobs.slice(j0, j0 + batch);
      const T = Math.max(...part.map((j) => j.ids.length - 1));
      const ids = new Int32Array(part.length * T).fill(eos); // (B, T)
      part.forEach((j, r) => ids.set(j.ids.slice(0, -1), r * T));
      const logits = noGrad(() => model.forward(ids, part.length, T).logits.data); // (B, T, V)
      part.forEach((j, r) => {
        let sum = 0;
        for (let t = j.from - 1; t + 1 < j.ids.length; t++) { // position t predicts ids[t + 1]
          const o = (r * T + t) * V;
          let max = -Infinity;
          for (let v = 0; v < V; v++) max = Math.max(max, logits[o + v]!);
          let z = 0;
          for (let v = 0; v < V; v++) z += Math.exp(logits[o + v]! - max);
          sum += logits[o + j.ids[t + 1]!]! - max - Math.log(z);
        }
        out[j.i]![j.k] = sum;
      });
    }
  });
  return out;
}

/**
 * Per-label offsets that calibrate channel scores: minus each label's mean score over
 * `unlabelled` (texts, labels) scores, so that no label wins merely because its prefix
 * makes every text likelier (the contextual calibration of Zhao et al. 2021, from
 * unlabelled texts).
 */
export function channelCalibration(unlabelled: readonly (readonly number[])[]): number[] {
  if (unlabelled.length === 0) throw new LlmtsError('E_DATA', 'no unlabelled texts to calibrate on', { where: 'channelCalibration', hint: 'pass the scores of some unlabelled texts' });
  const K = unlabelled[0]!.length;
  return Array.from({ length: K }, (_, k) => -unlabelled.reduce((a, s) => a + s[k]!, 0) / unlabelled.length);
}

/** The label of each row of `scores` (texts, labels): the argmax, after adding `offsets` (one per label) when given. */
export function channelPredict(scores: readonly (readonly number[])[], offsets?: readonly number[]): number[] {
  return scores.map((s) => {
    const v = s.map((x, k) => x + (offsets?.[k] ?? 0));
    return v.reduce((best, x, k) => (x > v[best]! ? k : best), 0);
  });
}
