/**
 * Latent Dirichlet allocation (Blei, Ng & Jordan 2003) fitted by collapsed Gibbs sampling
 * (Griffiths & Steyvers 2004): each word's topic is resampled from
 *   p(z = k | rest) ~ (n_dk + alpha) (n_kw + beta) / (n_k + V beta)
 * with the word's own assignment taken out of the counts. Seeded: same documents, settings
 * and seed give the same topics. The topic-model baseline of `npm run bench -- topics`,
 * over the same vocabulary as the embedding topics (src/topics/words.ts).
 *
 * @example
 * const lda = fitLda(docIds, V, { k: 3, iterations: 500, seed: 1 });
 * lda.labels[0]          // the most probable topic of document 0
 * topTerms(lda.phi, 0, V, 10)
 */
import { Rng } from '../util/rng.ts';
import { LlmtsError } from '../util/errors.ts';

/** LDA's settings. */
export interface LdaSettings {
  k: number;
  /** Gibbs sweeps over every word (default 500). */
  iterations?: number;
  /** Document-topic prior (default 50 / k, Griffiths & Steyvers). */
  alpha?: number;
  /** Topic-word prior (default 0.01). */
  beta?: number;
  seed?: number;
}

/** A fitted LDA model. */
export interface LdaFit {
  /** (k, V) topic-word probabilities. */
  phi: Float64Array;
  /** (D, k) document-topic probabilities. */
  theta: Float64Array;
  /** (D) the most probable topic of each document (lowest id on ties; topic 0 for an empty document). */
  labels: Int32Array;
  k: number;
}

/** Fits LDA to documents given as term ids below V (see the module comment). */
export function fitLda(docs: readonly Int32Array[], V: number, s: LdaSettings): LdaFit {
  const { k } = s;
  if (!Number.isInteger(k) || k < 1) throw new LlmtsError('E_TOPICS', `LDA needs k >= 1 topics, got ${k}`, { where: 'k', hint: 'e.g. k = 10' });
  const alpha = s.alpha ?? 50 / k, beta = s.beta ?? 0.01, iterations = s.iterations ?? 500;
  const rng = new Rng(s.seed ?? 1);
  const D = docs.length;
  const ndk = new Int32Array(D * k), nkw = new Int32Array(k * V), nk = new Int32Array(k);
  const z = docs.map((d) => new Int32Array(d.length));
  docs.forEach((d, i) => {
    for (let j = 0; j < d.length; j++) {
      const w = d[j]!, t = rng.int(k);
      z[i]![j] = t;
      ndk[i * k + t]++;
      nkw[t * V + w]++;
      nk[t]++;
    }
  });
  const p = new Float64Array(k);
  const vBeta = V * beta;
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < D; i++) {
      const d = docs[i]!, zi = z[i]!;
      for (let j = 0; j < d.length; j++) {
        const w = d[j]!;
        let t = zi[j]!;
        ndk[i * k + t]--;
        nkw[t * V + w]--;
        nk[t]--;
        let total = 0;
        for (let c = 0; c < k; c++) {
          total += (ndk[i * k + c]! + alpha) * (nkw[c * V + w]! + beta) / (nk[c]! + vBeta);
          p[c] = total;
        }
        const u = rng.uniform() * total;
        t = 0;
        while (t < k - 1 && p[t]! <= u) t++;
        zi[j] = t;
        ndk[i * k + t]++;
        nkw[t * V + w]++;
        nk[t]++;
      }
    }
  }
  const phi = new Float64Array(k * V); // (k, V)
  for (let c = 0; c < k; c++) for (let w = 0; w < V; w++) phi[c * V + w] = (nkw[c * V + w]! + beta) / (nk[c]! + vBeta);
  const theta = new Float64Array(D * k); // (D, k)
  const labels = new Int32Array(D);
  for (let i = 0; i < D; i++) {
    const n = docs[i]!.length;
    let best = 0;
    for (let c = 0; c < k; c++) {
      theta[i * k + c] = (ndk[i * k + c]! + alpha) / (n + k * alpha);
      if (ndk[i * k + c]! > ndk[i * k + best]!) best = c;
    }
    labels[i] = best;
  }
  return { phi, theta, labels, k };
}
