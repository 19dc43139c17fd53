/**
 * The llm.ts side of the PyTorch hand-off check (docs/scale.md): loads a model as every
 * `--model` command does, runs it on the ids of a reference-logits file written by
 * scripts/scale/train_ddp.py (--logits-before / --logits-after: safetensors with "ids"
 * int32 (1, T) and "logits" float32 (1, T, V)) and prints the largest absolute logit
 * difference and how many positions pick the same top token. Exits 1 when the difference
 * is above --tol. With --data DIR it also prints the model's mean loss over the first
 * --windows consecutive windows of that token folder's validation split, the windows
 * train_ddp.py scores for its "val loss" lines.
 *
 *   node --import tsx scripts/scale/compare-logits.ts --model DIR --logits FILE [--tol 1e-4] [--data DIR --windows 32]
 *
 * Not part of `npm test` (it needs files made by PyTorch): scripts/scale/check.sh runs it.
 */
import { loadTokenData } from '../../src/data/tokenize.ts';
import { loadModel } from '../../src/io/load-model.ts';
import type { AnyModel } from '../../src/models/registry.ts';
import { loadSafetensors, toFloat32 } from '../../src/io/safetensors.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { numberFlag, parseFlags } from '../../src/cli/flags.ts';
import { LlmtsError } from '../../src/util/errors.ts';

/** The largest |a - b| and the number of rows of width V whose argmax agrees. */
export function compareLogits(ours: Float32Array, theirs: Float32Array, V: number): { maxAbsDiff: number; sameTop: number; rows: number } {
  let maxAbsDiff = 0, sameTop = 0;
  const rows = ours.length / V;
  for (let r = 0; r < rows; r++) {
    let ia = 0, ib = 0;
    for (let v = 0; v < V; v++) {
      const i = r * V + v;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ours[i]! - theirs[i]!));
      if (ours[i]! > ours[r * V + ia]!) ia = v;
      if (theirs[i]! > theirs[r * V + ib]!) ib = v;
    }
    if (ia === ib) sameTop++;
  }
  return { maxAbsDiff, sameTop, rows };
}

/** Mean next-token loss over the first `count` consecutive (T+1)-token windows of `dir`'s val split (train_ddp.py's val_windows). */
export function valLoss(model: AnyModel, dir: string, T: number, count: number): { loss: number; windows: number } {
  const val = loadTokenData(dir).val;
  const ids = new Int32Array(val.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of val) {
    ids.set(s, at);
    at += s.length;
  }
  const n = Math.min(count, Math.floor((ids.length - 1) / T));
  if (n < 1) throw new LlmtsError('E_NO_TOKENS', `the validation split of ${dir} holds ${ids.length} tokens, fewer than ${T + 1}`, { where: dir, hint: 'use a token folder with a validation split' });
  let total = 0;
  for (let w = 0; w < n; w++) {
    const x = ids.slice(w * T, w * T + T); // (1, T)
    const y = ids.slice(w * T + 1, w * T + T + 1); // (1, T)
    total += noGrad(() => model.forward(x, 1, T, y).loss!.item());
  }
  return { loss: total / n, windows: n };
}

function main(argv: string[]): number {
  const { values } = parseFlags('scale compare-logits', argv, {
    model: { type: 'string' }, logits: { type: 'string' }, tol: { type: 'string' }, label: { type: 'string' }, data: { type: 'string' }, windows: { type: 'string' },
  });
  if (!values.model || !values.logits) {
    throw new LlmtsError('E_FLAG', '--model DIR and --logits FILE are required', { hint: 'see docs/scale.md' });
  }
  const tol = numberFlag(values.tol, '--tol', 1e-4, { min: 0 });
  const { tensors } = loadSafetensors(values.logits);
  const ids = tensors.ids, ref = tensors.logits;
  if (!ids || ids.dtype !== 'I32' || ids.shape.length !== 2 || ids.shape[0] !== 1 || !ref || ref.shape.length !== 3) {
    throw new LlmtsError('E_SAFETENSORS', `${values.logits} must hold "ids" I32 (1, T) and "logits" (1, T, V)`, { where: values.logits, hint: 'write it with scripts/scale/train_ddp.py --logits-after FILE' });
  }
  const T = ids.shape[1]!, V = ref.shape[2]!;
  const { model } = loadModel(values.model);
  if (model.config.vocabSize !== V || ref.shape[1] !== T) {
    throw new LlmtsError('E_SAFETENSORS', `${values.logits} holds logits (1, ${ref.shape[1]}, ${V}); the model has vocabulary ${model.config.vocabSize} and the ids ${T} positions`, { where: values.logits, hint: 'compare a model with the logits written for it' });
  }
  model.eval();
  const ours = noGrad(() => model.forward(Int32Array.from(ids.data as Int32Array), 1, T).logits.data.slice()); // (1, T, V)
  const r = compareLogits(ours, toFloat32(ref), V);
  const ok = r.maxAbsDiff <= tol;
  console.log(`${values.label ?? values.model}: llm.ts vs PyTorch logits over ${T} positions x ${V}: max abs diff ${r.maxAbsDiff.toExponential(2)} `
    + `(tol ${tol.toExponential(0)}${ok ? '' : ', OVER'}), same top token at ${r.sameTop}/${r.rows} positions`);
  if (values.data) {
    const v = valLoss(model, values.data, T, numberFlag(values.windows, '--windows', 32, { int: true, min: 1 }));
    console.log(`  llm.ts val loss ${v.loss.toFixed(4)} over the first ${v.windows} windows of ${values.data}`);
  }
  return ok ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof LlmtsError)) throw err;
  console.error(`error: ${err.message}`);
  process.exitCode = 2;
}
