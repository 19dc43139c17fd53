/**
 * The output side of one generation, shared by `Generation` (engine.ts) and the
 * InferenceEngine's requests (scheduler.ts): prompt + generated ids (the sampler's
 * history), the stop tokens, the token limit, and the text, decoded UTF-8 safe with stop
 * strings held back and cut.
 *
 * @example
 * const out = new GenerationOutput(promptIds, new TextStream(tok), { maxTokens: 64, stopTokens: [eos], stop: ['\n\n'] });
 * const id = sampler.sample(logits, out.all, out.promptLength);
 * if (out.isStop(id)) end('stop');
 * else { const { text, finish } = out.push(id); show(text); if (finish) show(out.flush()); }
 */
import { StopMatcher } from './stop.ts';
import type { TextStream } from './text-stream.ts';

/** What ends a generation at a pushed token. */
export type OutputFinish = 'stop' | 'length';

/** The limits of one generation's output. */
export interface OutputOptions {
  /** Generated tokens at most. */
  maxTokens: number;
  /** Ids that end the generation without being part of it. */
  stopTokens: Iterable<number>;
  /** Strings that end it: the text from the first match on is dropped. */
  stop: readonly string[];
}

/** See the module comment. */
export class GenerationOutput {
  /** Prompt + generated ids. */
  readonly all: number[];
  /** Generated ids. */
  readonly newIds: number[] = [];
  readonly promptLength: number;
  /** The prompt as text (what the tokenizer shows for its ids; '' without a text stream). */
  readonly promptText: string;
  /** The generated text shown so far. */
  text = '';
  private readonly maxTokens: number;
  private readonly stopIds: Set<number>;
  private readonly matcher: StopMatcher;
  private readonly stream: TextStream | null;
  private stoppedByString = false;

  /** `stream` decodes ids to text; null when only ids are wanted (then `text` stays ''). */
  constructor(prompt: readonly number[], stream: TextStream | null, opts: OutputOptions) {
    this.all = [...prompt];
    this.promptLength = prompt.length;
    this.maxTokens = opts.maxTokens;
    this.stopIds = new Set(opts.stopTokens);
    this.matcher = new StopMatcher(opts.stop);
    this.stream = stream;
    this.promptText = stream ? stream.pushMany(prompt) : '';
  }

  /** Whether `id` is a stop token: it ends the generation and is not appended. */
  isStop(id: number): boolean {
    return this.stopIds.has(id);
  }

  /**
   * Appends a sampled id (not a stop token). Returns the text that can be shown now and,
   * when the generation ends with this id, why: 'stop' (a stop string completed) or
   * 'length' (maxTokens reached; call `flush` for the text still held back).
   */
  push(id: number): { text: string; finish: OutputFinish | null } {
    this.all.push(id);
    this.newIds.push(id);
    let text = '';
    if (this.stream) {
      const m = this.matcher.push(this.stream.push(id));
      text = m.text;
      this.text += text;
      if (m.stopped) {
        this.stoppedByString = true;
        return { text, finish: 'stop' };
      }
    }
    return { text, finish: this.newIds.length >= this.maxTokens ? 'length' : null };
  }

  /**
   * At the end: the text held back so far (an unfinished UTF-8 sequence, a possible start
   * of a stop string). '' after a stop string, and when nothing was generated (what the
   * stream holds back then belongs to the prompt).
   */
  flush(): string {
    if (!this.stream || this.stoppedByString || this.newIds.length === 0) return '';
    const m = this.matcher.push(this.stream.flush());
    const out = m.text + (m.stopped ? '' : this.matcher.flush());
    this.text += out;
    return out;
  }
}
