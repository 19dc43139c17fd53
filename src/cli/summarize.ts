/**
 * `llmts summarize --model M --file F [--beams 4]`: one summary per input line, with an
 * encoder-decoder; the same command as `llmts translate` (translate.ts).
 */
import { runSeq2Seq } from './translate.ts';

/** Runs `llmts summarize`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  return runSeq2Seq('summarize', argv);
}
