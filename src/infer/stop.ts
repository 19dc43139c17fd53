/**
 * Stop strings over streamed text: text is released only once it can no longer be the
 * beginning of a stop string, so a stop string split across tokens is still caught and
 * never shown. The stop string itself is not part of the output.
 *
 * @example
 * const s = new StopMatcher(['\n\n']);
 * s.push('Hello\n');   // { text: 'Hello', stopped: false }  ('\n' held back)
 * s.push('\nWorld');   // { text: '', stopped: true }
 */
export class StopMatcher {
  private pending = '';
  private readonly stops: string[];

  constructor(stops: readonly string[] = []) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Adds text; returns the text now safe to show, and whether a stop string was hit. */
  push(text: string): { text: string; stopped: boolean } {
    if (this.stops.length === 0) return { text, stopped: false };
    this.pending += text;
    let hit = -1;
    for (const s of this.stops) {
      const i = this.pending.indexOf(s);
      if (i >= 0 && (hit < 0 || i < hit)) hit = i;
    }
    if (hit >= 0) {
      const out = this.pending.slice(0, hit);
      this.pending = '';
      return { text: out, stopped: true };
    }
    // hold back the longest suffix that is a proper prefix of some stop string
    let keep = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, this.pending.length); k > keep; k--) {
        if (this.pending.endsWith(s.slice(0, k))) {
          keep = k;
          break;
        }
      }
    }
    const out = this.pending.slice(0, this.pending.length - keep);
    this.pending = this.pending.slice(this.pending.length - keep);
    return { text: out, stopped: false };
  }

  /** Ends the stream: the held-back text (it never became a stop string). */
  flush(): string {
    const out = this.pending;
    this.pending = '';
    return out;
  }
}
