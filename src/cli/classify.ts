/**
 * `llmts classify` (and `llmts sentiment`, the same command): the label of each text and
 * every label's probability, from any classifier (src/tasks/classify.ts): a directory
 * written by `llmts finetune --task classify`, a BERT with a sequence-classification head,
 * a Tree-LSTM from `llmts train-tree` (with `--tree`, the label of every phrase; `--ptb`
 * gives the tree itself: a PTB bracket line, e.g. from a parser, its labels ignored), or a
 * HAN from `llmts train-han` (with `--explain`, its sentence and word attention weights;
 * a Transformer classifier's `--explain` is attention rollout over its words).
 *
 *   llmts classify --model runs/sentiment --text "A gorgeous, witty film." [--json]
 *   llmts sentiment --model runs/sst --text "It isn't bad at all." --tree
 *   cat reviews.txt | llmts classify --model runs/sentiment --json
 */
import { parsePtbTree } from '../models/tree/index.ts';
import { classify } from '../tasks/classify.ts';
import { classifyTrees } from '../tasks/classify-tree.ts';
import type { Classification } from '../tasks/labels.ts';
import { describeTaskModel, loadTaskModel } from '../tasks/model-kind.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { commandInputs, progressFor } from './task-common.ts';

const help = (command: string): string => `usage: llmts ${command} --model M (--text TEXT ... | --file F | --ptb TREE | stdin) [--tree] [--explain] [--json]

The label of each text and the probability of each label, from a classifier: a
directory written by llmts finetune --task classify, a Hugging Face
BertForSequenceClassification directory (or bert checkpoint with a sequence head), a
Tree-LSTM written by llmts train-tree, or a HAN written by llmts train-han. A Tree-LSTM reads a tree: --ptb gives one; a text
is split into words and composed right-branching (no parser: phrase labels then follow
that tree). A progress bar goes to stderr when there is more than one batch.

options:
  --model M        the classifier (required)
  --tokenizer T    tokenizer name or file (BERT checkpoints; default: the model's own)
  --text TEXT      a text (repeatable)
  --file F         texts, one per non-empty line ('-': stdin; stdin is read when no
                   --text, --file or --ptb is given)
  --ptb TREE       Tree-LSTMs: a PTB bracket tree instead of a text, e.g.
                   "(0 (0 not) (0 (0 very) (0 good)))" (labels ignored)
  --tree           Tree-LSTMs: also the label of every phrase, indented by depth
  --explain        the attention weights behind each label: each sentence's and each
                   word's (a HAN from llmts train-han); each word's attention rollout
                   for a BERT or fine-tuned decoder classifier
  --batch-size N   texts per forward pass (BERT; default 32)
  --json           one JSON object per text and line: text, label, id, score,
                   probabilities (label -> probability), and with --tree the phrases
  -h, --help       this help`;

/** One result as the JSON line `--json` prints. */
function jsonLine(c: Classification, withTree: boolean): string {
  const out: Record<string, unknown> = {
    text: c.text, label: c.label, id: c.id, score: c.score, probabilities: Object.fromEntries(c.scores.map((s) => [s.label, s.score])),
  };
  if (c.truncated) out.truncated = true;
  if (withTree) {
    out.tree = c.tree;
    out.phrases = c.phrases?.map(({ text, label, id, depth }) => ({ text, label, id, depth }));
  }
  if (c.attention) out.attention = c.attention;
  return JSON.stringify(out);
}

/** One result as text: the label line, each label's probability, and the phrases with --tree. */
function textBlock(c: Classification, withTree: boolean): string {
  const lines = [`${c.label} (${c.id})  ${c.text}${c.truncated ? '  [cut to the model\'s context]' : ''}`];
  for (const s of c.scores) lines.push(`  ${s.label.padEnd(14)} ${s.score.toFixed(3)}`);
  if (withTree && c.phrases) {
    lines.push('', 'phrases:');
    for (const p of c.phrases) lines.push(`${'  '.repeat(p.depth + 1)}${String(p.id)} ${p.label.padEnd(14)} ${p.text}`);
    lines.push('', c.tree ?? '');
  }
  if (c.attention) {
    lines.push('', 'attention (sentence weight: word weights):');
    for (const sent of c.attention.sentences) lines.push(`  ${sent.weight.toFixed(3)}: ${sent.words.map((w) => `${w.text}(${w.weight.toFixed(2)})`).join(' ')}`);
  }
  return lines.join('\n');
}

/** Runs `llmts classify` or `llmts sentiment`; returns the exit code. */
export async function runClassify(command: 'classify' | 'sentiment', argv: string[]): Promise<number> {
  const { values } = parseFlags(command, argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, text: { type: 'string', multiple: true }, file: { type: 'string' },
    ptb: { type: 'string', multiple: true }, tree: { type: 'boolean' }, explain: { type: 'boolean' }, 'batch-size': { type: 'string' },
    json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(help(command));
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', `llmts ${command} needs --model`, { where: '--model', hint: 'pass a classifier directory (llmts finetune --task classify) or a Tree-LSTM (llmts train-tree --out)' });
  const ptb = values.ptb ?? [];
  if (ptb.length > 0 && (values.text !== undefined || values.file !== undefined)) {
    throw new LlmtsError('E_USAGE', `llmts ${command} takes --ptb or texts (--text, --file), not both`, { where: '--ptb', hint: 'run the trees and the texts separately' });
  }
  const batchSize = numberFlag(values['batch-size'], '--batch-size', 32, { int: true, min: 1 });
  const trees = ptb.map((line, i) => parsePtbTree(line, { file: '--ptb', line: i + 1 }, { maxLabel: Number.MAX_SAFE_INTEGER }));
  const texts = trees.length > 0 ? [] : await commandInputs(command, values, 'A gorgeous, witty film.').catch((err: unknown) => {
    if (command === 'sentiment' && err instanceof LlmtsError && err.code === 'E_USAGE') {
      throw new LlmtsError('E_USAGE', 'llmts sentiment needs one of --text and --ptb (or --file, or the texts on stdin)', { where: '--text', hint: 'e.g. --text "A gorgeous, witty film."' });
    }
    throw err;
  });
  const m = loadTaskModel(values.model, { tokenizer: values.tokenizer });
  const withTree = values.tree === true;
  if ((withTree || trees.length > 0) && m.kind !== 'tree') {
    const flag = withTree ? '--tree' : '--ptb';
    throw new LlmtsError('E_FLAG', `${flag} is for Tree-LSTMs; ${values.model} is ${describeTaskModel(m)}`, { where: flag, hint: `leave ${flag} out${flag === '--ptb' ? ' and pass the sentence with --text' : ''}` });
  }
  const caller = `llmts ${command}`;
  const total = trees.length > 0 ? trees.length : texts.length;
  const onProgress = progressFor(command, total, batchSize);
  const results = m.kind === 'tree' && trees.length > 0
    ? classifyTrees(m, trees, undefined, { phrases: withTree, onProgress, caller: '--ptb' })
    : classify(m, texts, { batchSize, phrases: withTree, explain: values.explain, onProgress, caller });
  if (values.json) {
    for (const c of results) console.log(jsonLine(c, withTree));
  } else {
    console.log(results.map((c) => textBlock(c, withTree)).join('\n\n'));
  }
  return 0;
}

/** Runs `llmts classify`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  return runClassify('classify', argv);
}
