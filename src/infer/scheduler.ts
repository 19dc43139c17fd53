/**
 * `InferenceEngine`: many generation requests over one loaded model, decoded together.
 *
 * Each request gets a slot: a KV cache from a pool (made on first use, then reused across
 * requests, at most `maxBatch`). The engine loop, one iteration per token:
 * 1. admit queued requests into free slots, and prefill prompts through
 *    the model's `hiddenStates` into their slot's cache in chunks of PREFILL_CHUNK tokens, at
 *    most PREFILL_BUDGET tokens per iteration (so a long prompt does not stall the other
 *    streams); a prompt's last chunk gives its first logits. Chunk boundaries are fixed
 *    per prompt (multiples of PREFILL_CHUNK), so they never depend on other requests;
 * 2. one batched decode step (`DecodeStep.runBatch`) for every other active sequence:
 *    the weights are read once for all of them;
 * 3. per request: logprobs (raw logits), sampling with its own options and seeded PRNG,
 *    stop ids / strings, max tokens, context length; emit the token event; retire the
 *    finished ones (their slot is free for the next iteration);
 * 4. yield to the event loop (setImmediate), so HTTP keeps flowing and cancels land.
 * A request's output depends only on its own prompt, options and seed, not on what else
 * is in the batch (the batched step gives every row the logits of a lone step).
 *
 * Context: a prompt longer than `contextLength` is rejected (E_PROMPT); a generation ends
 * with finishReason 'length' when prompt + output reaches `contextLength`, unless
 * `contextShift` is on: then a full cache slides before the decode step (src/infer/kv-window.ts:
 * its first `keep` positions stay, half of the rest goes) and the generation runs on until
 * max tokens or a stop, with the memory of one cache (RoPE models). When the model's
 * vocabulary is larger than the tokenizer's (a padded embedding table), the extra ids are
 * masked out before sampling and logprobs. An error inside one request's work (say, its
 * tokenizer failing) fails that request only.
 * Cancellation (`handle.cancel()`, the request's AbortSignal, or leaving a `for await`
 * loop over the handle early) frees the slot at once and ends the generation with
 * finishReason 'aborted'.
 *
 * @example
 * const engine = new InferenceEngine(model, tokenizer, { maxBatch: 8 });
 * const h = engine.submit({ prompt: encodePrompt(tokenizer, 'Once'), maxTokens: 64, temperature: 0.8, seed: 1 });
 * for await (const ev of h) process.stdout.write(ev.text);
 * const { finishReason, completionTokens } = await h.result;
 */
import { backend } from '../backend/index.ts';
import type { AnyModel } from '../models/registry.ts';
import type { KVCache } from '../nn/kv-cache.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkTokenIds } from '../util/token-ids.ts';
import { DecodeStep } from './decode-step.ts';
import { KVWindow } from './kv-window.ts';
import { embedIds } from './embed.ts';
import { inferenceScope } from './inference-scope.ts';
import { LogprobReporter, validateLogprobs, type ChosenLogprob, type TokenLogprob } from './logprobs.ts';
import { GenerationOutput } from './output.ts';
import { Sampler, validateSampling } from './sampling.ts';
import { TextStream } from './text-stream.ts';
import { stopTokenIds } from './tokens.ts';

export type { TokenLogprob } from './logprobs.ts';

/** One completion request; see the module comment. */
export interface CompletionRequest {
  /** Ids, BOS included (use encodePrompt / encodeChat). */
  prompt: readonly number[];
  /** New tokens, default 256. */
  maxTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /** HF semantics over prompt + output, 1 = off. */
  repetitionPenalty?: number;
  /** OpenAI semantics over the generated tokens, 0 = off, range [-2, 2]. */
  presencePenalty?: number;
  /** OpenAI semantics over the generated tokens, 0 = off, range [-2, 2]. */
  frequencyPenalty?: number;
  /** Stop strings (not emitted). */
  stop?: readonly string[];
  /** Default: stopTokenIds(tokenizer). */
  stopTokens?: readonly number[];
  /** undefined = off; 0 = logprob of the chosen token only; n (<= 20) = + top-n alternatives. */
  logprobs?: number;
  /** Abort = finishReason 'aborted'. */
  signal?: AbortSignal;
}

/** One streamed token. */
export interface TokenEvent {
  /** The token id; -1 for a final text-only flush. */
  id: number;
  /** Visible text made by this token ('' while held back). */
  text: string;
  /** When logprobs were requested (log-softmax of the raw logits). */
  logprob?: TokenLogprob & { top: TokenLogprob[] };
}

/** The outcome of a request. */
export interface CompletionResult {
  ids: number[];
  text: string;
  finishReason: 'stop' | 'length' | 'aborted';
  promptTokens: number;
  completionTokens: number;
  logprobs?: (TokenLogprob & { top: TokenLogprob[] })[];
}

/** A submitted request: iterate it for token events; `result` resolves when it is done. */
export interface GenerationHandle extends AsyncIterable<TokenEvent> {
  readonly id: number;
  /** Resolves when done (also after cancel). */
  readonly result: Promise<CompletionResult>;
  cancel(): void;
}

/** Prompt tokens per prefill chunk (chunk boundaries are multiples of it from the prompt start). */
export const PREFILL_CHUNK = 256;
/** Prompt tokens prefilled per engine iteration at most (whole chunks; at least one chunk). */
export const PREFILL_BUDGET = 512;

/** Engine limits. */
export interface EngineOptions {
  /** Concurrent sequences decoded together, default 8. */
  maxBatch?: number;
  /** Requests waiting for a slot, default 64; more is an E_QUEUE_FULL error. */
  maxQueue?: number;
  /** Slide a full KV cache and go on past the context (RoPE models), keeping `keep` sink positions; default off. */
  contextShift?: { keep?: number } | null;
}

/** One request's state inside the engine. */
class Sequence implements GenerationHandle {
  readonly id: number;
  readonly result: Promise<CompletionResult>;
  readonly req: CompletionRequest;
  readonly promptLength: number;
  readonly maxTokens: number;
  readonly sampler: Sampler;
  /** Prompt + generated ids, stop tokens and strings, the text. */
  readonly out: GenerationOutput;
  readonly logprobs: ChosenLogprob[] | null;
  /** Index into the engine's cache pool while active; -1 when queued or done. */
  slot = -1;
  /** The last sampled id, fed by the next decode step. */
  pending = -1;
  /** Prompt tokens already in the slot's cache. */
  prefilled = 0;
  finish: CompletionResult['finishReason'] | null = null;
  private resolve!: (r: CompletionResult) => void;
  private reject!: (e: unknown) => void;
  private readonly events: TokenEvent[] = [];
  private wake: (() => void) | null = null;
  private error: unknown = null;
  private readonly onAbort: () => void;
  private readonly onCancel: (s: Sequence) => void;

  constructor(id: number, req: CompletionRequest, tokenizer: AnyTokenizer, onCancel: (s: Sequence) => void) {
    this.onCancel = onCancel;
    this.id = id;
    this.req = req;
    this.promptLength = req.prompt.length;
    this.maxTokens = req.maxTokens ?? 256;
    this.sampler = new Sampler(req);
    this.out = new GenerationOutput(req.prompt, new TextStream(tokenizer),
      { maxTokens: this.maxTokens, stopTokens: req.stopTokens ?? stopTokenIds(tokenizer), stop: req.stop ?? [] });
    this.logprobs = req.logprobs === undefined ? null : [];
    this.result = new Promise<CompletionResult>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.result.catch(() => undefined); // a caller that only iterates still sees the error there
    this.onAbort = () => this.cancel();
    req.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  cancel(): void {
    if (this.finish === null) this.onCancel(this);
  }

  /** Queues an event for the iterator. */
  emit(ev: TokenEvent): void {
    this.events.push(ev);
    this.wakeUp();
  }

  /** Ends the sequence: flushes held-back text, resolves the result. */
  end(reason: CompletionResult['finishReason']): void {
    if (this.finish !== null) return;
    this.finish = reason;
    const tail = this.out.flush();
    if (tail) this.emit({ id: -1, text: tail });
    this.req.signal?.removeEventListener('abort', this.onAbort);
    const out = this.out;
    const r: CompletionResult = {
      ids: out.newIds.slice(), text: out.text, finishReason: reason,
      promptTokens: this.promptLength, completionTokens: out.newIds.length,
    };
    if (this.logprobs) r.logprobs = this.logprobs;
    this.resolve(r);
    this.wakeUp();
  }

  /** Ends the sequence with an error (the engine failed). */
  fail(e: unknown): void {
    if (this.finish !== null) return;
    this.finish = 'aborted';
    this.error = e;
    this.req.signal?.removeEventListener('abort', this.onAbort);
    this.reject(e);
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The events in order; leaving the loop early (break, return, throw) cancels the request. */
  async *[Symbol.asyncIterator](): AsyncIterator<TokenEvent> {
    try {
      for (;;) {
        const ev = this.events.shift();
        if (ev) {
          yield ev;
          continue;
        }
        if (this.error !== null) throw this.error;
        if (this.finish !== null) return;
        await new Promise<void>((resolve) => { this.wake = resolve; });
      }
    } finally {
      this.cancel();
    }
  }
}

/** See the module comment. */
export class InferenceEngine {
  /** The model's context (blockSize): prompt + output never exceed it. */
  readonly contextLength: number;
  private readonly model: AnyModel;
  private readonly tokenizer: AnyTokenizer;
  private readonly maxQueue: number;
  private readonly decoder: DecodeStep;
  /** Slides full caches (contextShift), or null: generations end at the context. */
  private readonly window: KVWindow | null;
  /** The output projection (V, C), from the decode plan. */
  private readonly lmHead: Float32Array;
  private readonly reporter: LogprobReporter;
  /** Cache pool: slot i's cache, made on first use. */
  private readonly caches: (KVCache | null)[];
  private readonly freeSlots: number[];
  private readonly queue: Sequence[] = [];
  private readonly running = new Set<Sequence>();
  /** Logits of one prefill (V) and of a batched step (maxBatch, V), with row views. */
  private readonly prefillLogits: Float32Array;
  private readonly batchLogits: Float32Array;
  private readonly logitRows: Float32Array[];
  private nextId = 1;
  private loop: Promise<void> | null = null;
  private closed = false;

  constructor(model: AnyModel, tokenizer: AnyTokenizer, opts: EngineOptions = {}) {
    const maxBatch = opts.maxBatch ?? 8, maxQueue = opts.maxQueue ?? 64;
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) throw new LlmtsError('E_CONFIG', `maxBatch = ${maxBatch} is out of range`, { where: 'maxBatch', hint: 'use a positive integer' });
    if (!(Number.isInteger(maxQueue) && maxQueue >= 0)) throw new LlmtsError('E_CONFIG', `maxQueue = ${maxQueue} is out of range`, { where: 'maxQueue', hint: 'use a non-negative integer' });
    this.model = model;
    this.tokenizer = tokenizer;
    this.maxQueue = maxQueue;
    this.contextLength = model.config.blockSize;
    this.decoder = new DecodeStep(model);
    this.window = opts.contextShift ? new KVWindow(model, { keep: opts.contextShift.keep }) : null;
    if (this.window && !this.window.canShift) {
      throw new LlmtsError('E_CONFIG', `a ${model.config.arch} model has learned positions: its KV cache cannot slide`, { where: 'contextShift', hint: 'context shift needs a RoPE model (Llama); drop it' });
    }
    if (this.window && this.window.keep >= this.contextLength - 1) {
      throw new LlmtsError('E_CONFIG', `keep = ${this.window.keep} leaves no room in a context of ${this.contextLength}`, { where: 'keep', hint: `keep fewer than ${this.contextLength - 1} sink tokens` });
    }
    this.lmHead = this.decoder.plan.lmHead;
    this.reporter = new LogprobReporter(tokenizer);
    this.caches = Array.from({ length: maxBatch }, () => null);
    this.freeSlots = Array.from({ length: maxBatch }, (_, i) => maxBatch - 1 - i); // pop() gives slot 0 first
    const V = model.config.vocabSize;
    this.prefillLogits = new Float32Array(V);
    this.batchLogits = new Float32Array(maxBatch * V);
    this.logitRows = Array.from({ length: maxBatch }, (_, b) => this.batchLogits.subarray(b * V, (b + 1) * V));
  }

  /** Sequences being decoded. */
  get active(): number {
    return this.running.size;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Validates and queues a request; see the module comment. */
  submit(req: CompletionRequest): GenerationHandle {
    if (this.closed) throw new LlmtsError('E_CLOSED', 'the engine is closed', { where: 'InferenceEngine.submit', hint: 'make a new engine' });
    this.validate(req);
    if (this.queue.length >= this.maxQueue) {
      throw new LlmtsError('E_QUEUE_FULL', `${this.queue.length} requests are already waiting (maxQueue ${this.maxQueue})`, { where: 'InferenceEngine.submit', hint: 'retry later' });
    }
    const seq = new Sequence(this.nextId++, req, this.tokenizer, (s) => this.retire(s, 'aborted'));
    if (req.signal?.aborted) {
      seq.end('aborted');
      return seq;
    }
    this.queue.push(seq);
    this.kick();
    return seq;
  }

  /** Mean-pooled final hidden states (after the final norm), L2-normalised, (C). */
  embed(ids: readonly number[]): Float32Array {
    return embedIds(this.model, ids);
  }

  /** Cancels everything and resolves when the engine loop is idle; later submits fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.queue, ...this.running]) s.cancel();
    await this.loop;
  }

  /** Ends a sequence: frees its slot (or queue place) at once. */
  private retire(seq: Sequence, reason: CompletionResult['finishReason']): void {
    this.release(seq);
    seq.end(reason);
  }

  /** Takes a sequence out of the queue or its slot. */
  private release(seq: Sequence): void {
    const q = this.queue.indexOf(seq);
    if (q >= 0) this.queue.splice(q, 1);
    if (seq.slot >= 0) {
      this.freeSlots.push(seq.slot);
      seq.slot = -1;
    }
    this.running.delete(seq);
  }

  private validate(req: CompletionRequest): void {
    const V = Math.min(this.model.config.vocabSize, this.tokenizer.vocabSize);
    const p = req.prompt as unknown;
    if (!Array.isArray(p) || p.length === 0) {
      throw new LlmtsError('E_PROMPT', 'the prompt needs at least one token id', { where: 'prompt', hint: 'encode the prompt with encodePrompt / encodeChat (BOS included)' });
    }
    checkTokenIds(req.prompt, V, { what: 'prompt id', where: 'prompt', hint: 'encode the prompt with the tokenizer of this model' });
    if (req.prompt.length > this.contextLength) {
      throw new LlmtsError('E_PROMPT', `the prompt has ${req.prompt.length} tokens; the model's context is ${this.contextLength}`, { where: 'prompt', hint: `shorten the prompt to at most ${this.contextLength} tokens (fewer, to leave room for the output)` });
    }
    const maxTokens = req.maxTokens ?? 256;
    if (!(Number.isInteger(maxTokens) && maxTokens >= 0)) {
      throw new LlmtsError('E_SAMPLING', `maxTokens = ${maxTokens} is out of range`, { where: 'maxTokens', hint: 'use a non-negative integer' });
    }
    if (req.stop !== undefined && !(Array.isArray(req.stop) && req.stop.every((s) => typeof s === 'string'))) {
      throw new LlmtsError('E_SAMPLING', 'stop must be an array of strings', { where: 'stop', hint: 'e.g. ["\\n\\n"]' });
    }
    if (req.stopTokens !== undefined && !(Array.isArray(req.stopTokens) && req.stopTokens.every((s) => Number.isInteger(s)))) {
      throw new LlmtsError('E_SAMPLING', 'stopTokens must be an array of token ids', { where: 'stopTokens', hint: 'e.g. [2]' });
    }
    validateLogprobs(req.logprobs);
    validateSampling(req);
  }

  /** Starts the engine loop if it is not running. */
  private kick(): void {
    if (this.loop) return;
    this.loop = this.run().finally(() => {
      this.loop = null;
      if (this.queue.length > 0 && !this.closed) this.kick();
    });
  }

  /** The engine loop: iterations until no request is left, yielding to the event loop before each. */
  private async run(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.queue.length === 0 && this.running.size === 0) return;
      try {
        this.iterate();
      } catch (e) {
        for (const s of [...this.queue, ...this.running]) {
          this.release(s);
          s.fail(e);
        }
      }
    }
  }

  /** One engine iteration: admit + prefill, one batched decode step, sample, retire. */
  private iterate(): void {
    // 1. admit queued requests into free slots, then prefill whole chunks within the budget
    while (this.queue.length > 0 && this.freeSlots.length > 0) {
      const seq = this.queue.shift()!;
      if (seq.maxTokens === 0 || seq.promptLength >= this.contextLength) {
        seq.end('length');
        continue;
      }
      seq.slot = this.freeSlots.pop()!;
      seq.prefilled = 0;
      this.cacheOf(seq.slot).reset();
      this.running.add(seq);
    }
    let budget = PREFILL_BUDGET;
    for (const seq of [...this.running]) {
      while (seq.finish === null && seq.prefilled < seq.promptLength && budget > 0) {
        const n = Math.min(PREFILL_CHUNK, seq.promptLength - seq.prefilled);
        budget -= n;
        this.guarded(seq, () => {
          const last = this.prefill(seq, n);
          if (last) this.advance(seq, this.prefillLogits);
        });
      }
    }
    // 2. one batched decode step for the sequences that have a pending token
    const batch: Sequence[] = [];
    for (const s of this.running) if (s.pending >= 0 && s.finish === null) batch.push(s);
    if (batch.length === 0) return;
    const ids = batch.map((s) => s.pending);
    const caches = batch.map((s) => this.cacheOf(s.slot));
    if (this.window) for (const c of caches) if (c.length >= c.capacity) this.window.shift(c); // slide a full cache
    for (const s of batch) s.pending = -1;
    this.decoder.runBatch(ids, caches, this.batchLogits); // (B, V)
    batch.forEach((s, b) => this.guarded(s, () => this.advance(s, this.logitRows[b]!)));
  }

  /** Runs one sequence's work; an error fails that sequence only (the batch goes on). */
  private guarded(seq: Sequence, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.release(seq);
      seq.fail(e);
    }
  }

  private cacheOf(slot: number): KVCache {
    let c = this.caches[slot];
    if (!c) {
      c = this.model.newCache(1);
      this.caches[slot] = c;
    }
    return c;
  }

  /**
   * Feeds the next `n` prompt tokens of `seq` into its cache through
   * the model's `hiddenStates`. After the prompt's last chunk, only the last position goes
   * through the lm_head (into prefillLogits; a long prompt never makes a (T, V) logits
   * tensor) and this returns true.
   */
  private prefill(seq: Sequence, n: number): boolean {
    const C = this.model.hiddenSize, V = this.model.config.vocabSize;
    const ids = Int32Array.from(seq.req.prompt.slice(seq.prefilled, seq.prefilled + n));
    const last = seq.prefilled + n === seq.promptLength;
    const head = this.lmHead; // (V, C)
    inferenceScope(this.model, () => {
      const h = this.model.hiddenStates({ ids, B: 1, T: n, cache: this.cacheOf(seq.slot) }).data; // (1, n, C)
      if (last) backend().gemm(false, true, 1, V, C, 1, h.subarray((n - 1) * C, n * C), C, 0, head, C, 0, 0, this.prefillLogits, V, 0, 1); // (1, V)
    });
    seq.prefilled += n;
    return last;
  }

  /** Samples one token for `seq` from its logits (V), emits it, retires the sequence when it ends. */
  private advance(seq: Sequence, logits: Float32Array): void {
    // ids past the tokenizer's vocabulary (a padded embedding table) are never produced
    for (let i = this.tokenizer.vocabSize; i < logits.length; i++) logits[i] = -Infinity;
    const id = seq.sampler.sample(logits, seq.out.all, seq.promptLength);
    if (seq.out.isStop(id)) {
      this.retire(seq, 'stop');
      return;
    }
    const lp = seq.logprobs ? this.reporter.report(logits, id, seq.req.logprobs!) : undefined;
    if (lp) seq.logprobs!.push(lp);
    const { text, finish } = seq.out.push(id);
    seq.emit(lp ? { id, text, logprob: lp } : { id, text });
    if (finish) this.retire(seq, finish);
    else if (!this.window && seq.out.all.length >= this.contextLength) this.retire(seq, 'length');
    else seq.pending = id;
  }
}
