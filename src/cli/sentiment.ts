/**
 * `llmts sentiment`: `llmts classify` under the name people look for (src/cli/classify.ts):
 * the sentiment label of each text and every label's probability from a classifier (a
 * Tree-LSTM from `llmts train-tree`, with `--tree` the label of every phrase; a directory
 * from `llmts finetune --task classify`; a BERT sequence classifier).
 *
 *   llmts sentiment --model M --text "It isn't bad at all." [--tree] [--json]
 */
import { runClassify } from './classify.ts';

/** Runs `llmts sentiment`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  return runClassify('sentiment', argv);
}
