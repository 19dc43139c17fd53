/**
 * The code-python recipe's next-line evaluation: at seeded positions of held-apart
 * modules, the decoder's greedy next line (src/tasks/complete.ts, `line` mode) and the
 * order-5 n-gram model's (src/eval/ngram.ts, trained on the same token stream) against
 * the line in the file. A prediction matches when it equals the line with trailing
 * whitespace removed (indentation counts). Both read the same prompt ids and stop by the
 * same rule (complete-lines.ts).
 *
 * @example
 * const r = nextLineExactMatch({ model, tokenizer }, ngram, positions);
 * r.model; r.ngram; // fractions of positions matched
 */
import type { NGramModel } from '../eval/ngram.ts';
import type { AnyModel } from '../models/registry.ts';
import { complete, completionPrompt, completionText } from '../tasks/complete.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import type { LinePosition } from './code-python-data.ts';

/** The n-gram model's next line at a position (greedy, at most `maxTokens` tokens). */
export function ngramNextLine(ngram: NGramModel, tokenizer: Tokenizer, before: string, maxTokens = 48): string {
  const prompt = completionPrompt(tokenizer, before, ngram.order - 1);
  const text = completionText('line', 1, before);
  const ids: number[] = [];
  let shown = '';
  ngram.greedy(prompt, {
    maxTokens,
    stop: (id) => {
      ids.push(id);
      const all = tokenizer.decode(ids);
      const piece = all.slice(shown.length);
      shown = all;
      return text.push(piece);
    },
  });
  if (text.collector.stop === null) text.collector.end('max-tokens');
  return text.collector.lines()[0] ?? '';
}

/** One position's outcome (for reports and examples). */
export interface NextLineOutcome {
  position: LinePosition;
  model: string;
  ngram: string;
}

/** What `nextLineExactMatch` returns. */
export interface NextLineResult {
  /** Fractions of positions whose predicted line equals the file's. */
  model: number;
  ngram: number;
  n: number;
  outcomes: NextLineOutcome[];
}

/** True when `pred` is the line `target` (trailing whitespace ignored, indentation counted). */
export function sameLine(pred: string, target: string): boolean {
  return pred.trimEnd() === target.trimEnd();
}

/** Exact match of the next line, decoder vs n-gram, over `positions`; `onProgress` after each. */
export function nextLineExactMatch(m: { model: AnyModel; tokenizer: Tokenizer }, ngram: NGramModel, positions: readonly LinePosition[],
  onProgress?: (done: number) => void): NextLineResult {
  let hitsModel = 0, hitsNgram = 0;
  const outcomes: NextLineOutcome[] = [];
  for (const [i, p] of positions.entries()) {
    const model = complete(m, p.before, { mode: 'line', maxTokens: 48 }).lines[0] ?? '';
    const ng = ngramNextLine(ngram, m.tokenizer, p.before);
    if (sameLine(model, p.target)) hitsModel++;
    if (sameLine(ng, p.target)) hitsNgram++;
    outcomes.push({ position: p, model, ngram: ng });
    onProgress?.(i + 1);
  }
  const n = Math.max(1, positions.length);
  return { model: hitsModel / n, ngram: hitsNgram / n, n: positions.length, outcomes };
}
