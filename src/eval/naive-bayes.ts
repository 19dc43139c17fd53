/**
 * Multinomial naive Bayes over bags of words with add-alpha smoothing: the bag-of-words
 * baseline the tree models are compared with (Socher et al. 2013 report NB on SST:
 * 41.0 fine-grained / 81.8 binary at the root).
 *
 * @example
 * const nb = trainNaiveBayes([{ words: ['good', 'fun'], label: 4 }, ...], 5);
 * nb.logPosterior(['not', 'good']); // log P(class | words) up to a constant, per class
 */

/** One training document: its words and its class. */
export interface BagExample {
  words: readonly string[];
  label: number;
}

/** A trained model: log-priors, per-class word log-likelihoods, the vocabulary. */
export interface NaiveBayes {
  numLabels: number;
  /** Log-probabilities of each class up to a shared constant (unknown words are skipped). */
  logPosterior(words: readonly string[]): Float64Array;
}

/** Trains multinomial NB on `examples` (labels 0..numLabels-1), smoothing alpha (default 1). */
export function trainNaiveBayes(examples: readonly BagExample[], numLabels: number, alpha = 1): NaiveBayes {
  const vocab = new Map<string, number>();
  const counts: number[][] = [];
  const docs = new Float64Array(numLabels);
  const totals = new Float64Array(numLabels);
  for (const e of examples) {
    docs[e.label]! += 1;
    for (const w of e.words) {
      let id = vocab.get(w);
      if (id === undefined) {
        id = vocab.size;
        vocab.set(w, id);
        counts.push(new Array<number>(numLabels).fill(0));
      }
      counts[id]![e.label]! += 1;
      totals[e.label]! += 1;
    }
  }
  const V = vocab.size;
  const prior = Float64Array.from(docs, (d) => Math.log((d + alpha) / (examples.length + alpha * numLabels)));
  const denom = Float64Array.from(totals, (t) => Math.log(t + alpha * V));
  return {
    numLabels,
    logPosterior(words) {
      const out = Float64Array.from(prior);
      for (const w of words) {
        const id = vocab.get(w);
        if (id === undefined) continue;
        for (let k = 0; k < numLabels; k++) out[k]! += Math.log(counts[id]![k]! + alpha) - denom[k]!;
      }
      return out;
    },
  };
}
