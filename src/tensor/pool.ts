/**
 * The buffer pool: a size-keyed free list of Float32Arrays, so that steady-state training
 * allocates no new large buffers.
 *
 * Every tensor op takes its output, saved-for-backward and gradient buffers from the pool.
 * `backward()` gives the buffers of the graph's intermediate tensors back (see tensor.ts),
 * so the next step finds buffers of exactly the sizes it needs. Buffers shorter than
 * `minPooledSize` are plain allocations (cheap, and never worth keeping).
 *
 * The mechanism is observable: `poolStats()` counts new allocations, reuses and releases.
 *
 * Shapes that vary from step to step (padded batches of different lengths, a different
 * number of masked tokens) would make the exact-size free lists grow without end, so the
 * free bytes are capped: past max(`minFreeCapBytes`, the highest live bytes seen), the
 * sizes used least recently are dropped (to the GC) first. With fixed shapes the free
 * bytes never pass the working set, so nothing is dropped and steady state allocates nothing.
 *
 * @example
 * const before = poolStats().allocated;
 * trainStep();                         // steady state
 * poolStats().allocated - before;      // 0
 */

/** Counters of the pool since start (or since `resetPoolStats()`). */
export interface PoolStats {
  /** New pooled-size buffers created (a cache miss). */
  allocated: number;
  /** Bytes of those new buffers. */
  allocatedBytes: number;
  /** Requests served from the free lists (a cache hit). */
  reused: number;
  /** Buffers given back to the pool. */
  released: number;
  /** Buffers now waiting in the free lists. */
  free: number;
  /** Bytes now waiting in the free lists. */
  freeBytes: number;
  /** Bytes of pooled-size buffers handed out and not given back (live tensors, gradients). */
  liveBytes: number;
  /** The highest liveBytes since the last reset: the engine's working set. */
  peakLiveBytes: number;
}

/** A size-keyed free list of Float32Array buffers. */
export class BufferPool {
  /** Buffers shorter than this are not pooled (allocated and left to the GC). */
  minPooledSize: number;
  /** The free bytes are always allowed to reach this much (default 64 MiB). */
  minFreeCapBytes = 64 * 1024 * 1024;
  /** Free lists by size, least recently used size first (a used size moves to the end). */
  private readonly lists = new Map<number, Float32Array[]>();
  /** The highest live bytes since the pool was made (not reset by `resetStats`). */
  private highWaterLive = 0;
  private readonly inPool = new WeakSet<Float32Array>();
  private stats: PoolStats = emptyStats();

  /**
   * float64: hand out Float64Array buffers (typed as Float32Array) instead; used only by
   * `withFloat64` for gradient checks on the reference backend.
   */
  constructor(minPooledSize = 64, private readonly float64 = false) {
    this.minPooledSize = minPooledSize;
  }

  /**
   * Debug aid: fill every buffer handed out by `acquire` with NaN, so that an op which
   * reads an element it never wrote (a bug) yields NaN instead of stale numbers.
   * `withFloat64` turns it on; `LLMTS_POOL_POISON=1` turns it on for the shared pool.
   */
  poison = false;

  private alloc(n: number): Float32Array {
    const buf = this.float64 ? (new Float64Array(n) as unknown as Float32Array) : new Float32Array(n);
    if (this.poison) buf.fill(NaN);
    return buf;
  }

  /** A buffer of exactly n floats; contents are arbitrary (the caller overwrites them). */
  acquire(n: number): Float32Array {
    if (n < this.minPooledSize) return this.alloc(n);
    const list = this.touch(n);
    const buf = list?.pop();
    this.stats.liveBytes += n * (this.float64 ? 8 : 4);
    if (this.stats.liveBytes > this.stats.peakLiveBytes) this.stats.peakLiveBytes = this.stats.liveBytes;
    if (this.stats.liveBytes > this.highWaterLive) this.highWaterLive = this.stats.liveBytes;
    if (buf) {
      this.inPool.delete(buf);
      this.stats.reused++;
      this.stats.free--;
      this.stats.freeBytes -= buf.byteLength;
      if (this.poison) buf.fill(NaN);
      return buf;
    }
    this.stats.allocated++;
    this.stats.allocatedBytes += n * (this.float64 ? 8 : 4);
    return this.alloc(n);
  }

  /** A zero-filled buffer of n floats. */
  acquireZeroed(n: number): Float32Array {
    const buf = this.acquire(n);
    buf.fill(0);
    return buf;
  }

  /**
   * Gives a buffer back. Only whole buffers (not subarray views) of pooled size are kept;
   * giving the same buffer back twice is a bug and throws.
   */
  release(buf: Float32Array): void {
    if ((buf instanceof Float64Array) !== this.float64) return; // a buffer of the other precision mode
    if (buf.length < this.minPooledSize || buf.byteOffset !== 0 || buf.byteLength !== buf.buffer.byteLength) return;
    if (this.inPool.has(buf)) throw new Error('BufferPool: buffer released twice (internal error)');
    this.inPool.add(buf);
    let list = this.touch(buf.length);
    if (!list) {
      list = [];
      this.lists.set(buf.length, list);
    }
    list.push(buf);
    this.stats.liveBytes -= buf.byteLength;
    this.stats.released++;
    this.stats.free++;
    this.stats.freeBytes += buf.byteLength;
    if (this.stats.freeBytes > Math.max(this.minFreeCapBytes, this.highWaterLive)) this.evict();
  }

  /** The free list of size n (undefined when none), moved to the most recently used end. */
  private touch(n: number): Float32Array[] | undefined {
    const list = this.lists.get(n);
    if (list) {
      this.lists.delete(n);
      this.lists.set(n, list);
    }
    return list;
  }

  /** Drops free buffers of the least recently used sizes until the free bytes fit the cap. */
  private evict(): void {
    const cap = Math.max(this.minFreeCapBytes, this.highWaterLive);
    for (const [n, list] of this.lists) {
      while (list.length > 0 && this.stats.freeBytes > cap) {
        const buf = list.pop()!;
        this.inPool.delete(buf);
        this.stats.free--;
        this.stats.freeBytes -= buf.byteLength;
      }
      if (list.length === 0) this.lists.delete(n);
      if (this.stats.freeBytes <= cap) return;
    }
  }

  /** A copy of the counters. */
  getStats(): PoolStats {
    return { ...this.stats };
  }

  /** Zeroes the event counters (allocated, reused, released) and sets the peak to the live bytes now. */
  resetStats(): void {
    const { free, freeBytes, liveBytes } = this.stats;
    this.stats = { ...emptyStats(), free, freeBytes, liveBytes, peakLiveBytes: liveBytes };
  }

  /** Drops every free buffer (to the GC). */
  clear(): void {
    this.lists.clear();
    this.stats.free = 0;
    this.stats.freeBytes = 0;
  }
}

function emptyStats(): PoolStats {
  return { allocated: 0, allocatedBytes: 0, reused: 0, released: 0, free: 0, freeBytes: 0, liveBytes: 0, peakLiveBytes: 0 };
}

/** The pool every tensor op uses (`withFloat64` swaps it for a float64 one while it runs). */
export let pool = new BufferPool();
pool.poison = process.env.LLMTS_POOL_POISON === '1';

/** Replaces the shared pool; returns the previous one. */
export function swapPool(next: BufferPool): BufferPool {
  const prev = pool;
  pool = next;
  return prev;
}

/** Counters of the shared pool. */
export function poolStats(): PoolStats {
  return pool.getStats();
}

/** Zeroes the shared pool's event counters. */
export function resetPoolStats(): void {
  pool.resetStats();
}

/** Drops every free buffer of the shared pool. */
export function clearPool(): void {
  pool.clear();
}
