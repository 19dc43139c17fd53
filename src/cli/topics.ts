/**
 * `llmts topics`: the topics of a document collection (BERTopic's recipe on this repo's
 * models): each document embedded by any model `llmts embed` takes, reduced and clustered
 * (k given, or chosen by silhouette), each topic named by its class-based TF-IDF words with
 * its representative documents; with dates, each topic's share per period. Writes
 * DIR/topics.json and DIR/topics.html (topic map and trend chart) and prints the topic table.
 *
 *   llmts topics --model runs/bert --out report reviews.txt
 *   llmts topics --model runs/bert --date-field date --unit paragraph --out report news.jsonl
 */
import { basename, join } from 'node:path';
import { makeOutputDir } from '../data/out-dir.ts';
import { loadTaskModel } from '../tasks/model-kind.ts';
import { readCorpus, type TextUnit } from '../topics/corpus.ts';
import { embedDocuments } from '../topics/embed-docs.ts';
import { fitTopics, type TopicClustering, type TopicsResult } from '../topics/fit.ts';
import { topicsHtml } from '../topics/report-html.ts';
import type { TrendPeriod } from '../topics/trends.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { progressFor } from './task-common.ts';

const HELP = `usage: llmts topics --model M --out DIR [options] FILES...

Finds the topics of a collection: embeds each document with M, reduces the embeddings
(PCA) and clusters them (k-means, k chosen by the best silhouette unless --k; or
--cluster hdbscan: dense clusters, the documents in none an outlier topic), names each
topic by its most distinctive words (class-based TF-IDF) and shows its most central
documents. With --date-field, also each topic's share of the documents per period.
Writes DIR/topics.json and DIR/topics.html (topic map, trend chart) and prints a table.

FILES: .jsonl files (one object a line: the text in --text-field, the date in
--date-field) and text files (one document each, or one per paragraph / line: --unit).

options:
  --model M          any model llmts embed takes (BERT / BART encoder, decoder checkpoint)
  --tokenizer T      tokenizer name or file (default: the model's own)
  --out DIR          output folder, created if missing (required)
  --text-field F     JSONL field of the text (default text)
  --date-field F     JSONL field of the date: a year or an ISO date (YYYY, YYYY-MM, YYYY-MM-DD)
  --period P         trend buckets: auto (default), month, year or decade
  --unit U           text files: doc (default: the whole file), paragraph or line
  --cluster C        kmeans (default) or hdbscan (number of topics found from the density,
                     outliers in a last topic)
  --min-cluster-size N  hdbscan: smallest topic (default 10)
  --min-samples N    hdbscan: neighbours of the core distance (default --min-cluster-size)
  --k K              number of topics (default: chosen by silhouette in --k-min..--k-max)
  --k-min N          smallest k tried (default 2)
  --k-max N          largest k tried (default 10)
  --dims N           dimensions kept by PCA before clustering (default 5)
  --top-words N      words per topic (default 10)
  --seed N           seed of PCA and k-means (default 1)
  --batch-size N     texts per forward pass (default 32)
  --json             print topics.json's summary (no documents) instead of the table
  -h, --help         this help`;

const PERIODS = ['auto', 'month', 'year', 'decade'];
const UNITS = ['doc', 'paragraph', 'line'];
const CLUSTERINGS = ['kmeans', 'hdbscan'];

/** The terminal table of topics. */
function topicTable(r: TopicsResult): string {
  const outliers = r.outliers > 0 ? ` and ${r.outliers} outliers` : '';
  const lines = [`${r.k} topics in ${r.documents} documents${outliers}; mean NPMI ${r.coherence.toFixed(3)}`, 'topic   docs   share   NPMI  words'];
  for (const t of r.topics) {
    lines.push(`${(t.outlier ? 'out' : String(t.id)).padStart(5)} ${String(t.size).padStart(6)} ${`${(t.share * 100).toFixed(1)}%`.padStart(7)} ${t.coherence.toFixed(3).padStart(6)}  ${t.words.map((w) => w.word).join(', ')}`);
  }
  if (r.trends) {
    lines.push('', `share by ${r.trends.period}: ${r.trends.rows.length} periods (${r.trends.rows[0]!.period} .. ${r.trends.rows[r.trends.rows.length - 1]!.period}); see topics.html`);
  }
  return lines.join('\n');
}

/** Runs `llmts topics`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('topics', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, out: { type: 'string' }, 'text-field': { type: 'string' }, 'date-field': { type: 'string' },
    period: { type: 'string' }, unit: { type: 'string' }, k: { type: 'string' }, 'k-min': { type: 'string' }, 'k-max': { type: 'string' },
    cluster: { type: 'string' }, 'min-cluster-size': { type: 'string' }, 'min-samples': { type: 'string' },
    dims: { type: 'string' }, 'top-words': { type: 'string' }, seed: { type: 'string' }, 'batch-size': { type: 'string' }, json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, { allowPositionals: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts topics needs --model', { where: '--model', hint: 'pass any model llmts embed takes, e.g. a BERT checkpoint' });
  if (!values.out) throw new LlmtsError('E_USAGE', 'llmts topics needs --out', { where: '--out', hint: 'name a folder for topics.json and topics.html' });
  const period = values.period ?? 'auto';
  if (!PERIODS.includes(period)) throw new LlmtsError('E_FLAG', `--period must be one of ${PERIODS.join(', ')}, got '${period}'`, { where: '--period', hint: 'e.g. --period year' });
  const unit = values.unit ?? 'doc';
  if (!UNITS.includes(unit)) throw new LlmtsError('E_FLAG', `--unit must be one of ${UNITS.join(', ')}, got '${unit}'`, { where: '--unit', hint: 'e.g. --unit paragraph' });
  const cluster = values.cluster ?? 'kmeans';
  if (!CLUSTERINGS.includes(cluster)) throw new LlmtsError('E_FLAG', `--cluster must be one of ${CLUSTERINGS.join(', ')}, got '${cluster}'`, { where: '--cluster', hint: 'e.g. --cluster hdbscan' });
  if (cluster === 'hdbscan' && values.k !== undefined) throw new LlmtsError('E_FLAG', '--k sets the topics of k-means; hdbscan finds their number itself', { where: '--k', hint: 'drop --k, or use --cluster kmeans' });
  const minClusterSize = numberFlag(values['min-cluster-size'], '--min-cluster-size', 10, { int: true, min: 2 });
  const minSamples = values['min-samples'] === undefined ? undefined : numberFlag(values['min-samples'], '--min-samples', 0, { int: true, min: 1 });
  const k = values.k === undefined ? undefined : numberFlag(values.k, '--k', 0, { int: true, min: 1 });
  const kMin = numberFlag(values['k-min'], '--k-min', 2, { int: true, min: 2 });
  const kMax = numberFlag(values['k-max'], '--k-max', 10, { int: true, min: 2 });
  if (kMax < kMin) throw new LlmtsError('E_FLAG', `--k-max (${kMax}) is below --k-min (${kMin})`, { where: '--k-max', hint: 'give --k-max >= --k-min' });
  const dims = numberFlag(values.dims, '--dims', 5, { int: true, min: 1 });
  const topWords = numberFlag(values['top-words'], '--top-words', 10, { int: true, min: 1 });
  const seed = numberFlag(values.seed, '--seed', 1, { int: true, min: 0 });
  const batchSize = numberFlag(values['batch-size'], '--batch-size', 32, { int: true, min: 1 });

  const docs = readCorpus(positionals, { textField: values['text-field'], dateField: values['date-field'], unit: unit as TextUnit });
  if (k !== undefined && k > docs.length) throw new LlmtsError('E_FLAG', `--k ${k} is more than the ${docs.length} documents`, { where: '--k', hint: `give --k at most ${docs.length}` });
  makeOutputDir(values.out, '--out');
  const m = loadTaskModel(values.model, { tokenizer: values.tokenizer });
  const { rows, dim } = embedDocuments(m, docs.map((d) => d.text), { batchSize, onProgress: progressFor('topics', docs.length, batchSize) });
  const result = fitTopics(docs, rows, dim, { cluster: cluster as TopicClustering, minClusterSize, minSamples, k, kMin, kMax, dims, topWords, seed, period: period as TrendPeriod | 'auto' });
  const title = positionals.length === 1 ? basename(positionals[0]!) : `${positionals.length} files`;
  writeFileAtomic(join(values.out, 'topics.json'), (put) => put(`${JSON.stringify({ model: values.model, ...result })}\n`));
  writeFileAtomic(join(values.out, 'topics.html'), (put) => put(topicsHtml(result, title)));
  if (values.json) {
    const { docs: _placed, ...summary } = result;
    console.log(JSON.stringify({ model: values.model, ...summary }));
  } else {
    console.log(topicTable(result));
    console.log(`wrote ${join(values.out, 'topics.json')} and ${join(values.out, 'topics.html')}`);
  }
  return 0;
}
