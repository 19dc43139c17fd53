/**
 * `llmts train-tree`: the Tree-LSTM sentiment recipe (src/train/tree-sentiment.ts) on a
 * folder of PTB trees (the Stanford Sentiment Treebank's train.txt and dev.txt), with the
 * dev scores printed beside a naive Bayes bag-of-words baseline from the same run.
 *
 *   llmts train-tree --data DIR [--out DIR] [--arch tree-lstm] [--epochs 6] ...
 */
import { TREE_ARCHS } from '../models/tree/index.ts';
import { formatScoreTable, trainTreeSentiment, TREE_SENTIMENT_DEFAULTS } from '../train/tree-sentiment.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const D = TREE_SENTIMENT_DEFAULTS;
const HELP = `usage: llmts train-tree --data DIR [--out DIR] [options]

Trains a Tree-LSTM (Tai et al. 2015) to label every node of the parse trees in
DIR/train.txt (PTB bracket lines, labels 0-4 on every node: the Stanford Sentiment
Treebank), scores DIR/dev.txt after each epoch and ends with the dev table beside a naive
Bayes baseline on unigrams. No pretrained word vectors. The data is only read, never copied.

options:
  --data DIR         folder with train.txt and dev.txt (required)
  --out DIR          save the model there (model.safetensors, config.json, vocab.txt) for llmts sentiment
  --arch A           ${TREE_ARCHS.join(' | ')} (default ${D.arch})
  --epochs N         passes over the training trees (default ${D.epochs})
  --batch-size N     trees per step (default ${D.batchSize})
  --lr X             AdamW learning rate, cosine-decayed to lr/10 (default ${D.lr})
  --weight-decay X   AdamW weight decay (default ${D.weightDecay})
  --hidden N         Tree-LSTM state width (default ${D.hiddenSize})
  --embed N          word vector width (default ${D.embedDim})
  --dropout X        dropout on word vectors and node states (default ${D.dropout})
  --min-count N      rarer training words share the unknown word's vector (default ${D.minCount})
  --limit N          only the first N training trees (default: all)
  --seed N           weights, batch order and dropout (default ${D.seed})
  -h, --help         this help`;

/** Runs `llmts train-tree`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('train-tree', argv, {
    data: { type: 'string' }, out: { type: 'string' }, arch: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' },
    lr: { type: 'string' }, 'weight-decay': { type: 'string' }, hidden: { type: 'string' }, embed: { type: 'string' }, dropout: { type: 'string' },
    'min-count': { type: 'string' }, limit: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.data) throw new LlmtsError('E_USAGE', 'llmts train-tree needs --data', { where: '--data', hint: 'pass the folder holding train.txt and dev.txt (PTB trees)' });
  const arch = values.arch ?? D.arch;
  if (!(TREE_ARCHS as readonly string[]).includes(arch)) {
    throw new LlmtsError('E_FLAG', `--arch ${JSON.stringify(arch)} is not a Tree-LSTM`, { where: '--arch', hint: `use one of ${TREE_ARCHS.join(', ')}` });
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  const t0 = performance.now();
  try {
    const r = await trainTreeSentiment({
      data: values.data, out: values.out ?? null, arch: arch as (typeof TREE_ARCHS)[number],
      epochs: numberFlag(values.epochs, '--epochs', D.epochs, { int: true, min: 1 }),
      batchSize: numberFlag(values['batch-size'], '--batch-size', D.batchSize, { int: true, min: 1 }),
      lr: numberFlag(values.lr, '--lr', D.lr, { min: 0, minExclusive: true }),
      weightDecay: numberFlag(values['weight-decay'], '--weight-decay', D.weightDecay, { min: 0 }),
      hiddenSize: numberFlag(values.hidden, '--hidden', D.hiddenSize, { int: true, min: 1, max: 1 << 14 }),
      embedDim: numberFlag(values.embed, '--embed', D.embedDim, { int: true, min: 1, max: 1 << 14 }),
      dropout: numberFlag(values.dropout, '--dropout', D.dropout, { min: 0, max: 1, maxExclusive: true }),
      minCount: numberFlag(values['min-count'], '--min-count', D.minCount, { int: true, min: 1 }),
      limit: numberFlag(values.limit, '--limit', 0, { int: true, min: 0 }),
      seed: numberFlag(values.seed, '--seed', D.seed, { int: true, min: 0 }),
      gradClip: D.gradClip, lowercase: D.lowercase, log: (line) => console.log(line), signal: controller.signal,
    });
    const wall = (performance.now() - t0) / 1000;
    console.log(`\ndev set (last epoch, no selection on dev):\n${formatScoreTable([[arch, r.dev], ['naive Bayes (unigrams)', r.baseline]])}`);
    console.log(`wall ${wall.toFixed(0)} s (training ${r.trainSeconds.toFixed(0)} s)${values.out && r.stopped === 'done' ? ` | saved ${values.out}` : ''}`);
    return r.stopped === 'done' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
  }
}
