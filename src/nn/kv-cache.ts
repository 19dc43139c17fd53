/**
 * `KVCache`: the keys and values of past positions, one pair of buffers per attention
 * layer, so that decoding runs one new token at a time. Buffers are
 * (B, nkv, capacity, hs); `length` is the number of positions filled (the same for every
 * layer once a forward pass completes).
 *
 * @example
 * const cache = new KVCache(nLayer, 1, nKvHead, blockSize, headSize);
 * model.forward(promptIds, 1, T, undefined, cache);  // prefill: cache.length = T
 * model.forward(nextId, 1, 1, undefined, cache);     // decode:  cache.length = T + 1
 */
import { Tensor } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';

export class KVCache {
  readonly B: number;
  readonly nKvHead: number;
  readonly capacity: number;
  readonly headSize: number;
  /** Per layer: keys and values (B, nkv, capacity, hs). */
  readonly keys: Tensor[];
  readonly values: Tensor[];
  /** Positions filled so far. */
  length = 0;

  constructor(nLayer: number, B: number, nKvHead: number, capacity: number, headSize: number) {
    this.B = B;
    this.nKvHead = nKvHead;
    this.capacity = capacity;
    this.headSize = headSize;
    const shape = [B, nKvHead, capacity, headSize];
    this.keys = Array.from({ length: nLayer }, () => new Tensor(new Float32Array(B * nKvHead * capacity * headSize), shape));
    this.values = Array.from({ length: nLayer }, () => new Tensor(new Float32Array(B * nKvHead * capacity * headSize), shape));
  }

  /** Forgets every position (the buffers are kept). */
  reset(): void {
    this.length = 0;
  }

  /**
   * Copies k, v (B, nkv, T, hs) of `layer` into positions [length, length + T).
   * Does not advance `length`: the model does that after the last layer (`advance`).
   */
  write(layer: number, k: Tensor, v: Tensor): void {
    const [B, nkv, T, hs] = k.shape as [number, number, number, number];
    if (B !== this.B || nkv !== this.nKvHead || hs !== this.headSize) {
      throw new LlmtsError('E_SHAPE', `KV cache is (${this.B}, ${this.nKvHead}, *, ${this.headSize}), got k (${k.shape.join(', ')})`, {
        where: 'KVCache.write', hint: 'make the cache with the batch size and head layout of the model' });
    }
    if (this.length + T > this.capacity) {
      throw new LlmtsError('E_CACHE_FULL', `KV cache holds ${this.capacity} positions; ${this.length} used, ${T} more requested`, {
        where: 'KVCache.write', hint: 'make a larger cache, or reset it and re-feed the last tokens' });
    }
    const kc = this.keys[layer]!.data, vc = this.values[layer]!.data;
    const kd = k.data, vd = v.data;
    for (let bh = 0; bh < B * nkv; bh++) {
      const dst = (bh * this.capacity + this.length) * hs;
      kc.set(kd.subarray(bh * T * hs, (bh + 1) * T * hs), dst);
      vc.set(vd.subarray(bh * T * hs, (bh + 1) * T * hs), dst);
    }
  }

  /** Marks T more positions as filled (after every layer wrote them). */
  advance(T: number): void {
    this.length += T;
  }
}
