/**
 * Spare byte buffers passed back and forth between the main thread and the workers of
 * `prepare`: the raw JSON lines of a batch go to a worker and come back with its result,
 * the encoded output records come to the main thread and go back with a later batch.
 * Reusing them keeps the dead ArrayBuffers waiting for the garbage collector of each
 * thread (V8 lets tens of MB of external memory pile up before it collects) near zero.
 *
 * @example
 * const spare = new SpareBuffers();
 * const raw = spare.take(300_000);   // a view of 300000 bytes over a reused (or new) buffer
 * spare.give(raw.buffer);            // when nothing reads it any more
 */
export class SpareBuffers {
  private readonly free: ArrayBuffer[] = [];

  /**
   * At most `keep` buffers are kept, none over `maxCapacity` bytes (the buffer of a huge
   * document is left to the GC); new ones are at least `minCapacity` bytes.
   */
  constructor(private readonly keep = 8, private readonly minCapacity = 1 << 18, private readonly maxCapacity = 1 << 22) {}

  /** A view of `bytes` bytes at offset 0 of a spare buffer large enough, or of a new one. */
  take(bytes: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = this.free[i]!.byteLength;
      if (cap >= bytes && (best < 0 || cap < this.free[best]!.byteLength)) best = i;
    }
    if (best >= 0) return new Uint8Array(this.free.splice(best, 1)[0]!, 0, bytes);
    let cap = this.minCapacity;
    while (cap < bytes) cap *= 2;
    return new Uint8Array(new ArrayBuffer(cap), 0, bytes);
  }

  /** Keeps `buf` for a later `take` (dropped when enough are kept or it is detached). */
  give(buf: ArrayBufferLike): void {
    if (!(buf instanceof ArrayBuffer) || buf.byteLength === 0 || buf.byteLength > this.maxCapacity || this.free.length >= this.keep) return;
    this.free.push(buf);
  }

  /** Takes up to n buffers out (to hand to another thread). */
  drain(n: number): ArrayBuffer[] {
    return this.free.splice(0, n);
  }

  get size(): number {
    return this.free.length;
  }
}
