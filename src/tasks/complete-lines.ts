/**
 * Where a code completion ends, as a rule over the text generated so far (the same rule
 * for a language model and the n-gram baseline). The completion starts at the beginning
 * of a line:
 * - `line`: the first line only;
 * - `block`: lines until the first non-blank line indented less than the first line (a
 *   dedent: the block the cursor is in, or the one its first line opens, has ended); that
 *   line is not part of the completion. Trailing blank lines are dropped.
 * Tabs count as 8 columns.
 *
 * @example
 * const c = new LineCollector('block');
 * c.push('    x = 1\n    if x:\n        y = 2\n');  // false: still inside
 * c.push('z = 3\n');                                // true: dedent
 * c.lines();                                        // ['    x = 1', '    if x:', '        y = 2']
 */

/** How much a completion covers. */
export type CompletionMode = 'line' | 'block';

/** Why a completion ended. */
export type CompletionStop = 'line' | 'dedent' | 'max-lines' | 'max-tokens' | 'end';

/** The indentation width of a line (spaces; a tab to the next multiple of 8). */
export function indentOf(line: string): number {
  let w = 0;
  for (const ch of line) {
    if (ch === ' ') w++;
    else if (ch === '\t') w = (Math.floor(w / 8) + 1) * 8;
    else break;
  }
  return w;
}

/** Collects generated text and says when the completion is over; see the module comment. */
export class LineCollector {
  private text = '';
  private done: CompletionStop | null = null;
  private kept: string[] = [];

  /** `maxLines`: the most lines a block may have (default 64). */
  constructor(readonly mode: CompletionMode, readonly maxLines = 64) {}

  /** Why it ended, or null while it goes on. */
  get stop(): CompletionStop | null {
    return this.done;
  }

  /** Adds generated text; true once the completion is over (later text is ignored). */
  push(piece: string): boolean {
    if (this.done) return true;
    this.text += piece;
    const parts = this.text.split('\n');
    const complete = parts.slice(0, -1); // every part before the last '\n'
    for (let i = this.kept.length; i < complete.length; i++) {
      const line = complete[i]!;
      if (this.mode === 'line') {
        this.kept.push(line);
        return this.finish('line');
      }
      const first = this.kept.find((l) => l.trim() !== '');
      if (first !== undefined && line.trim() !== '' && indentOf(line) < indentOf(first)) return this.finish('dedent');
      this.kept.push(line);
      if (this.kept.length >= this.maxLines) return this.finish('max-lines');
    }
    return false;
  }

  /** Ends the completion for an outside reason (token budget, end of text); the unfinished last line counts. */
  end(reason: 'max-tokens' | 'end'): void {
    if (this.done) return;
    const tail = this.text.split('\n').at(-1)!;
    const first = this.kept.find((l) => l.trim() !== '');
    const dedent = this.mode === 'block' && first !== undefined && tail.trim() !== '' && indentOf(tail) < indentOf(first);
    if (tail !== '' && !dedent && !(this.mode === 'line' && this.kept.length > 0)) this.kept.push(tail);
    this.finish(dedent ? 'dedent' : reason);
  }

  private finish(reason: CompletionStop): true {
    this.done = reason;
    while (this.kept.length > 0 && this.kept.at(-1)!.trim() === '') this.kept.pop();
    return true;
  }

  /** The completed lines (no newlines). */
  lines(): string[] {
    return this.kept.slice();
  }
}
