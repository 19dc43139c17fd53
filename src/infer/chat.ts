/**
 * Chat on top of the generation engine: a conversation -> prompt ids (`encodeChat`), the
 * ids that end an answer (`chatStopTokens`), and a `ChatSession` that keeps a multi-turn
 * history inside the model's context.
 *
 * Special tokens: after rendering, every special-token string of the tokenizer's vocabulary
 * found in the text (e.g. `<|im_start|>`, `<s>`) becomes its id; the text between them is
 * encoded as plain text. Tokenizers without the template's markers (e.g. a llama2.c
 * vocabulary with ChatML) simply see them as text. As in transformers, special-token strings
 * typed inside a message are not told apart from the template's own.
 *
 * @example
 * const template = ChatTemplate.forModel(modelPath, tokenizer);
 * const prompt = encodeChat(tokenizer, template, [{ role: 'user', content: 'Hi' }]);
 * const stopTokens = chatStopTokens(tokenizer, template);
 * for await (const s of streamGenerate(model, prompt, { stop: template.stop, stopTokens }, tokenizer)) process.stdout.write(s.text);
 */
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import type { ChatMessage, ChatTemplate } from './chat-template.ts';
import { bosId, stopTokenIds } from './tokens.ts';

export type { ChatMessage } from './chat-template.ts';

/** Text -> ids, with the vocabulary's special-token strings as their ids (longest match first). */
export function encodeWithSpecials(tokenizer: AnyTokenizer, text: string): number[] {
  const map = tokenizer.specialTokens();
  const specials = [...map.keys()].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  if (specials.length === 0) return tokenizer.encode(text);
  const re = new RegExp(`(${specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);
  const ids: number[] = [];
  for (const [i, part] of text.split(re).entries()) {
    if (part === '') continue;
    if (i % 2 === 1) ids.push(map.get(part)!);
    else ids.push(...tokenizer.encode(part));
  }
  return ids;
}

/**
 * The prompt ids of a conversation: rendered with the generation prompt, special tokens as
 * ids, and the tokenizer's start id first unless the template already put it.
 * @example
 * encodeChat(tok, ChatTemplate.chatml(), [{ role: 'user', content: 'Hi' }]) // [BOS, ...'<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n']
 */
export function encodeChat(tokenizer: AnyTokenizer, template: ChatTemplate, messages: readonly ChatMessage[]): number[] {
  const ids = encodeWithSpecials(tokenizer, template.render(messages, { addGenerationPrompt: true }));
  const bos = bosId(tokenizer);
  if (bos !== undefined && ids[0] !== bos) ids.unshift(bos);
  return ids;
}

/**
 * The template's stop strings that are single special tokens of the vocabulary, as ids (a
 * model emits `<|im_end|>` as one id, which streamed text does not show, so a stop string
 * alone would miss it).
 */
export function templateStopTokens(tokenizer: AnyTokenizer, template: ChatTemplate): number[] {
  const specials = tokenizer.specialTokens();
  return template.stop.map((s) => specials.get(s)).filter((id): id is number => id !== undefined);
}

/** Ids that end an answer: the tokenizer's end ids plus `templateStopTokens`. */
export function chatStopTokens(tokenizer: AnyTokenizer, template: ChatTemplate): number[] {
  return [...new Set([...stopTokenIds(tokenizer), ...templateStopTokens(tokenizer, template)])];
}

/** A message of a session's history; `interrupted` marks an answer stopped by the user. */
export interface ChatTurn extends ChatMessage {
  interrupted?: boolean;
}

/** Options of a `ChatSession`. */
export interface ChatSessionOptions {
  /** System prompt (kept first, never dropped). */
  system?: string;
  /** Positions the model can attend to (its blockSize). */
  contextLength: number;
  /** Positions kept free for the answer; default min(256, contextLength / 2). */
  reserve?: number;
}

/** What `ChatSession.ask` returns. */
export interface ChatPrompt {
  /** Prompt ids for the answer (fits in contextLength - reserve). */
  ids: number[];
  /** How many history messages were dropped (oldest first) to make it fit. */
  dropped: number;
}

/**
 * A multi-turn conversation kept within the model's context.
 *
 * Trimming rule: before each answer the prompt (system + history + the new user message +
 * the generation prompt) must leave `reserve` positions free. While it does not, the oldest
 * exchange is dropped: the first message after the system prompt and everything up to the
 * next user message (so the history still starts with a user turn). The system prompt and
 * the new user message are never dropped; if those two alone do not fit, `ask` throws
 * E_PROMPT and the history is unchanged.
 *
 * @example
 * const s = new ChatSession(tok, ChatTemplate.chatml(), { system: 'Be brief.', contextLength: 512 });
 * const { ids } = s.ask('Hello');       // prompt for the answer
 * s.answer(generatedText);              // recorded for the next turn
 * s.reset();                            // history cleared, system prompt kept
 */
export class ChatSession {
  /** The system prompt ('' or undefined = none). */
  system: string | undefined;
  readonly contextLength: number;
  readonly reserve: number;
  private readonly tokenizer: AnyTokenizer;
  private readonly template: ChatTemplate;
  private history: ChatTurn[] = [];

  constructor(tokenizer: AnyTokenizer, template: ChatTemplate, opts: ChatSessionOptions) {
    if (!(Number.isInteger(opts.contextLength) && opts.contextLength > 0)) {
      throw new LlmtsError('E_CHAT_SESSION', `contextLength = ${opts.contextLength} is not a positive integer`, { where: 'contextLength', hint: "pass the model's blockSize" });
    }
    const reserve = opts.reserve ?? Math.min(256, Math.floor(opts.contextLength / 2));
    if (!(Number.isInteger(reserve) && reserve >= 0 && reserve < opts.contextLength)) {
      throw new LlmtsError('E_CHAT_SESSION', `reserve = ${reserve} must be an integer in [0, ${opts.contextLength})`, { where: 'reserve', hint: 'keep some of the context for the prompt' });
    }
    this.tokenizer = tokenizer;
    this.template = template;
    this.system = opts.system;
    this.contextLength = opts.contextLength;
    this.reserve = reserve;
  }

  /** The history (user and assistant messages, oldest first; the system prompt not included). */
  get turns(): readonly ChatTurn[] {
    return this.history;
  }

  /** The messages a template sees: the system prompt (when set) then the history. */
  messages(): ChatMessage[] {
    const out: ChatMessage[] = this.system ? [{ role: 'system', content: this.system }] : [];
    for (const t of this.history) out.push({ role: t.role, content: t.content });
    return out;
  }

  /** Forgets the history; the system prompt stays. */
  reset(): void {
    this.history = [];
  }

  /**
   * Adds a user message and returns the prompt for the answer, dropping the oldest exchanges
   * when needed (see the class comment). A previous question left without an answer is
   * forgotten first.
   */
  ask(content: string): ChatPrompt {
    if (this.history.at(-1)?.role === 'user') this.history.pop();
    const budget = this.contextLength - this.reserve;
    const saved = this.history;
    let turns = [...this.history, { role: 'user', content }];
    let dropped = 0;
    try {
      for (;;) {
        this.history = turns;
        const ids = encodeChat(this.tokenizer, this.template, this.messages());
        if (ids.length <= budget) return { ids, dropped };
        if (turns.length === 1) {
          throw new LlmtsError('E_PROMPT', `the message${this.system ? ' with the system prompt' : ''} is ${ids.length} tokens; the context holds ${this.contextLength} with ${this.reserve} kept for the answer`, {
            where: 'chat', hint: 'shorten the message or the system prompt, or lower --max-tokens' });
        }
        let cut = 1;
        while (cut < turns.length - 1 && turns[cut]!.role !== 'user') cut++;
        dropped += cut;
        turns = turns.slice(cut);
      }
    } catch (err) {
      this.history = saved;
      throw err;
    }
  }

  /** Records the answer to the last question (`interrupted`: stopped by the user, kept as it was). */
  answer(content: string, opts: { interrupted?: boolean } = {}): void {
    if (this.history.at(-1)?.role !== 'user') {
      throw new LlmtsError('E_CHAT_SESSION', 'answer() without a question', { where: 'ChatSession.answer', hint: 'call ask() first' });
    }
    this.history.push(opts.interrupted ? { role: 'assistant', content, interrupted: true } : { role: 'assistant', content });
  }
}
