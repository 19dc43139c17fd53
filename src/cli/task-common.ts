/**
 * What the task commands (summarize, translate, classify, sentiment, embed) share: the
 * input flags (`--text` repeatable, `--file F` with `-` for stdin, stdin when neither is
 * given) read through the tasks layer, the error when there is no input, and a progress
 * bar on stderr for inputs longer than one batch.
 *
 * @example
 * const texts = await commandInputs('translate', values);
 * translate(m, texts, { onProgress: progressFor('translate', texts.length, 16) });
 */
import { readTaskInputs } from '../tasks/inputs.ts';
import { LlmtsError } from '../util/errors.ts';
import { ProgressBar } from '../util/progress.ts';

/** The texts of a task command, or E_USAGE naming `command` when there is none. */
export async function commandInputs(command: string, values: { text?: string[]; file?: string }, example: string): Promise<string[]> {
  const texts = await readTaskInputs({ texts: values.text, file: values.file });
  if (texts.length === 0) {
    throw new LlmtsError('E_USAGE', `llmts ${command} needs --text or --file (or the texts on stdin, one per line)`, { where: '--text', hint: `e.g. --text "${example}"` });
  }
  return texts;
}

/** A progress callback drawing a bar on stderr when there is more than one batch, else undefined. */
export function progressFor(command: string, total: number, batch: number): ((done: number, total: number) => void) | undefined {
  if (total <= batch) return undefined;
  const bar = new ProgressBar(command, total, { unit: 'items' });
  return (done) => {
    bar.update(done);
    if (done >= total) bar.done();
  };
}
