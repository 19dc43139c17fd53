/**
 * chrF and chrF++ exactly as sacreBLEU 2.6 computes them by default: character n-grams
 * of orders 1..6 over the segment with all whitespace removed (code points, as Python
 * counts them), plus word uni- and bigrams for chrF++ (words split on whitespace, with one
 * leading or trailing ASCII punctuation mark split off), beta 2, case kept. Per segment
 * the reference with the best sentence-level F wins; its [hyp, ref, match] counts per
 * order are summed over the corpus, and the score is the F-beta of the precisions and
 * recalls averaged over the orders that occur in both hypothesis and reference
 * ("effective order", sacreBLEU's default since 2.0; no epsilon smoothing).
 *
 * @example
 * corpusChrf(['le chat'], [['le chat']]).score      // 100
 * chrfSignature(1, 2) // 'nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0'
 */
import { checkReferenceSets, SACREBLEU_VERSION } from './bleu.ts';
import { codePoints, pySplit } from './sacrebleu-text.ts';

/** Character n-gram order (sacreBLEU's CHAR_ORDER). */
const CHAR_ORDER = 6;
/** F-beta's beta: recall weighs beta^2 times precision. */
const BETA = 2;
/** `string.punctuation`, which chrF++ splits off words. */
const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** A chrF / chrF++ score. */
export interface ChrfResult {
  /** chrF (word order 0) or chrF++ (word order 2), in [0, 100]. */
  score: number;
  /** Word n-gram order: 0 for chrF, 2 for chrF++. */
  wordOrder: number;
}

type Counts = Map<string, number>;

function countAll(items: string[]): Counts {
  const c: Counts = new Map();
  for (const x of items) c.set(x, (c.get(x) ?? 0) + 1);
  return c;
}

/** chrF++'s word split: whitespace, then one trailing (else one leading) punctuation mark split off. */
function wordsWithPunctuationSplit(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    const chars = codePoints(w);
    if (chars.length === 1) out.push(w);
    else if (PUNCTS.has(chars[chars.length - 1]!)) out.push(chars.slice(0, -1).join(''), chars[chars.length - 1]!);
    else if (PUNCTS.has(chars[0]!)) out.push(chars[0]!, chars.slice(1).join(''));
    else out.push(w);
  }
  return out;
}

/** Per order: character n-grams 1..6 of the whitespace-free segment, then word n-grams 1..wordOrder. */
function ngramsByOrder(sent: string, wordOrder: number): Counts[] {
  const chars = codePoints(pySplit(sent).join(''));
  const orders: Counts[] = [];
  for (let n = 1; n <= CHAR_ORDER; n++) {
    const grams: string[] = [];
    for (let i = 0; i + n <= chars.length; i++) grams.push(chars.slice(i, i + n).join(''));
    orders.push(countAll(grams));
  }
  if (wordOrder > 0) {
    const words = wordsWithPunctuationSplit(sent);
    for (let n = 1; n <= wordOrder; n++) {
      const grams: string[] = [];
      for (let i = 0; i + n <= words.length; i++) grams.push(words.slice(i, i + n).join(' '));
      orders.push(countAll(grams));
    }
  }
  return orders;
}

/** [hyp count, ref count, matches] of one order; hypothesis n-grams count only when the reference has some. */
function matchStats(hyp: Counts, ref: Counts): [number, number, number] {
  let match = 0;
  let hypCount = 0;
  for (const [g, c] of hyp) {
    hypCount += c;
    match += Math.min(c, ref.get(g) ?? 0);
  }
  let refCount = 0;
  for (const c of ref.values()) refCount += c;
  return [ref.size > 0 ? hypCount : 0, refCount, match];
}

/** sacreBLEU's `_compute_f_score` with eps_smoothing=False, on flat [hyp, ref, match] triples. */
function fScore(stats: readonly number[]): number {
  const factor = BETA * BETA;
  let avgPrec = 0;
  let avgRec = 0;
  let effective = 0;
  for (let i = 0; i + 2 < stats.length; i += 3) {
    const [nHyp, nRef, nMatch] = [stats[i]!, stats[i + 1]!, stats[i + 2]!];
    if (nHyp > 0 && nRef > 0) {
      avgPrec += nMatch / nHyp;
      avgRec += nMatch / nRef;
      effective++;
    }
  }
  if (effective > 0) {
    avgPrec /= effective;
    avgRec /= effective;
  }
  if (avgPrec + avgRec === 0) return 0;
  const f = ((1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec);
  return 100 * f;
}

/** The statistics of one segment against its references: those of the reference with the best F (the first on ties). */
function segmentStats(hyp: string, refs: readonly string[], wordOrder: number): number[] {
  const hypGrams = ngramsByOrder(hyp, wordOrder);
  let best: number[] = [];
  let bestF = -1;
  for (const ref of refs) {
    const refGrams = ngramsByOrder(ref, wordOrder);
    const stats = hypGrams.flatMap((h, k) => matchStats(h, refGrams[k]!));
    const f = fScore(stats);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

/**
 * Corpus chrF (`wordOrder` 0) or chrF++ (`wordOrder` 2) of `hyps` against one or more
 * reference sets (`refSets[k][i]` is the k-th reference of segment i), as sacreBLEU 2.6.
 * Segments are taken as given (sacreBLEU's command line right-strips file lines first).
 * @example corpusChrf(['abc'], [['abd']], 0).score // 38.89
 */
export function corpusChrf(hyps: readonly string[], refSets: readonly (readonly string[])[], wordOrder = 0): ChrfResult {
  checkReferenceSets(hyps, refSets);
  const sums = new Array<number>(3 * (CHAR_ORDER + wordOrder)).fill(0);
  hyps.forEach((hyp, i) => {
    segmentStats(hyp, refSets.map((refs) => refs[i]!), wordOrder).forEach((v, k) => { sums[k]! += v; });
  });
  return { score: fScore(sums), wordOrder };
}

/** Sentence-level chrF / chrF++ of one hypothesis against its references (sacreBLEU's `sentence_score`). */
export function sentenceChrf(hyp: string, refs: readonly string[], wordOrder = 0): ChrfResult {
  return { score: fScore(segmentStats(hyp, refs, wordOrder)), wordOrder };
}

/** sacreBLEU's chrF signature for the defaults, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`. */
export function chrfSignature(nrefs: number, wordOrder: number): string {
  return `nrefs:${nrefs}|case:mixed|eff:yes|nc:${CHAR_ORDER}|nw:${wordOrder}|space:no|version:${SACREBLEU_VERSION}`;
}

/** The line sacreBLEU prints for a chrF score, e.g. `chrF2++|nrefs:1|...|version:2.6.0 = 67.71`. */
export function formatChrf(r: ChrfResult, nrefs: number): string {
  return `chrF${BETA}${'+'.repeat(r.wordOrder)}|${chrfSignature(nrefs, r.wordOrder)} = ${r.score.toFixed(2)}`;
}
