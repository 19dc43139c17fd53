/**
 * Batches of (input, next-token target) windows from token shards: the batch type of the
 * causal-LM objective (src/train/objectives/causal-lm.ts `CausalLmBatch`; the data layer
 * sits below train, so the shape is written out here and matched structurally).
 *
 * `TokenLoader.batch(step, micro)` draws B random windows of T + 1 tokens; the draw
 * depends only on (seed, step, micro), never on earlier calls, so a resumed run gets
 * exactly the batches an uninterrupted run would have had (the loader has no state to
 * save). A shard is chosen with probability proportional to its number of windows.
 * `windows()` walks the shards in order in non-overlapping windows (full evaluation);
 * `sample(n)` yields the batches of steps 0..n-1 (a fixed periodic-evaluation set).
 *
 * @example
 * const loader = new TokenLoader(data.train, { seed: 1337, batchSize: 12, blockSize: 64 });
 * const { ids, targets } = loader.batch(0);   // Int32Array(12 * 64) each
 */
import { LlmtsError } from '../util/errors.ts';
import { hash32, Rng } from '../util/rng.ts';
import type { ShardIds } from './shards.ts';

export interface LoaderOptions {
  seed: number;
  /** B: windows per batch. */
  batchSize: number;
  /** T: tokens per window (targets are the next T tokens). */
  blockSize: number;
  /** Names the data in error messages. */
  where?: string;
}

export interface Batch {
  /** (rows, T) token ids. */
  ids: Int32Array;
  /** (rows, T) next-token targets. */
  targets: Int32Array;
  /** Windows in the batch (B, fewer in the last batch of `windows()`). */
  rows: number;
  /** Tokens per window. */
  T: number;
  /** rows * T. */
  tokens: number;
}

export class TokenLoader {
  readonly B: number;
  readonly T: number;
  private readonly seed: number;
  private readonly shards: ShardIds[];
  /** Cumulative window counts (start positions 0 .. len - T - 1 per shard). */
  private readonly cumulative: number[];
  private readonly total: number;
  private readonly out: Batch;

  constructor(shards: readonly ShardIds[], o: LoaderOptions) {
    this.B = o.batchSize;
    this.T = o.blockSize;
    this.seed = o.seed >>> 0;
    this.shards = shards.filter((s) => s.length >= this.T + 1);
    let acc = 0;
    this.cumulative = this.shards.map((s) => (acc += s.length - this.T));
    this.total = acc;
    if (this.total === 0) {
      const n = shards.reduce((a, s) => a + s.length, 0);
      throw new LlmtsError('E_DATA', `no shard holds a window of ${this.T + 1} tokens (${n} tokens in ${shards.length} shard(s))`, {
        where: o.where ?? 'TokenLoader', hint: 'use more text or a smaller blockSize' });
    }
    this.out = { ids: new Int32Array(this.B * this.T), targets: new Int32Array(this.B * this.T), rows: this.B, T: this.T, tokens: this.B * this.T };
  }

  /** Number of distinct window start positions. */
  get windowCount(): number {
    return this.total;
  }

  /**
   * The batch of training step `step` (micro-batch `micro` under gradient accumulation),
   * a pure function of (seed, step, micro). The returned arrays are reused by the next call.
   */
  batch(step: number, micro = 0): Batch {
    const rng = new Rng(hash32(hash32(this.seed, step), micro + 0x51ed));
    const { ids, targets } = this.out;
    for (let b = 0; b < this.B; b++) {
      // uniform over all windows of all shards: uniform() has 32 bits, enough for 4G windows
      const w = Math.floor(rng.uniform() * this.total);
      let s = 0;
      while (this.cumulative[s]! <= w) s++;
      const start = w - (s === 0 ? 0 : this.cumulative[s - 1]!);
      const shard = this.shards[s]!;
      for (let t = 0; t < this.T; t++) {
        ids[b * this.T + t] = shard[start + t]!;
        targets[b * this.T + t] = shard[start + t + 1]!;
      }
    }
    return this.out;
  }

  /**
   * Non-overlapping windows covering every shard in order (the tail shorter than T is
   * dropped), in batches of at most B rows (fresh arrays each); `rows` tells how many rows are filled.
   */
  *windows(): Generator<Batch> {
    const { B, T } = this;
    let rows = 0;
    let ids = new Int32Array(B * T);
    let targets = new Int32Array(B * T);
    for (const shard of this.shards) {
      for (let start = 0; start + T + 1 <= shard.length; start += T) {
        for (let t = 0; t < T; t++) {
          ids[rows * T + t] = shard[start + t]!;
          targets[rows * T + t] = shard[start + t + 1]!;
        }
        if (++rows === B) {
          yield { ids, targets, rows, T, tokens: rows * T };
          rows = 0;
          ids = new Int32Array(B * T);
          targets = new Int32Array(B * T);
        }
      }
    }
    if (rows > 0) yield { ids: ids.subarray(0, rows * T), targets: targets.subarray(0, rows * T), rows, T, tokens: rows * T };
  }

  /**
   * The batches of steps 0 .. count-1, one at a time (each reuses the arrays of the one
   * before: consume a batch before asking for the next).
   */
  *sample(count: number): Generator<Batch> {
    for (let i = 0; i < count; i++) yield this.batch(i);
  }
}
