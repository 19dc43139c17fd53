/**
 * Beam search as Hugging Face transformers 5 runs it (`GenerationMixin._beam_search`), so
 * that the same model gives the same output ids:
 * - each step, the log-softmax of every running beam's logits (float32 log-sum-exp, scores
 *   summed in float64), masked by the
 *   processors (`min_length`: no end id while the sequence, start id included, is shorter;
 *   `no_repeat_ngram_size`: no id that would repeat an n-gram of the sequence), plus the
 *   beam's running score; the best 2k of the k * V candidates (k = numBeams);
 * - a candidate that ends (the end id, or the sequence reaches maxLength) and is among the
 *   best k is a finished hypothesis scored sum logprob / length ** lengthPenalty (length:
 *   the generated ids, end id included, start id not); the k best hypotheses are kept;
 * - the k best candidates that did not end run on (rows are reordered to their parents:
 *   the stepper moves its cache rows, nothing is recomputed);
 * - it stops when no running beam can beat the worst kept hypothesis (HF's heuristic:
 *   the best running score over the current length, or over maxLength with
 *   earlyStopping 'never' and a positive penalty), when every source has k hypotheses and
 *   earlyStopping is true, or when every candidate ended.
 * The stepper is the model's side (src/infer/seq2seq-generate.ts): logits for each row's
 * next token, and the reorder.
 *
 * @example
 * const [best] = beamSearch(stepper, 1, { numBeams: 4, maxLength: 20, startId: 2, eosId: 2 });
 * best.ids; // [2, ..., 2], best.score = its length-normalised log-probability
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';

/** The options beam search takes (HF's generation_config names in camelCase). */
export interface BeamOptions {
  numBeams: number;
  /** Longest output, start id included (HF's max_length). */
  maxLength: number;
  /** No end id before the output (start id included) has this many ids (HF's min_length). Default 0. */
  minLength?: number;
  /** Finished scores are sum logprob / length ** lengthPenalty. Default 1. */
  lengthPenalty?: number;
  /** true: stop a source once it has numBeams hypotheses; false: HF's heuristic; 'never': the exact bound. Default false. */
  earlyStopping?: boolean | 'never';
  /** Ban any n-gram of this size from repeating (0 = off). Default 0. */
  noRepeatNgramSize?: number;
  /** Decoder start id (every output begins with it). */
  startId: number;
  eosId: number;
}

/** The model side of a search: one step's logits and the reorder of its rows. */
export interface BeamStepper {
  readonly vocabSize: number;
  /**
   * Logits (rows, V) of the next token of every row. `sequences[r]` is row r's output so
   * far (start id first); its last id is the one new since the previous step.
   */
  step(sequences: readonly number[][]): Float32Array;
  /** Row r continues row parents[r] of the last step. */
  reorder(parents: Int32Array): void;
}

/** One output: ids (start id first, end id last when it ended) and its length-normalised score. */
export interface BeamHypothesis {
  ids: number[];
  score: number;
}

const NEG = -1e9; // HF's "never chosen" offset

/** Checks the options; errors name the field. */
export function checkBeamOptions(o: BeamOptions): void {
  const bad = (field: string, want: string, v: unknown): never => {
    throw new LlmtsError('E_RANGE', `${field} must be ${want}, got ${JSON.stringify(v)}`, { where: field, hint: `set ${field} to ${want}` });
  };
  if (!Number.isInteger(o.numBeams) || o.numBeams < 1) bad('numBeams', 'an integer >= 1', o.numBeams);
  if (!Number.isInteger(o.maxLength) || o.maxLength < 2) bad('maxLength', 'an integer >= 2 (the start id and one more)', o.maxLength);
  if (o.minLength !== undefined && (!Number.isInteger(o.minLength) || o.minLength < 0)) bad('minLength', 'an integer >= 0', o.minLength);
  if (o.noRepeatNgramSize !== undefined && (!Number.isInteger(o.noRepeatNgramSize) || o.noRepeatNgramSize < 0)) bad('noRepeatNgramSize', 'an integer >= 0', o.noRepeatNgramSize);
  if (o.lengthPenalty !== undefined && !Number.isFinite(o.lengthPenalty)) bad('lengthPenalty', 'a finite number', o.lengthPenalty);
  if (o.earlyStopping !== undefined && o.earlyStopping !== true && o.earlyStopping !== false && o.earlyStopping !== 'never') bad('earlyStopping', "true, false or 'never'", o.earlyStopping);
}

/**
 * log(sum(exp)) of every row of logits (rows, V): the log-softmax of id i is logits[i] - lse.
 * The backend's fused cross-entropy kernel computes it (in float32, as HF's log_softmax of
 * float32 logits) for every row, also rows whose target is ignored.
 */
function logSumExpRows(logits: Float32Array, rows: number, V: number): Float32Array {
  const lse = new Float32Array(rows), losses = new Float32Array(rows);
  backend().crossEntropy(rows, V, logits, new Int32Array(rows).fill(-1), -1, losses, lse);
  return lse;
}

/**
 * HF's logits processors for one row: the end id banned while `seq` is shorter than
 * minLength, and every id that would complete an n-gram already in `seq` (size n). The
 * row's scores start at `offset` of `scores` (default 0).
 */
export function banTokens(scores: Float64Array | Float32Array, seq: readonly number[], eosId: number, minLength: number, ngram: number, offset = 0): void {
  if (seq.length < minLength) scores[offset + eosId] = -Infinity;
  if (ngram <= 0 || seq.length < ngram) return;
  const prefix = seq.slice(seq.length - ngram + 1);
  for (let s = 0; s + ngram <= seq.length; s++) {
    let same = true;
    for (let j = 0; j < ngram - 1 && same; j++) same = seq[s + j] === prefix[j];
    if (same) scores[offset + seq[s + ngram - 1]!] = -Infinity;
  }
}

/** Indices of the `k` largest values of `xs`, largest first (ties: lower index first). */
function topK(xs: Float64Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (best.length === k && v <= xs[best[k - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && xs[best[at - 1]!]! < v) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

/** Finished hypotheses of one source (at most numBeams, best first). */
interface Finished {
  hyps: BeamHypothesis[];
  /** HF's sticky "a running beam may still beat the worst hypothesis". */
  improvable: boolean;
}

/**
 * Beam search over `batch` sources (the stepper's rows are source b's beams at
 * b * numBeams .. b * numBeams + numBeams - 1). Returns each source's best hypothesis.
 */
export function beamSearch(stepper: BeamStepper, batch: number, o: BeamOptions): BeamHypothesis[] {
  checkBeamOptions(o);
  const k = o.numBeams, V = stepper.vocabSize, lp = o.lengthPenalty ?? 1, early = o.earlyStopping ?? false;
  const minLength = o.minLength ?? 0, ngram = o.noRepeatNgramSize ?? 0;
  const keep = 2 * k;
  let seqs: number[][] = Array.from({ length: batch * k }, () => [o.startId]);
  let running = new Float64Array(batch * k).map((_, r) => (r % k === 0 ? 0 : NEG));
  const done: Finished[] = Array.from({ length: batch }, () => ({ hyps: [], improvable: true }));
  let curLen = 1;
  const acc = new Float64Array(k * V); // (k, V) accumulated scores of one source, reused
  for (;;) {
    const logits = stepper.step(seqs);
    const lses = logSumExpRows(logits, batch * k, V); // (rows)
    const nextSeqs: number[][] = [];
    const nextScores = new Float64Array(batch * k);
    const parents = new Int32Array(batch * k);
    let allHit = true;
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < k; j++) {
        const r = b * k + j;
        // (logits - lse) + running, in float64: the log-softmax row plus the beam's score
        const lse = lses[r]!, run = running[r]!, o0 = r * V, a0 = j * V;
        for (let v = 0; v < V; v++) acc[a0 + v] = (logits[o0 + v]! - lse) + run;
        banTokens(acc, seqs[r]!, o.eosId, minLength, ngram, a0); // -Infinity + run stays -Infinity
      }
      const cand = topK(acc, keep).map((i) => ({ parent: Math.floor(i / V), token: i % V, score: acc[i]! }));
      const hits = cand.map((c) => c.token === o.eosId || curLen + 1 >= o.maxLength);
      if (!hits.every((h) => h)) allHit = false;
      // the best k candidates that did not end run on (ended ones sink by NEG, as in HF)
      const runScores = Float64Array.from(cand, (c, i) => c.score + (hits[i] ? NEG : 0));
      topK(runScores, k).forEach((ci, j) => {
        const c = cand[ci]!;
        const r = b * k + j;
        parents[r] = b * k + c.parent;
        nextSeqs[r] = [...seqs[b * k + c.parent]!, c.token];
        nextScores[r] = runScores[ci]!;
      });
      // ended candidates among the best k become hypotheses, unless the source is closed
      const fin = done[b]!;
      const full = fin.hyps.length === k && early === true;
      if (!full && fin.improvable) {
        for (let i = 0; i < k; i++) {
          if (!hits[i]) continue;
          const c = cand[i]!;
          fin.hyps.push({ ids: [...seqs[b * k + c.parent]!, c.token], score: c.score / curLen ** lp });
        }
        fin.hyps.sort((x, y) => y.score - x.score); // stable: earlier entries win ties, as HF's topk over [old, new]
        fin.hyps.length = Math.min(fin.hyps.length, k);
      }
    }
    stepper.reorder(parents);
    seqs = nextSeqs;
    running = nextScores;
    curLen++;
    for (let b = 0; b < batch; b++) {
      const fin = done[b]!;
      const bestLen = early === 'never' && lp > 0 ? o.maxLength - 1 : curLen - 1;
      const best = running[b * k]! / bestLen ** lp;
      const worst = fin.hyps.length === k ? fin.hyps[k - 1]!.score : NEG;
      fin.improvable = fin.improvable && best > worst;
    }
    const improvable = done.some((f) => f.improvable);
    const allFull = done.every((f) => f.hyps.length === k) && early === true;
    if (!improvable || allFull || allHit) break;
  }
  return done.map((f) => f.hyps[0] ?? { ids: seqs[0]!, score: NEG });
}
