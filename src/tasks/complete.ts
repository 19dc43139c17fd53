/**
 * Code completion with a decoder: the source before a line in, that line (`line` mode)
 * or the rest of its block (`block` mode: stops at a dedent, complete-lines.ts) out,
 * greedy. The prompt is the source up to the end of the last line before the cursor that
 * holds code, without the newlines and blank lines after it: a byte-level BPE merges a run
 * of newlines with the next line's indentation, so a prompt ending in '\n' (or in a line
 * of spaces) would split that token where training never did. What the model writes
 * before its first newline (a continuation of a line that is complete) is dropped, and so
 * are the blank lines it writes before the first line of code (the cursor's line is the
 * first one with code).
 *
 * @example
 * const m = loadTaskModel('runs/code-python/model');
 * complete(m, sourceBefore(src, 12), { mode: 'block' }).lines; // ['    return x + 1']
 */
import { Generation } from '../infer/engine.ts';
import type { AnyModel } from '../models/registry.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import { LineCollector, type CompletionMode, type CompletionStop } from './complete-lines.ts';
import { wrongKind, type TaskModel } from './model-kind.ts';

/** Options of `complete`. */
export interface CompleteOptions {
  /** `line`: the next line; `block` (default): until a dedent. */
  mode?: CompletionMode;
  /** New tokens at most (default 128). */
  maxTokens?: number;
  /** Lines at most in block mode (default 64). */
  maxLines?: number;
}

/** A completion: its lines, their text (joined by '\n') and why it ended. */
export interface Completion {
  lines: string[];
  text: string;
  stop: CompletionStop;
  /** Prompt tokens the model saw (the source may have been cut to its last ones) and tokens generated. */
  promptTokens: number;
  completionTokens: number;
}

/**
 * The source before 1-based line `line` (lines 1..line-1, each with its newline). `line`
 * may be one past the last line (completing at the end of the file); anything else is
 * E_LINE naming the file.
 */
export function sourceBefore(source: string, line: number, where = 'the source'): string {
  const lines = source.split('\n');
  if (lines.at(-1) === '') lines.pop(); // a final newline ends the last line, it does not start one
  if (!Number.isInteger(line) || line < 1 || line > lines.length + 1) {
    throw new LlmtsError('E_LINE', `line ${line} is outside ${where} (${lines.length} lines; 1 to ${lines.length + 1} allowed)`, {
      where, hint: `pass --line between 1 and ${lines.length + 1} (${lines.length + 1}: after the last line)` });
  }
  return lines.slice(0, line - 1).map((l) => `${l}\n`).join('');
}

/** The token ids of a completion prompt: end-of-text, then the source without the whitespace after its last line of code (at a line start). */
export function completionPrompt(tokenizer: Tokenizer, before: string, maxIds: number): number[] {
  const text = before.endsWith('\n') ? before.trimEnd() : before;
  const eot = tokenizer.specialIds.eos ?? tokenizer.specialIds.bos;
  const ids = [...(eot === undefined ? [] : [eot]), ...tokenizer.encode(text)];
  return ids.length > maxIds ? ids.slice(ids.length - maxIds) : ids;
}

/**
 * Feeds generated text to a collector: unless `started` (the prompt ends mid-line, or
 * holds no code), what comes before the first newline is dropped; with `skipBlankLines`,
 * so are whole blank lines before the first line with code (its indentation is kept).
 */
export class CompletionText {
  readonly collector: LineCollector;
  private started: boolean;
  /** Text held back while only whitespace has come (null once code has). */
  private lead: string | null;

  constructor(mode: CompletionMode, maxLines: number, started: boolean, skipBlankLines = false) {
    this.collector = new LineCollector(mode, maxLines);
    this.started = started;
    this.lead = skipBlankLines ? '' : null;
  }

  /** Adds generated text; true once the completion is over. */
  push(text: string): boolean {
    if (!this.started) {
      const nl = text.indexOf('\n');
      if (nl < 0) return false;
      this.started = true;
      text = text.slice(nl + 1);
    }
    if (this.lead !== null) {
      this.lead += text;
      const code = this.lead.search(/\S/);
      if (code < 0) return false;
      text = this.lead.slice(this.lead.lastIndexOf('\n', code) + 1);
      this.lead = null;
    }
    return this.collector.push(text);
  }
}

/** The CompletionText of a completion of `before` (see the module comment): at a line start, the first line and leading blank lines are dropped. */
export function completionText(mode: CompletionMode, maxLines: number, before: string): CompletionText {
  const atLineStart = before === '' || before.endsWith('\n');
  return new CompletionText(mode, maxLines, !atLineStart || before.trim() === '', atLineStart);
}

/**
 * Completes the code `before` (the source up to the cursor, at the start of a line) with a
 * decoder model (`loadTaskModel`); greedy. A model of another kind is E_MODEL.
 */
export function complete(m: TaskModel | { model: AnyModel; tokenizer: Tokenizer }, before: string, o: CompleteOptions = {}): Completion {
  if ('kind' in m && m.kind !== 'decoder') throw wrongKind(m, 'complete', 'a decoder language model', 'pass a decoder, e.g. the model of llmts recipe code-python');
  const { model, tokenizer } = m as { model: AnyModel; tokenizer: Tokenizer };
  const maxTokens = o.maxTokens ?? 128;
  const block = model.config.blockSize;
  const prompt = completionPrompt(tokenizer, before, Math.max(1, block - Math.min(maxTokens, Math.floor(block / 2))));
  const text = completionText(o.mode ?? 'block', o.maxLines ?? 64, before);
  const g = new Generation(model, prompt, { maxTokens, temperature: 0 }, tokenizer);
  for (let s = g.step(); s; s = g.step()) {
    if (text.push(s.text)) break;
  }
  if (text.collector.stop === null) text.collector.end(g.result().finishReason === 'length' ? 'max-tokens' : 'end');
  const lines = text.collector.lines();
  return { lines, text: lines.join('\n'), stop: text.collector.stop!, promptTokens: prompt.length, completionTokens: g.result().completionTokens };
}
