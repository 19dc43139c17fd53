/**
 * Extractive summaries of a document given as sentences: the Lead-k baseline (its first k
 * sentences) and a learned sentence scorer. The scorer is a linear model over sparse
 * features of each sentence (position, length, its words and word pairs hashed into 2^18
 * slots, its similarity to the rest of the document), trained on documents whose best
 * sentence is labelled (SciTLDR's `source_labels`) with a softmax over each document's
 * sentences: the loss is -log p(labelled sentence | document), so training fits exactly
 * the choice `pick` makes (the highest-scoring sentence). Adam updates of the weights a
 * document touches (lazy: untouched moments decay when next touched); deterministic for a seed.
 *
 * @example
 * lead(['We study X.', 'We find Y.'], 1);              // 'We study X.'
 * const s = trainSentenceScorer(docs);                  // docs: { sentences, best }[]
 * s.pick(['Prior work did Z.', 'We propose X.']);      // 1
 */
import { hash32, Rng } from '../util/rng.ts';
import { LlmtsError } from '../util/errors.ts';
import { rougeTokenize } from './rouge.ts';

/** Lead-k: the first k sentences, joined by a space. */
export function lead(sentences: readonly string[], k = 1): string {
  return sentences.slice(0, k).join(' ');
}

/** A document for the scorer: its sentences and the index of the labelled best one. */
export interface LabelledDocument {
  sentences: readonly string[];
  best: number;
}

/** Feature slots of the hashed words and word pairs. */
const HASH_BITS = 18;
const HASH_SIZE = 1 << HASH_BITS;
/** Dense features after the hashed ones: position (10), relative position (5), length (8), similarity (5), bias. */
const DENSE = 10 + 5 + 8 + 5 + 1;

/** Sparse features of one sentence: slot indices and values. */
interface Features {
  idx: Int32Array;
  val: Float32Array;
}

/** Word counts of a token list. */
function counts(tokens: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tokens) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/** Cosine similarity of two count vectors. */
function cosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0, na = 0, nb = 0;
  for (const [w, x] of a) {
    na += x * x;
    dot += x * (b.get(w) ?? 0);
  }
  for (const x of b.values()) nb += x * x;
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** A bucket index in [0, n): `x` against ascending edges. */
function bucket(x: number, edges: readonly number[]): number {
  let i = 0;
  while (i < edges.length && x >= edges[i]!) i++;
  return i;
}

/** The features of every sentence of a document (see the module comment). */
export function sentenceFeatures(sentences: readonly string[]): Features[] {
  const tokens = sentences.map((s) => rougeTokenize(s));
  const doc = counts(tokens.flat());
  return tokens.map((toks, i) => {
    const idx: number[] = [], val: number[] = [];
    const put = (slot: number, v: number) => {
      idx.push(slot);
      val.push(v);
    };
    const words = new Set<string>(toks.slice(0, 40));
    for (let k = 0; k + 1 < Math.min(toks.length, 12); k++) words.add(`${toks[k]} ${toks[k + 1]}`); // opening word pairs: "we propose", "in this"
    const norm = 1 / Math.sqrt(Math.max(1, words.size));
    for (const w of words) put(hash32(0x5eed, hashString(w)) & (HASH_SIZE - 1), norm);
    const dense = HASH_SIZE;
    put(dense + Math.min(i, 9), 1); // position 0..9+
    put(dense + 10 + bucket(sentences.length > 1 ? i / (sentences.length - 1) : 0, [0.2, 0.4, 0.6, 0.8]), 1); // relative position
    put(dense + 15 + bucket(toks.length, [8, 12, 16, 20, 25, 30, 40]), 1); // length in words
    const own = counts(toks);
    const rest = new Map(doc);
    for (const [w, x] of own) rest.set(w, rest.get(w)! - x);
    put(dense + 23 + bucket(cosine(own, rest), [0.2, 0.3, 0.4, 0.5]), 1); // similarity to the rest of the document
    put(dense + 28, 1); // bias (cancels in the softmax; kept for the score scale)
    return { idx: Int32Array.from(idx), val: Float32Array.from(val) };
  });
}

/** FNV-1a of a string's UTF-16 units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A trained sentence scorer. */
export interface SentenceScorer {
  /** Scores of each sentence (higher = more summary-like). */
  scores(sentences: readonly string[]): number[];
  /** The index of the highest-scoring sentence (the first on a tie). */
  pick(sentences: readonly string[]): number;
}

/** Options of `trainSentenceScorer`. */
export interface ScorerOptions {
  /** Passes over the documents. Default 2. */
  epochs?: number;
  /** Adam step size. Default 0.003. */
  lr?: number;
  /** L2 penalty on the weights a document touches. Default 1e-5. */
  l2?: number;
  seed?: number;
}

/** Trains the scorer on labelled documents (see the module comment); a label outside its document is E_DATA. */
export function trainSentenceScorer(docs: readonly LabelledDocument[], o: ScorerOptions = {}): SentenceScorer {
  const epochs = o.epochs ?? 2, lr = o.lr ?? 0.003, l2 = o.l2 ?? 1e-5;
  docs.forEach((d, i) => {
    if (!(Number.isInteger(d.best) && d.best >= 0 && d.best < d.sentences.length)) {
      throw new LlmtsError('E_DATA', `document ${i}: best sentence ${d.best} is not one of its ${d.sentences.length} sentences`, { where: `docs[${i}].best`, hint: 'label a sentence index of the document' });
    }
  });
  const n = HASH_SIZE + DENSE;
  const w = new Float32Array(n), m = new Float32Array(n), v = new Float32Array(n), last = new Int32Array(n);
  const feats = docs.map((d) => sentenceFeatures(d.sentences));
  const rng = new Rng(o.seed ?? 1);
  let t = 0;
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (let e = 0; e < epochs; e++) {
    for (const di of rng.shuffle(docs.map((_, i) => i))) {
      const fs = feats[di]!, best = docs[di]!.best;
      const s = fs.map((f) => dot(w, f));
      const p = softmax(s);
      const grad = new Map<number, number>(); // d(-log p_best)/dw = sum_i (p_i - [i = best]) f_i
      fs.forEach((f, i) => {
        const g = p[i]! - (i === best ? 1 : 0);
        for (let k = 0; k < f.idx.length; k++) grad.set(f.idx[k]!, (grad.get(f.idx[k]!) ?? 0) + g * f.val[k]!);
      });
      t++;
      for (const [j, g0] of grad) {
        const g = g0 + l2 * w[j]!;
        const skipped = t - 1 - last[j]!; // lazy Adam: moments decay over the steps this slot was not touched
        if (skipped > 0) {
          m[j]! *= b1 ** skipped;
          v[j]! *= b2 ** skipped;
        }
        m[j] = b1 * m[j]! + (1 - b1) * g;
        v[j] = b2 * v[j]! + (1 - b2) * g * g;
        last[j] = t;
        w[j]! -= (lr * (m[j]! / (1 - b1 ** t))) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + eps);
      }
    }
  }
  const scores = (sentences: readonly string[]): number[] => sentenceFeatures(sentences).map((f) => dot(w, f));
  return {
    scores,
    pick: (sentences) => {
      const s = scores(sentences);
      return s.indexOf(Math.max(...s));
    },
  };
}

function dot(w: Float32Array, f: Features): number {
  let s = 0;
  for (let k = 0; k < f.idx.length; k++) s += w[f.idx[k]!]! * f.val[k]!;
  return s;
}

function softmax(s: readonly number[]): number[] {
  const max = Math.max(...s);
  const e = s.map((x) => Math.exp(x - max));
  const z = e.reduce((a, x) => a + x, 0);
  return e.map((x) => x / z);
}
