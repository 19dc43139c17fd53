/**
 * Corpus BLEU exactly as sacreBLEU 2.6 computes it by default (`sacrebleu hyp -r ref`):
 * 13a tokenisation, case kept, n-grams up to 4, counts clipped by the largest count of
 * the n-gram in any one reference, the reference length closest to the hypothesis
 * (shorter on ties), statistics summed over the corpus, one brevity penalty for the
 * corpus, and 'exp' smoothing (the k-th zero precision counts as 1 / (2^k * total)).
 * Segments are right-stripped of whitespace as sacreBLEU's command line reads them.
 *
 * @example
 * const r = corpusBleu(['The cat sat on the mat.'], [['The cat sat on a mat.']]);
 * r.score // 48.89 (sacreBLEU: 48.89)
 * bleuSignature(1) // 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0'
 */
import { LlmtsError } from '../util/errors.ts';
import { pyRstrip, pySplit, tokenize13a } from './sacrebleu-text.ts';

/** The sacreBLEU version whose defaults (and signature) these metrics reproduce. */
export const SACREBLEU_VERSION = '2.6.0';

/** BLEU's highest n-gram order. */
const MAX_ORDER = 4;

/** A corpus BLEU score with the statistics sacreBLEU prints beside it. */
export interface BleuResult {
  /** BLEU in [0, 100]. */
  score: number;
  /** Clipped matching n-grams per order 1..4. */
  counts: number[];
  /** Hypothesis n-grams per order 1..4. */
  totals: number[];
  /** Percent precisions per order (smoothed where a count is zero). */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis tokens. */
  sysLen: number;
  /** Reference tokens (the closest reference per segment). */
  refLen: number;
}

/** n-gram counts for orders 1..MAX_ORDER of a token list, keyed `order + ' ' + tokens` (tokens hold no spaces). */
function ngramCounts(tokens: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= MAX_ORDER; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = `${n} ${tokens.slice(i, i + n).join(' ')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** sacreBLEU's `_get_closest_ref_len`: the reference length nearest `hypLen`, the shorter on a tie. */
function closestRefLen(hypLen: number, refLens: number[]): number {
  let best = -1;
  let bestDiff = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && len < best)) {
      bestDiff = diff;
      best = len;
    }
  }
  return best;
}

/** The segment-level statistics [hypLen, refLen, counts(4), totals(4)] of one hypothesis. */
function segmentStats(hyp: string, refs: readonly string[]): number[] {
  const refMax = new Map<string, number>();
  const refLens: number[] = [];
  for (const ref of refs) {
    const tokens = pySplit(tokenize13a(pyRstrip(ref)));
    refLens.push(tokens.length);
    for (const [g, c] of ngramCounts(tokens)) refMax.set(g, Math.max(refMax.get(g) ?? 0, c));
  }
  const tokens = pySplit(tokenize13a(pyRstrip(hyp)));
  const correct = new Array<number>(MAX_ORDER).fill(0);
  const total = new Array<number>(MAX_ORDER).fill(0);
  for (const [g, c] of ngramCounts(tokens)) {
    const n = Number(g.slice(0, g.indexOf(' '))) - 1;
    total[n]! += c;
    correct[n]! += Math.min(c, refMax.get(g) ?? 0);
  }
  return [tokens.length, closestRefLen(tokens.length, refLens), ...correct, ...total];
}

/** sacreBLEU's `my_log`: log, with log(0) floored to -9999999999. */
function flooredLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** BLEU from summed statistics (sacreBLEU's `compute_bleu` with smooth_method='exp'). */
function bleuFromStats(sysLen: number, refLen: number, counts: number[], totals: number[]): BleuResult {
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  const result = { counts, totals, precisions, bp, sysLen, refLen };
  if (!counts.some((c) => c > 0)) return { score: 0, ...result };
  let smooth = 1;
  for (let n = 0; n < MAX_ORDER; n++) {
    if (totals[n] === 0) break;
    if (counts[n] === 0) {
      smooth *= 2;
      precisions[n] = 100 / (smooth * totals[n]!);
    } else {
      precisions[n] = (100 * counts[n]!) / totals[n]!;
    }
  }
  const meanLog = precisions.reduce((s, p) => s + flooredLog(p), 0) / MAX_ORDER;
  return { score: bp * Math.exp(meanLog), ...result };
}

/** Throws E_REFS unless every reference set has one segment per hypothesis. */
export function checkReferenceSets(hyps: readonly string[], refSets: readonly (readonly string[])[]): void {
  if (refSets.length === 0) throw new LlmtsError('E_REFS', 'no references given', { hint: 'pass at least one reference set' });
  refSets.forEach((refs, i) => {
    if (refs.length !== hyps.length) {
      throw new LlmtsError('E_REFS', `reference set ${i + 1} has ${refs.length} segments but there are ${hyps.length} hypotheses`,
        { where: `reference set ${i + 1}`, hint: 'give one reference segment per hypothesis segment' });
    }
  });
}

/**
 * Corpus BLEU of `hyps` against one or more reference sets (`refSets[k][i]` is the k-th
 * reference of segment i), as sacreBLEU 2.6 computes it by default.
 * @example corpusBleu(['a b c d'], [['a b c d']]).score // 100
 */
export function corpusBleu(hyps: readonly string[], refSets: readonly (readonly string[])[]): BleuResult {
  checkReferenceSets(hyps, refSets);
  const sums = new Array<number>(2 + 2 * MAX_ORDER).fill(0);
  hyps.forEach((hyp, i) => {
    const stats = segmentStats(hyp, refSets.map((refs) => refs[i]!));
    stats.forEach((v, k) => { sums[k]! += v; });
  });
  return bleuFromStats(sums[0]!, sums[1]!, sums.slice(2, 2 + MAX_ORDER), sums.slice(2 + MAX_ORDER));
}

/** sacreBLEU's BLEU signature for the defaults, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`. */
export function bleuSignature(nrefs: number): string {
  return `nrefs:${nrefs}|case:mixed|eff:no|tok:13a|smooth:exp|version:${SACREBLEU_VERSION}`;
}

/**
 * The line sacreBLEU prints for a BLEU score, e.g.
 * `BLEU|nrefs:1|...|version:2.6.0 = 46.98 85.1/55.0/39.7/32.5 (BP = 0.947 ratio = 0.949 hyp_len = 2792 ref_len = 2943)`.
 */
export function formatBleu(r: BleuResult, nrefs: number): string {
  const prec = r.precisions.map((p) => p.toFixed(1)).join('/');
  const ratio = r.refLen ? r.sysLen / r.refLen : 0;
  return `BLEU|${bleuSignature(nrefs)} = ${r.score.toFixed(2)} ${prec} (BP = ${r.bp.toFixed(3)} ratio = ${ratio.toFixed(3)} hyp_len = ${r.sysLen} ref_len = ${r.refLen})`;
}
