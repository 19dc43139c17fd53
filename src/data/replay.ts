/**
 * Replay for continual pretraining: a fraction R of every batch's rows comes from old
 * data (another token folder), the rest from the new data. `--replay F:R` names a folder
 * and its fraction; several are comma-separated (`F:0.1,G:0.05`), fractions summing below 1.
 *
 * Which rows replay is a pure function of (step, micro), like the windows themselves: the
 * global micro-batch index g = step * gradAccum + micro gets
 * floor(R * B * (g + 1)) - floor(R * B * g) rows from a source, so over any run of
 * batches the replayed rows are R * B per batch to within one row in total (exactly
 * R * B in every batch when R * B is a whole number), and a resumed run gets the same
 * mixture. Replayed rows fill the end of the batch; each source draws its windows with
 * its own loader (seed derived from the run's seed and the source's index).
 *
 * @example
 * const mix = new ReplayMixLoader(newLoader, [{ loader: oldLoader, fraction: 0.25 }], { gradAccum: 1 });
 * mix.batch(0, 0);          // 12 rows: 9 from newLoader, 3 from oldLoader
 * mix.rowsFrom(0, 0);       // [9, 3]
 */
import { LlmtsError } from '../util/errors.ts';
import type { Batch, TokenLoader } from './loader.ts';

/** One `F:R` entry of `--replay`. */
export interface ReplaySpec {
  /** Token folder of the old data. */
  dir: string;
  /** Fraction of each batch's rows, in [0, 1). */
  fraction: number;
}

/** Parses `--replay` ("F:R" or "F:R,G:S"; '' = none); fractions in [0, 1) summing below 1. */
export function parseReplaySpecs(spec: string): ReplaySpec[] {
  if (spec.trim() === '') return [];
  const out: ReplaySpec[] = [];
  for (const part of spec.split(',')) {
    const colon = part.lastIndexOf(':');
    const dir = colon < 0 ? '' : part.slice(0, colon).trim();
    const raw = colon < 0 ? '' : part.slice(colon + 1).trim();
    const fraction = raw === '' ? NaN : Number(raw);
    if (!dir) throw new LlmtsError('E_REPLAY', `--replay '${part}' is not FOLDER:FRACTION`, { where: '--replay', hint: 'e.g. --replay=runs/old/data:0.25' });
    if (!(fraction >= 0 && fraction < 1)) {
      throw new LlmtsError('E_REPLAY', `--replay ${dir}: fraction must be in [0, 1), got '${raw}'`, { where: '--replay', hint: 'e.g. --replay=runs/old/data:0.25 (a quarter of each batch is old data)' });
    }
    out.push({ dir, fraction });
  }
  const total = out.reduce((a, s) => a + s.fraction, 0);
  if (!(total < 1)) throw new LlmtsError('E_REPLAY', `--replay fractions sum to ${total}, leaving no room for the new data`, { where: '--replay', hint: 'make the fractions sum below 1' });
  return out;
}

/** A replay source of a mix: its loader (blockSize equal to the new data's) and fraction. */
export interface ReplaySource {
  loader: TokenLoader;
  fraction: number;
}

/** Batches mixing new data with replayed old data (see the module comment). */
export class ReplayMixLoader {
  readonly B: number;
  readonly T: number;
  private readonly gradAccum: number;
  private readonly out: Batch;

  constructor(private readonly main: TokenLoader, private readonly sources: readonly ReplaySource[], o: { gradAccum: number }) {
    this.B = main.B;
    this.T = main.T;
    this.gradAccum = o.gradAccum;
    for (const s of sources) {
      if (s.loader.B !== this.B || s.loader.T !== this.T) throw new LlmtsError('E_REPLAY', `replay loader is ${s.loader.B}x${s.loader.T}, the new data's is ${this.B}x${this.T}`, { where: 'ReplayMixLoader' });
    }
    this.out = { ids: new Int32Array(this.B * this.T), targets: new Int32Array(this.B * this.T), rows: this.B, T: this.T, tokens: this.B * this.T };
  }

  /** Rows of micro-batch (step, micro) from each source: [new data, replay 1, replay 2, ...]. */
  rowsFrom(step: number, micro = 0): number[] {
    const g = step * this.gradAccum + micro;
    let left = this.B;
    const replay = this.sources.map((s) => {
      const k = Math.min(left, Math.floor(s.fraction * this.B * (g + 1)) - Math.floor(s.fraction * this.B * g));
      left -= k;
      return k;
    });
    return [left, ...replay];
  }

  /** Replayed rows of every source over steps 0 .. steps-1 (what a run of that length replayed). */
  replayedRows(steps: number): number[] {
    const sum = this.sources.map(() => 0);
    for (let step = 0; step < steps; step++) {
      for (let micro = 0; micro < this.gradAccum; micro++) this.rowsFrom(step, micro).slice(1).forEach((k, i) => (sum[i]! += k));
    }
    return sum;
  }

  /** The mixed batch of (step, micro): new-data rows first, then each source's (arrays reused by the next call). */
  batch(step: number, micro = 0): Batch {
    const rows = this.rowsFrom(step, micro);
    const { ids, targets } = this.out;
    const copy = (b: Batch, n: number, at: number): void => {
      ids.set(b.ids.subarray(0, n * this.T), at * this.T); // (n, T)
      targets.set(b.targets.subarray(0, n * this.T), at * this.T);
    };
    let at = 0;
    copy(this.main.batch(step, micro), rows[0]!, at);
    at += rows[0]!;
    this.sources.forEach((s, i) => {
      const n = rows[i + 1]!;
      if (n > 0) copy(s.loader.batch(step, micro), n, at);
      at += n;
    });
    return this.out;
  }
}
