/**
 * The generation engine: prefill the prompt into a KV cache, then decode one token at a
 * time with a `Sampler`, stop on max tokens, stop ids, stop strings or an abort signal,
 * and stream UTF-8-safe text. Three ways to drive it, one implementation (`Generation`):
 * - `generate(model, prompt, opts, tokenizer?)`: synchronous, returns the result; the prompt is
 *   ids, or text when a tokenizer is given (encoded with `encodePrompt`: BOS first when the
 *   tokenizer has one);
 * - `streamGenerate(...)`: an async iterator of steps that yields to the event loop after
 *   each token (so a server can interleave requests and cancel them);
 * - `new Generation(...)` + `step()`: token by token.
 *
 * Context: when the cache (blockSize positions, or `contextSize`) is full, by default it is
 * shifted (`contextOverflow: 'shift'`, src/infer/kv-window.ts): its first `keep` positions
 * (attention sinks, default 4) stay, half of the rest is dropped, the remainder moves down
 * with its keys re-rotated, and decoding goes on with the memory of one cache (llama.cpp's
 * context shift, StreamingLLM's positions). Models without RoPE cannot shift their cache:
 * for them, and with `'slide'`, the cache is refilled with the last blockSize/2 tokens
 * (recomputed). `'stop'` ends the generation with finishReason 'length'. A prompt longer
 * than the cache keeps its first `keep` and its last tokens when shifting, else its last.
 *
 * @example
 * const r = generate(model, 'Once upon a time', { maxTokens: 50, temperature: 0 }, tok);
 * r.text;            // the continuation
 * generate(model, [1, 403, 407], { maxTokens: 50 }).ids;   // ids in, ids out (no tokenizer)
 * for await (const s of streamGenerate(model, prompt, { maxTokens: 50, stop: ['\n'] }, tok)) process.stdout.write(s.text);
 */
import type { LanguageModel } from '../models/model.ts';
import type { KVCache } from '../nn/kv-cache.ts';
import { LlmtsError } from '../util/errors.ts';
import { checkTokenIds } from '../util/token-ids.ts';
import { DecodeStep } from './decode-step.ts';
import { KVWindow } from './kv-window.ts';
import { inferenceScope } from './inference-scope.ts';
import { GenerationOutput } from './output.ts';
import { Sampler, type SamplingOptions } from './sampling.ts';
import { TextStream, type StreamTokenizer } from './text-stream.ts';
import { encodePrompt } from './tokens.ts';

/** Options of one generation (sampling options included). */
export interface GenerateOptions extends SamplingOptions {
  /** New tokens to generate at most (the prompt does not count); default 256. */
  maxTokens?: number;
  /** Generation ends before any of these ids (not emitted). Default: none. */
  stopTokens?: readonly number[];
  /** Generation ends at the first of these strings (not emitted); needs a tokenizer. */
  stop?: readonly string[];
  /** Aborting ends the generation with finishReason 'aborted'. */
  signal?: AbortSignal;
  /** What to do when the KV cache is full: 'shift' (default), 'slide' or 'stop'; see the module comment. */
  contextOverflow?: 'shift' | 'slide' | 'stop';
  /** Positions kept at the start when shifting (attention sinks); default 4. */
  keep?: number;
  /** Positions of the KV cache (the window); default the model's blockSize. */
  contextSize?: number;
}

/** A prompt: token ids, or text (needs the tokenizer). */
export type Prompt = readonly number[] | string;

/** The prompt's ids: text is encoded with `encodePrompt`, which needs the tokenizer. */
function promptIds(prompt: Prompt, tokenizer: StreamTokenizer | undefined): readonly number[] {
  if (typeof prompt !== 'string') return prompt;
  if (!tokenizer) {
    throw new LlmtsError('E_PROMPT', 'a text prompt needs a tokenizer to encode it', { where: 'generate', hint: "pass the tokenizer (generate(model, 'Once upon', opts, tokenizer)) or token ids" });
  }
  return encodePrompt(tokenizer, prompt);
}

/** Why a generation ended. */
export type FinishReason = 'length' | 'stop' | 'aborted';

/** One produced token and the text it made visible ('' while held back). */
export interface GenerationStep {
  /** The new id; -1 for a last step that only releases held-back text (no token). */
  id: number;
  text: string;
}

/** The outcome of a generation. */
export interface GenerationResult {
  /** The new ids (stop id excluded). */
  ids: number[];
  /** Their text (stop string excluded); '' without a tokenizer. */
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
}

/** A generation in progress; see the module comment. */
export class Generation {
  /** The prompt as text (what the tokenizer shows for the prompt ids). */
  readonly promptText: string;
  private readonly model: LanguageModel;
  private readonly cache: KVCache;
  private readonly decoder: DecodeStep;
  /** Shifts the full cache, or null when it is refilled or the generation stops instead. */
  private readonly window: KVWindow | null;
  private readonly sampler: Sampler;
  /** Prompt + generated ids (the sampler's history), stop tokens and strings, the text. */
  private readonly out: GenerationOutput;
  private readonly opts: GenerateOptions;
  private readonly last: Float32Array;
  private finish: FinishReason | null = null;
  private pendingId = -1;
  private prefilled = false;

  constructor(model: LanguageModel, promptIn: Prompt, opts: GenerateOptions = {}, tokenizer?: StreamTokenizer) {
    const prompt = promptIds(promptIn, tokenizer);
    if (prompt.length === 0) {
      throw new LlmtsError('E_PROMPT', 'generate needs at least one prompt token', { where: 'generate', hint: 'start from a BOS / newline token' });
    }
    checkTokenIds(prompt, model.config.vocabSize, { what: 'prompt id', where: 'prompt', hint: 'encode the prompt with the tokenizer of this model' });
    const maxTokens = opts.maxTokens ?? 256;
    if (!Number.isInteger(maxTokens) || maxTokens < 0) {
      throw new LlmtsError('E_SAMPLING', `maxTokens = ${maxTokens} is out of range`, { where: 'maxTokens', hint: 'use a non-negative integer' });
    }
    if (opts.stop?.length && !tokenizer) {
      throw new LlmtsError('E_SAMPLING', 'stop strings need a tokenizer', { where: 'stop', hint: 'pass the tokenizer to generate()' });
    }
    this.model = model;
    this.opts = opts;
    this.sampler = new Sampler(opts);
    this.out = new GenerationOutput(prompt, tokenizer ? new TextStream(tokenizer) : null,
      { maxTokens, stopTokens: opts.stopTokens ?? [], stop: opts.stop ?? [] });
    this.promptText = this.out.promptText;
    const ctx = opts.contextSize ?? model.config.blockSize;
    if (!(Number.isInteger(ctx) && ctx >= 2)) {
      throw new LlmtsError('E_CONFIG', `contextSize = ${ctx} is out of range`, { where: 'contextSize', hint: 'use an integer >= 2 (KV cache positions)' });
    }
    this.cache = model.newCache(1, ctx);
    this.decoder = new DecodeStep(model);
    const shift = (opts.contextOverflow ?? 'shift') === 'shift' ? new KVWindow(model, { keep: opts.keep }) : null;
    if (shift && shift.keep >= ctx - 1) {
      throw new LlmtsError('E_CONFIG', `keep = ${shift.keep} leaves no room in a context of ${ctx}`, { where: 'keep', hint: `keep fewer than ${ctx - 1} sink tokens` });
    }
    this.window = shift?.canShift ? shift : null;
    this.last = new Float32Array(model.config.vocabSize);
    if (maxTokens === 0) this.finish = 'length';
  }

  /** True once the generation has ended. */
  get done(): boolean {
    return this.finish !== null;
  }

  /** Feeds ids after the cached positions (prefill); keeps the logits of the last one. */
  private feed(ids: readonly number[]): void {
    const V = this.model.config.vocabSize;
    inferenceScope(this.model, () => {
      const { logits } = this.model.forward(Int32Array.from(ids), 1, ids.length, null, this.cache); // (1, T, V)
      this.last.set(logits.data.subarray((ids.length - 1) * V, ids.length * V));
    });
  }

  /** Makes room for one more position; false when the context is full and may not grow. */
  private room(): boolean {
    const block = this.cache.capacity;
    if (this.cache.length < block) return true;
    if (this.opts.contextOverflow === 'stop') return false;
    if (this.window) {
      this.window.shift(this.cache);
      return true;
    }
    this.cache.reset();
    const keep = Math.max(1, Math.floor(block / 2));
    const context = this.out.all.slice(-keep, -1); // the pending id is fed by the caller
    if (context.length > 0) this.feed(context);
    return true;
  }

  /** The prompt ids that fit the cache: all, or (shifting) the first `keep` and the last ones, else the last ones. */
  private promptWindow(): readonly number[] {
    const all = this.out.all, cap = this.cache.capacity;
    if (all.length <= cap) return all;
    if (!this.window) return all.slice(-cap);
    const keep = this.window.keep;
    return [...all.slice(0, keep), ...all.slice(all.length - (cap - keep))];
  }

  /** Produces the next token, or null when the generation has ended. */
  step(): GenerationStep | null {
    if (this.finish) return null;
    if (this.opts.signal?.aborted) return this.end('aborted');
    if (!this.prefilled) {
      this.prefilled = true;
      this.feed(this.promptWindow()); // prefill
    } else {
      if (!this.room()) return this.end('length');
      this.decoder.run(this.pendingId, this.cache, this.last); // one token, straight through the kernels
    }
    const id = this.sampler.sample(this.last, this.out.all, this.out.promptLength);
    if (this.out.isStop(id)) return this.end('stop');
    this.pendingId = id;
    const { text, finish } = this.out.push(id);
    if (finish === 'stop') this.finish = 'stop';
    if (finish === 'length') {
      this.finish = 'length';
      return { id, text: text + this.out.flush() };
    }
    return { id, text };
  }

  /** Ends with `reason`; returns a text-only step when held-back text remains, else null. */
  private end(reason: FinishReason): GenerationStep | null {
    this.finish = reason;
    const text = this.out.flush();
    return text ? { id: -1, text } : null;
  }

  /** The result so far (complete once `done`). */
  result(): GenerationResult {
    const out = this.out;
    return {
      ids: out.newIds.slice(), text: out.text, finishReason: this.finish ?? 'length',
      promptTokens: out.promptLength, completionTokens: out.newIds.length,
    };
  }
}

/** Generates synchronously; `onStep` sees each token and its text. See the module comment. */
export function generate(model: LanguageModel, prompt: Prompt, opts: GenerateOptions = {}, tokenizer?: StreamTokenizer,
  onStep?: (s: GenerationStep) => void): GenerationResult {
  const g = new Generation(model, prompt, opts, tokenizer);
  for (let s = g.step(); s; s = g.step()) onStep?.(s);
  return g.result();
}

/**
 * Generates as an async iterator of steps (one per token); the iterator's return value is
 * the result. Yields to the event loop after every token, so `opts.signal` can abort it.
 */
export async function* streamGenerate(model: LanguageModel, prompt: Prompt, opts: GenerateOptions = {},
  tokenizer?: StreamTokenizer): AsyncGenerator<GenerationStep, GenerationResult> {
  const g = new Generation(model, prompt, opts, tokenizer);
  for (;;) {
    const s = g.step();
    if (!s) break;
    yield s;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return g.result();
}
