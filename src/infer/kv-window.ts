/**
 * A sliding KV window with attention sinks (StreamingLLM, Xiao et al. 2023; llama.cpp's
 * context shift with `--keep`): when a cache is full, keep its first `keep` positions (the
 * sinks: the first tokens, which attention leans on), drop the next `discard`, and move the
 * rest down, so decoding goes on past the context with the memory of one cache.
 *
 * Positions are those within the cache, as StreamingLLM assigns them: a key moved from slot
 * s to slot s - discard is rotated back by `discard` positions (RoPE is a rotation, so this
 * equals rotating it at its new slot; llama.cpp's K-shift). The rotation uses the layer's
 * frequency table (scaled or not) without YaRN's attention factor, which the key already
 * carries. Values carry no position and are only moved. Under dynamic NTK the keys were
 * rotated with the table of the length they were made at; the shift uses the table of the
 * full cache (dynamic NTK is approximate past its own length anyway).
 *
 * Models without RoPE (GPT-2's learned positions) have absolute positions mixed into every
 * cached key and value, so no shift can move them: `canShift` is false for them, and the
 * engine recomputes the kept tokens instead.
 *
 * Default sizes: `keep` 4 sinks (StreamingLLM's choice), `discard` half of the positions
 * after them (llama.cpp's n_discard), so a full cache is shifted once every
 * (capacity - keep) / 2 tokens, not at every token.
 *
 * @example
 * const w = new KVWindow(model, { keep: 4 });
 * if (cache.length === cache.capacity) w.shift(cache);  // cache.length -= w.discardFor(cache)
 */
import { backend } from '../backend/index.ts';
import type { DecodePlan } from '../models/decode-plan.ts';
import { decodePlanOf } from '../models/decode-weights.ts';
import type { LanguageModel } from '../models/model.ts';
import type { KVCache } from '../nn/kv-cache.ts';
import { RopeFrequencies } from '../nn/rope-scaling.ts';
import { LlmtsError } from '../util/errors.ts';

/** Default sink positions kept at the start of the cache. */
export const DEFAULT_SINK_TOKENS = 4;

/** Options of `KVWindow`. */
export interface KVWindowOptions {
  /** Positions kept at the start of the cache (attention sinks); default 4. */
  keep?: number;
  /** Positions dropped per shift; default half of those after `keep`. */
  discard?: number;
}

/** See the module comment. */
export class KVWindow {
  readonly keep: number;
  private readonly discard: number | null;
  private readonly plan: DecodePlan;
  private readonly freqs: RopeFrequencies | null;

  constructor(model: LanguageModel, opts: KVWindowOptions = {}) {
    const keep = opts.keep ?? DEFAULT_SINK_TOKENS;
    if (!(Number.isInteger(keep) && keep >= 0)) {
      throw new LlmtsError('E_CONFIG', `keep = ${keep} is out of range`, { where: 'keep', hint: 'use a non-negative integer (the sink tokens kept at the start, e.g. 4)' });
    }
    if (opts.discard !== undefined && !(Number.isInteger(opts.discard) && opts.discard >= 1)) {
      throw new LlmtsError('E_CONFIG', `discard = ${opts.discard} is out of range`, { where: 'discard', hint: 'use a positive integer' });
    }
    this.keep = keep;
    this.discard = opts.discard ?? null;
    this.plan = decodePlanOf(model);
    this.freqs = this.plan.rope ? new RopeFrequencies(this.plan.rope, this.plan.headSize) : null;
  }

  /** Whether the model's cache can be shifted (RoPE); else the caller recomputes. */
  get canShift(): boolean {
    return this.freqs !== null;
  }

  /** Positions one shift of `cache` drops: at least 1, leaving the `keep` sinks. */
  discardFor(cache: KVCache): number {
    const movable = cache.length - this.keep;
    if (movable < 1) {
      throw new LlmtsError('E_CONFIG', `keep = ${this.keep} leaves no position to drop in a cache of ${cache.length}`, {
        where: 'keep', hint: `keep fewer sink tokens than the context (${cache.capacity})` });
    }
    return Math.min(movable, this.discard ?? Math.max(1, Math.floor(movable / 2)));
  }

  /**
   * Drops `discardFor(cache)` positions after the first `keep` of every layer, moves the rest
   * down and re-rotates their keys; cache.length shrinks by that many. Returns it.
   */
  shift(cache: KVCache): number {
    if (!this.freqs || !this.plan.rope) {
      throw new LlmtsError('E_MODEL', 'this model has no RoPE: its cached keys hold absolute positions and cannot be shifted', {
        where: 'KVWindow.shift', hint: 'recompute the kept tokens instead (check canShift first)' });
    }
    const d = this.discardFor(cache);
    const { theta, interleaved } = this.plan.rope;
    const { invFreq } = this.freqs.at(cache.capacity);
    const hs = cache.headSize, cap = cache.capacity, keep = this.keep;
    const moved = cache.length - keep - d;
    const be = backend();
    for (let l = 0; l < cache.keys.length; l++) {
      const kc = cache.keys[l]!.data, vc = cache.values[l]!.data;
      for (let bh = 0; bh < cache.B * cache.nKvHead; bh++) {
        const from = (bh * cap + keep + d) * hs, to = (bh * cap + keep) * hs;
        kc.copyWithin(to, from, from + moved * hs);
        vc.copyWithin(to, from, from + moved * hs);
        // every moved key back by d positions: rows as (1, moved, 1, hs), each rotated by -d
        if (moved > 0) be.rope(1, moved, 1, hs, d, theta, interleaved, true, kc.subarray(to, to + moved * hs), invFreq, 1);
      }
    }
    cache.length -= d;
    return d;
  }
}
