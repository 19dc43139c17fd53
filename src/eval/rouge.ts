/**
 * ROUGE-N, ROUGE-L and ROUGE-Lsum exactly as Google's `rouge-score` package computes them
 * (`RougeScorer([...], use_stemmer)`): its tokeniser lower-cases, turns every run of
 * characters outside [a-z0-9] into a space and, with the stemmer, stems tokens longer
 * than three letters with NLTK's Porter stemmer. Text in other scripts therefore has no
 * tokens and scores zero, by design of that tokeniser. N-gram counts are clipped; ROUGE-L
 * is the longest common subsequence; ROUGE-Lsum splits both texts into sentences on '\n'
 * and sums the union-LCS hits of each target sentence, counting each token at most as
 * often as it occurs (as ROUGE-1.5.5).
 *
 * @example
 * const s = rougeScores('the cat sat on the mat', 'the cat on the mat');
 * s.rouge1 // { precision: 1, recall: 0.833..., fmeasure: 0.909... }
 */
import { porterStem } from './porter.ts';

/** Precision, recall and F1 of one ROUGE type, each in [0, 1]. */
export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** The four ROUGE types this module reports. */
export interface RougeScores {
  rouge1: RougeScore;
  rouge2: RougeScore;
  rougeL: RougeScore;
  rougeLsum: RougeScore;
}

/** Options of the scorer. */
export interface RougeOptions {
  /** Stem tokens longer than 3 letters with the Porter stemmer (rouge-score's use_stemmer). Default false. */
  stem?: boolean;
}

/** The names of the ROUGE types, in report order. */
export const ROUGE_TYPES = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const;

const ZERO: RougeScore = { precision: 0, recall: 0, fmeasure: 0 };

/** rouge-score's `scoring.fmeasure`: the harmonic mean, 0 when both are 0. */
function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function score(precision: number, recall: number): RougeScore {
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/**
 * rouge-score's default tokeniser: lower case, `[^a-z0-9]+` -> ' ', split on whitespace,
 * optionally Porter-stem tokens longer than 3 characters, keep non-empty [a-z0-9]+ tokens.
 * @example rougeTokenize('The Cats, running!', { stem: true }) // ['the', 'cat', 'run']
 */
export function rougeTokenize(text: string, opts: RougeOptions = {}): string[] {
  const words = text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(/\s+/);
  const stemmed = opts.stem ? words.map((w) => (w.length > 3 ? porterStem(w) : w)) : words;
  return stemmed.filter((w) => /^[a-z0-9]+$/.test(w));
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N from token lists: clipped n-gram overlap over the prediction's and the target's n-gram counts. */
export function rougeN(target: readonly string[], prediction: readonly string[], n: number): RougeScore {
  const t = ngramCounts(target, n);
  const p = ngramCounts(prediction, n);
  let overlap = 0;
  let targetCount = 0;
  for (const [g, c] of t) {
    overlap += Math.min(c, p.get(g) ?? 0);
    targetCount += c;
  }
  let predictionCount = 0;
  for (const c of p.values()) predictionCount += c;
  return score(overlap / Math.max(predictionCount, 1), overlap / Math.max(targetCount, 1));
}

/** The (rows+1) x (cols+1) LCS length table of two token lists. */
function lcsTable(ref: readonly string[], can: readonly string[]): Int32Array[] {
  const table = Array.from({ length: ref.length + 1 }, () => new Int32Array(can.length + 1));
  for (let i = 1; i <= ref.length; i++) {
    const row = table[i]!;
    const prev = table[i - 1]!;
    for (let j = 1; j <= can.length; j++) {
      row[j] = ref[i - 1] === can[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, row[j - 1]!);
    }
  }
  return table;
}

/** ROUGE-L from token lists: LCS length over the prediction's and the target's lengths. */
export function rougeL(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return ZERO;
  const lcs = lcsTable(target, prediction)[target.length]![prediction.length]!;
  return score(lcs / prediction.length, lcs / target.length);
}

/** Indices into `ref` of one LCS with `can`, read back as rouge-score's `_backtrack_norec` does (ties move up). */
function lcsIndices(ref: readonly string[], can: readonly string[]): number[] {
  const t = lcsTable(ref, can);
  const out: number[] = [];
  let i = ref.length;
  let j = can.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i]![j - 1]! > t[i - 1]![j]!) {
      j--;
    } else {
      i--;
    }
  }
  return out.reverse();
}

function countTokens(sentences: readonly (readonly string[])[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of sentences) for (const tok of s) counts.set(tok, (counts.get(tok) ?? 0) + 1);
  return counts;
}

/**
 * Summary-level ROUGE-L from tokenised sentences: for each target sentence the union of
 * its LCS with every prediction sentence; each hit spends one occurrence of the token in
 * both texts, so no token counts more often than it occurs.
 */
export function rougeLsum(targetSents: readonly (readonly string[])[], predictionSents: readonly (readonly string[])[]): RougeScore {
  if (targetSents.length === 0 || predictionSents.length === 0) return ZERO;
  const m = targetSents.reduce((s, x) => s + x.length, 0);
  const n = predictionSents.reduce((s, x) => s + x.length, 0);
  if (m === 0 || n === 0) return ZERO;
  const leftT = countTokens(targetSents);
  const leftP = countTokens(predictionSents);
  let hits = 0;
  for (const ref of targetSents) {
    const union = new Set<number>();
    for (const can of predictionSents) for (const k of lcsIndices(ref, can)) union.add(k);
    for (const k of [...union].sort((a, b) => a - b)) {
      const tok = ref[k]!;
      if ((leftP.get(tok) ?? 0) > 0 && (leftT.get(tok) ?? 0) > 0) {
        hits++;
        leftP.set(tok, leftP.get(tok)! - 1);
        leftT.set(tok, leftT.get(tok)! - 1);
      }
    }
  }
  return score(hits / n, hits / m);
}

/** rougeLsum's sentences: the text split on '\n', empty pieces dropped (before tokenising). */
function sentences(text: string): string[] {
  return text.split('\n').filter((s) => s.length > 0);
}

/**
 * ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum of `prediction` against `target`, as
 * `rouge_scorer.RougeScorer(['rouge1', 'rouge2', 'rougeL', 'rougeLsum'], use_stemmer).score(target, prediction)`.
 * @example rougeScores('testing one two', 'testing one').rouge2.fmeasure // 0.666...
 */
export function rougeScores(target: string, prediction: string, opts: RougeOptions = {}): RougeScores {
  const t = rougeTokenize(target, opts);
  const p = rougeTokenize(prediction, opts);
  return {
    rouge1: rougeN(t, p, 1),
    rouge2: rougeN(t, p, 2),
    rougeL: rougeL(t, p),
    rougeLsum: rougeLsum(sentences(target).map((s) => rougeTokenize(s, opts)), sentences(prediction).map((s) => rougeTokenize(s, opts))),
  };
}

/** Mean precision, recall and F of each ROUGE type over segments (rouge-score leaves aggregation to the caller; this is the plain mean). */
export function meanRouge(all: readonly RougeScores[]): RougeScores {
  const mean = (k: (typeof ROUGE_TYPES)[number]): RougeScore => {
    if (all.length === 0) return ZERO;
    const sum = (f: keyof RougeScore): number => all.reduce((s, x) => s + x[k][f], 0) / all.length;
    return { precision: sum('precision'), recall: sum('recall'), fmeasure: sum('fmeasure') };
  };
  return { rouge1: mean('rouge1'), rouge2: mean('rouge2'), rougeL: mean('rougeL'), rougeLsum: mean('rougeLsum') };
}
