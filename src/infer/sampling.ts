/**
 * Picking the next token from one row of logits: greedy (temperature 0), temperature,
 * top-k, top-p (nucleus), a repetition penalty and OpenAI's presence / frequency
 * penalties, from one seeded PRNG.
 *
 * Order of operations (as in Hugging Face's logits processors): repetition penalty (over
 * prompt + output) -> presence / frequency penalties (over the output only: logit[j] -=
 * count_j * frequency + (count_j > 0) * presence) -> greedy argmax if temperature is 0 ->
 * divide by temperature -> keep the top-k -> softmax -> keep the smallest set of likeliest
 * tokens whose probability reaches top-p -> draw. The logits passed in are never modified.
 *
 * @example
 * const s = new Sampler({ temperature: 0.8, topK: 40, topP: 0.95, seed: 1, frequencyPenalty: 0.5 });
 * const id = s.sample(logits, history, promptLength); // logits Float32Array(V), history = prompt + output so far
 */
import { backend } from '../backend/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

/** Sampling parameters; every field is optional. */
export interface SamplingOptions {
  /** 0 = greedy argmax; default 1. */
  temperature?: number;
  /** Keep only the k likeliest tokens; 0 = all (default). */
  topK?: number;
  /** Keep the likeliest tokens whose probabilities sum to at least p; 1 = all (default). */
  topP?: number;
  /**
   * CTRL / Hugging Face repetition penalty: logits of ids already in the history are
   * divided by it when positive, multiplied when negative. 1 = off (default).
   */
  repetitionPenalty?: number;
  /** OpenAI presence penalty over the generated tokens, in [-2, 2]; 0 = off (default). */
  presencePenalty?: number;
  /** OpenAI frequency penalty over the generated tokens, in [-2, 2]; 0 = off (default). */
  frequencyPenalty?: number;
  /** Seed of the sampler's PRNG (default 1337). */
  seed?: number;
}

/**
 * Index of the largest value (the first one on ties, like llama2.c's argmax; a NaN never
 * wins): `backend().argmax` on a Float32Array copy of x.
 * @example argmax([1, 5, 5, 2]) // 1
 */
export function argmax(x: ArrayLike<number>): number {
  const f = x instanceof Float32Array ? x : Float32Array.from(x);
  return backend().argmax(f.length, f);
}

/** Checks the sampling options and throws an LlmtsError naming a bad one. */
export function validateSampling(o: SamplingOptions): void {
  const bad = (field: string, value: unknown, hint: string): never => {
    throw new LlmtsError('E_SAMPLING', `${field} = ${String(value)} is out of range`, { where: field, hint });
  };
  if (o.temperature !== undefined && !(o.temperature >= 0 && Number.isFinite(o.temperature))) bad('temperature', o.temperature, 'use 0 (greedy) or a positive number');
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) bad('topK', o.topK, 'use 0 (off) or a positive integer');
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) bad('topP', o.topP, 'use a number in (0, 1]; 1 = off');
  if (o.repetitionPenalty !== undefined && !(o.repetitionPenalty > 0 && Number.isFinite(o.repetitionPenalty))) bad('repetitionPenalty', o.repetitionPenalty, 'use a positive number; 1 = off');
  if (o.presencePenalty !== undefined && !(o.presencePenalty >= -2 && o.presencePenalty <= 2)) bad('presencePenalty', o.presencePenalty, 'use a number in [-2, 2]; 0 = off');
  if (o.frequencyPenalty !== undefined && !(o.frequencyPenalty >= -2 && o.frequencyPenalty <= 2)) bad('frequencyPenalty', o.frequencyPenalty, 'use a number in [-2, 2]; 0 = off');
  if (o.seed !== undefined && !Number.isInteger(o.seed)) bad('seed', o.seed, 'use an integer');
}

/** Stateful sampler (its PRNG advances with each draw); see the module comment. */
export class Sampler {
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly repetitionPenalty: number;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  private readonly rng: Rng;
  private readonly counts = new Map<number, number>();
  private readonly seen = new Set<number>();
  private work = new Float32Array(0);
  private probs = new Float32Array(0);
  private scaled = new Float32Array(0);
  private order = new Int32Array(0);

  constructor(opts: SamplingOptions = {}) {
    validateSampling(opts);
    this.temperature = opts.temperature ?? 1;
    this.topK = opts.topK ?? 0;
    this.topP = opts.topP ?? 1;
    this.repetitionPenalty = opts.repetitionPenalty ?? 1;
    this.presencePenalty = opts.presencePenalty ?? 0;
    this.frequencyPenalty = opts.frequencyPenalty ?? 0;
    this.rng = new Rng(opts.seed ?? 1337);
  }

  /**
   * The next id for `logits` (V), given the ids so far: `history` is prompt + output (the
   * repetition penalty sees all of it), and its first `promptLength` ids are the prompt
   * (the presence / frequency penalties count only the ids after them).
   */
  sample(logits: Float32Array, history: ArrayLike<number> = [], promptLength = 0): number {
    const V = logits.length;
    let x = logits;
    const copy = (): Float32Array => {
      if (x === logits) {
        if (this.work.length !== V) this.work = new Float32Array(V);
        this.work.set(logits);
        x = this.work;
      }
      return x;
    };
    if (this.repetitionPenalty !== 1 && history.length > 0) {
      x = copy();
      const p = this.repetitionPenalty;
      const seen = this.seen;
      seen.clear();
      for (let i = 0; i < history.length; i++) {
        const id = history[i]!;
        if (id < 0 || id >= V || seen.has(id)) continue;
        seen.add(id);
        x[id] = x[id]! > 0 ? x[id]! / p : x[id]! * p;
      }
    }
    if ((this.presencePenalty !== 0 || this.frequencyPenalty !== 0) && history.length > promptLength) {
      x = copy();
      const counts = this.counts;
      counts.clear();
      for (let i = Math.max(0, promptLength); i < history.length; i++) {
        const id = history[i]!;
        if (id >= 0 && id < V) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      for (const [id, n] of counts) x[id] = x[id]! - n * this.frequencyPenalty - this.presencePenalty;
    }
    if (this.temperature === 0) return argmax(x); // native: 32000 logits in ~5 us (a JS loop: ~78)
    return this.draw(x);
  }

  /** Temperature, top-k, softmax (native), top-p, then one draw. */
  private draw(x: Float32Array): number {
    const V = x.length;
    if (this.probs.length !== V) {
      this.probs = new Float32Array(V);
      this.scaled = new Float32Array(V);
      this.order = new Int32Array(V);
    }
    const z = this.scaled, probs = this.probs;
    const invT = 1 / this.temperature;
    for (let i = 0; i < V; i++) z[i] = x[i]! * invT;
    if (this.topK > 0 && this.topK < V) {
      const cutoff = kthLargest(z, this.topK);
      for (let i = 0; i < V; i++) if (z[i]! < cutoff) z[i] = -Infinity;
    }
    backend().softmax(1, V, z, probs); // (V)
    const u = this.rng.uniform();
    if (this.topP < 1) return this.drawTopP(u);
    let acc = 0;
    for (let i = 0; i < V; i++) {
      acc += probs[i]!;
      if (u < acc && probs[i]! > 0) return i;
    }
    for (let i = V - 1; i >= 0; i--) if (probs[i]! > 0) return i;
    return 0;
  }

  /**
   * Nucleus sampling over the normalised probs: the likeliest ids whose mass first
   * reaches topP. Ids below (1 - topP) / (V - 1) cannot be in the nucleus and are skipped
   * before sorting (as llama2.c does), which keeps this fast for large vocabularies.
   */
  private drawTopP(u: number): number {
    const probs = this.probs, order = this.order, V = probs.length;
    const floor = (1 - this.topP) / (V - 1);
    let n = 0;
    for (let i = 0; i < V; i++) if (probs[i]! >= floor && probs[i]! > 0) order[n++] = i;
    const cand = Array.from(order.subarray(0, n)).sort((a, b) => probs[b]! - probs[a]! || a - b);
    let mass = 0;
    let last = cand.length - 1;
    for (let i = 0; i < cand.length; i++) {
      mass += probs[cand[i]!]!;
      if (mass >= this.topP) {
        last = i;
        break;
      }
    }
    const r = u * mass;
    let acc = 0;
    for (let i = 0; i <= last; i++) {
      acc += probs[cand[i]!]!;
      if (r < acc) return cand[i]!;
    }
    return cand[last]!;
  }
}

/** The k-th largest value of x (1 <= k < x.length), with a size-k min-heap: O(V log k). */
export function kthLargest(x: Float32Array, k: number): number {
  const heap = new Float32Array(k);
  for (let i = 0; i < k; i++) heap[i] = x[i]!;
  heap.sort(); // ascending = a valid min-heap
  for (let i = k; i < x.length; i++) {
    const v = x[i]!;
    if (v <= heap[0]!) continue;
    // replace the root and sift down
    let j = 0;
    for (;;) {
      const l = 2 * j + 1, r = l + 1;
      let m = j;
      let mv = v;
      if (l < k && heap[l]! < mv) {
        m = l;
        mv = heap[l]!;
      }
      if (r < k && heap[r]! < mv) m = r;
      if (m === j) break;
      heap[j] = heap[m]!;
      j = m;
    }
    heap[j] = v;
  }
  return heap[0]!;
}
