/**
 * Masked-LM metrics on held-out text:
 * - `maskedTokenScores`: the mean loss and the accuracy (argmax = original id) over the
 *   masked positions of masked-LM batches;
 * - `pseudoPerplexity` (Salazar et al. 2020): each non-special token of a window masked
 *   alone (the window repeated once per position, one [MASK] per row), exp of the mean
 *   negative log-likelihood of the original tokens.
 * The model runs in eval mode without a graph. Its `forward(ids, B, T, targets)` gives
 * either the logits of every position (B, T, V) or those of the scored positions first
 * (N, V), then padding rows, as the encoder's masked-LM head does; both are read.
 *
 * @example
 * const { accuracy, loss } = maskedTokenScores(model, valBatches);
 * pseudoPerplexity(model, windows, { maskId: 103, specialIds }); // e.g. 12.3
 */
import type { LanguageModel } from '../models/model.ts';
import type { Module } from '../nn/module.ts';
import { withEvalMode } from '../nn/eval-mode.ts';
import { noGrad, tidy } from '../tensor/index.ts';
import { IGNORE } from '../train/objectives/causal-lm.ts';
import type { MaskedLmBatch } from '../train/objectives/masked-lm.ts';

type MlmModel = Pick<LanguageModel, 'forward'> & Module;

/** Mean loss and accuracy over the masked positions of `batches`. */
export function maskedTokenScores(model: MlmModel, batches: Iterable<MaskedLmBatch>): { loss: number; accuracy: number; count: number } {
  let total = 0, right = 0, count = 0;
  withEvalMode(model, () => noGrad(() => {
    for (const b of batches) {
      tidy(() => {
        const { logits, loss } = model.forward(b.ids, b.rows, b.T, b.targets);
        const V = logits.shape[logits.shape.length - 1]!;
        const rows = logits.size / V;
        const positions: number[] = [];
        b.targets.forEach((t, i) => { if (t !== IGNORE) positions.push(i); });
        if (positions.length === 0) return;
        const gathered = rows !== b.targets.length; // (N + padding, V): the scored rows first (Encoder.mlmOutput)
        positions.forEach((pos, k) => {
          const row = logits.data.subarray((gathered ? k : pos) * V, ((gathered ? k : pos) + 1) * V);
          let best = 0;
          for (let v = 1; v < V; v++) if (row[v]! > row[best]!) best = v;
          if (best === b.targets[pos]) right++;
        });
        total += loss!.item() * positions.length;
        count += positions.length;
      });
    }
  }));
  return { loss: total / count, accuracy: right / count, count };
}

/** Pseudo-perplexity of `windows` (each (T) ids), see the module comment. */
export function pseudoPerplexity(model: MlmModel, windows: Iterable<Int32Array>, o: { maskId: number; specialIds?: ReadonlySet<number> }): { pppl: number; tokens: number } {
  let nll = 0, tokens = 0;
  withEvalMode(model, () => noGrad(() => {
    for (const w of windows) {
      const T = w.length;
      const positions = [...w.keys()].filter((t) => !o.specialIds?.has(w[t]!));
      if (positions.length === 0) continue;
      const rows = positions.length;
      const ids = new Int32Array(rows * T), targets = new Int32Array(rows * T).fill(IGNORE); // (rows, T)
      positions.forEach((t, r) => {
        ids.set(w, r * T);
        ids[r * T + t] = o.maskId;
        targets[r * T + t] = w[t]!;
      });
      tidy(() => {
        nll += model.forward(ids, rows, T, targets).loss!.item() * rows;
      });
      tokens += rows;
    }
  }));
  return { pppl: Math.exp(nll / tokens), tokens };
}
