/**
 * A progress bar with throughput on stderr: redrawn in place (at most 10 times a
 * second) on a terminal; on a pipe or file only the final line is printed, so logs stay
 * short.
 *
 * @example
 * const bar = new ProgressBar('prepare', totalBytes, { unit: 'bytes' });
 * bar.update(doneBytes, '1,234 docs');   // prepare [######......] 45% 12.3/27.0 MB | 15.2 MB/s | 1,234 docs
 * bar.done('1,500 docs');
 */

function mb(n: number): string {
  return (n / 1e6).toFixed(1);
}

export class ProgressBar {
  private last = 0;
  private readonly start = performance.now();
  private readonly tty: boolean;
  private ended = false;

  constructor(private readonly label: string, private total: number,
    private readonly o: { unit?: 'bytes' | 'items'; stream?: NodeJS.WriteStream; enabled?: boolean } = {}) {
    const stream = o.stream ?? process.stderr;
    this.tty = stream.isTTY === true && o.enabled !== false;
  }

  private line(done: number, extra: string): string {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 24, fill = Math.round(frac * width);
    const secs = Math.max(1e-9, (performance.now() - this.start) / 1000);
    const amount = this.o.unit === 'items' ? `${done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')}` : `${mb(done)}/${mb(this.total)} MB`;
    const rate = this.o.unit === 'items' ? `${Math.round(done / secs).toLocaleString('en-US')}/s` : `${mb(done / secs)} MB/s`;
    return `${this.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${amount} | ${rate}${extra ? ` | ${extra}` : ''}`;
  }

  /** Redraws the bar (rate-limited) with `done` of the total and an extra note; `total` updates a growing total. */
  update(done: number, extra = '', total?: number): void {
    if (total !== undefined) this.total = total;
    if (!this.tty || this.ended) return;
    const now = performance.now();
    if (now - this.last < 100) return;
    this.last = now;
    (this.o.stream ?? process.stderr).write(`\r${this.line(done, extra)}\x1b[K`);
  }

  /** Prints the final line (on a terminal and in logs alike). */
  done(extra = '', doneAmount = this.total): void {
    if (this.ended || this.o.enabled === false) return;
    this.ended = true;
    const s = this.o.stream ?? process.stderr;
    s.write(`${this.tty ? '\r' : ''}${this.line(doneAmount, extra)}${this.tty ? '\x1b[K' : ''}\n`);
  }
}
