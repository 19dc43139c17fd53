/**
 * `llmts chat`: talk to a model in the terminal. Answers stream as they are produced; the
 * conversation is kept (oldest exchanges dropped when the context is full, see ChatSession).
 *
 *   llmts chat --model runs/x --system 'You are terse.'
 *   llmts chat --model stories260K.bin --tokenizer tok512.bin --temperature 0.8
 *   printf 'Hi\nTell me more\n' | llmts chat --model runs/x      # scripts: one answer per line on stdout
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ChatTemplate } from '../infer/chat-template.ts';
import { ChatSession, chatStopTokens, templateStopTokens } from '../infer/chat.ts';
import { streamGenerate, type GenerateOptions, type GenerationResult } from '../infer/engine.ts';
import { loadModel, quantizeFlag } from '../io/load-model.ts';
import type { AnyModel } from '../models/registry.ts';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { parseFlags } from './flags.ts';
import { SAMPLING_FLAGS, samplingFromFlags } from './sampling-flags.ts';

const HELP = `usage: llmts chat --model M [--tokenizer T] [--system S] [options]

A terminal chat with a model. Answers are streamed; the conversation is remembered
(the oldest exchanges are dropped when it no longer fits the model's context).
With piped input (not a terminal) each line is one message or command, and stdout gets
only the answers, each followed by a newline; notices go to stderr.

options:
  --model M               a checkpoint or run directory (llmts train), or a llama2.c .bin
  --tokenizer T           tokenizer name or file (llama2.c: its tokenizer.bin)
  --adapter A             a LoRA adapter directory (peft format) merged into the model
  --quantize Q            q8_0 | bf16: decode with Q8_0 / bf16 copies of the weights
                          (default: a Q8_0 / BF16 GGUF's own format, else fp32)
  --chat-template X       'chatml', a tokenizer_config.json or a .jinja file
                          (default: tokenizer_config.json / chat_template.jinja next to the
                          model, else ChatML)
  --system S              system prompt
  --max-tokens N          new tokens per answer at most (default 256)
  --temperature X         0 = greedy; default 0.8
  --top-k K               sample among the K likeliest tokens (default 0 = off)
  --top-p P               nucleus sampling (default 0.95)
  --repetition-penalty R  divide logits of seen ids by R (default 1 = off)
  --seed S                seed of the sampler; answer n uses S + n (default 1337)
  --ignore-eos            do not end answers at the tokenizer's end ids (the template's
                          stop strings still apply)
  -h, --help              this help

`;

const COMMANDS = `commands:
  /help            this list
  /reset           forget the conversation (the system prompt stays)
  /history         show the conversation
  /system [TEXT]   show or set the system prompt
  /exit            leave (also Ctrl-D)
keys: Ctrl-C stops an answer (it stays in the history, marked); at an empty prompt,
      Ctrl-C twice leaves. Up/down recall earlier lines.`;

/** What the REPL needs; `run` builds it from the flags, tests build it directly. */
export interface ChatReplOptions {
  model: AnyModel;
  tokenizer: AnyTokenizer;
  template: ChatTemplate;
  system?: string;
  /** Sampling and length of each answer (seed: answer n uses seed + n). */
  sampling: Pick<GenerateOptions, 'maxTokens' | 'temperature' | 'topK' | 'topP' | 'repetitionPenalty' | 'seed'>;
  ignoreEos?: boolean;
  input: Readable;
  /** Answers (and the prompt on a terminal). */
  output: Writable;
  /** Notices, errors, help. */
  errors: Writable;
  /** Interactive terminal (prompt, line editing, history, Ctrl-C twice to leave). */
  terminal: boolean;
  /** Subscribe to process SIGINT (default true; tests of the in-process REPL turn it off). */
  handleSignals?: boolean;
  /** Short description shown in the banner. */
  banner?: string;
}

/**
 * The chat REPL over `input`; resolves with the exit code when the input ends or the user
 * leaves. Exposes `interrupt()` (what Ctrl-C / SIGINT does) through the returned handle.
 */
export function chatRepl(o: ChatReplOptions): { done: Promise<number>; interrupt: () => void } {
  const ctx = o.model.config.blockSize;
  const maxTokens = o.sampling.maxTokens ?? 256;
  const session = new ChatSession(o.tokenizer, o.template, { system: o.system, contextLength: ctx, reserve: Math.min(maxTokens, Math.floor(ctx / 2)) });
  const stopTokens = o.ignoreEos ? templateStopTokens(o.tokenizer, o.template) : chatStopTokens(o.tokenizer, o.template);
  const baseSeed = o.sampling.seed ?? 1337;
  const dim = (s: string): string => (o.terminal ? `\x1b[2m${s}\x1b[0m` : s);
  const info = (s: string): void => void o.errors.write(dim(s) + '\n');

  const rl: Interface = createInterface({ input: o.input, output: o.terminal ? o.output : undefined, terminal: o.terminal, historySize: 500, prompt: '> ' });
  const queue: string[] = [];
  let busy = false;
  let closed = false;
  let leaving = false;
  let current: AbortController | null = null;
  let answers = 0;
  let sigintOnce = false;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => { finish = resolve; });

  const leave = (code = 0): void => {
    if (leaving) return;
    leaving = true;
    if (o.handleSignals !== false) process.off('SIGINT', interrupt);
    if (!closed) rl.close();
    finish(code);
  };

  function interrupt(): void {
    if (current) {
      current.abort();
      return;
    }
    if (!o.terminal) return leave();
    if (rl.line.length > 0) { // clear the line being typed
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      sigintOnce = false;
      return;
    }
    if (sigintOnce) {
      o.output.write('\n');
      return leave();
    }
    sigintOnce = true;
    o.output.write('\n');
    info('(press Ctrl-C again to leave, or Ctrl-D, or type /exit)');
    rl.prompt();
  }

  async function answer(text: string): Promise<void> {
    let prompt: number[];
    try {
      const p = session.ask(text);
      if (p.dropped > 0) info(`(dropped the ${p.dropped} oldest messages to fit the model's ${ctx}-token context)`);
      prompt = p.ids;
    } catch (err) {
      if (!(err instanceof LlmtsError)) throw err;
      info(`error ${err.code}: ${err.message}`);
      return;
    }
    const ac = new AbortController();
    current = ac;
    const opts: GenerateOptions = { ...o.sampling, seed: baseSeed + answers, stop: o.template.stop, stopTokens, signal: ac.signal };
    answers++;
    let result: GenerationResult;
    try {
      const gen = streamGenerate(o.model, prompt, opts, o.tokenizer);
      for (;;) {
        const r = await gen.next();
        if (r.done) {
          result = r.value;
          break;
        }
        if (r.value.text) o.output.write(r.value.text);
      }
    } finally {
      current = null;
    }
    o.output.write('\n');
    const interrupted = result.finishReason === 'aborted';
    session.answer(result.text, { interrupted });
    if (interrupted) info('[answer stopped]');
  }

  /** Runs one input line; false = leave. */
  async function handle(line: string): Promise<boolean> {
    const text = line.trim();
    if (text === '') return true;
    if (!text.startsWith('/')) {
      await answer(line);
      return true;
    }
    const [cmd = '', ...rest] = text.split(/\s+/);
    const arg = text.slice(cmd.length).trim();
    switch (cmd) {
      case '/exit': case '/quit':
        return false;
      case '/reset':
        session.reset();
        info('(conversation cleared)');
        return true;
      case '/help':
        o.errors.write(COMMANDS + '\n');
        return true;
      case '/history':
        if (session.system) info(`system: ${session.system}`);
        for (const t of session.turns) info(`${t.role}: ${t.content}${t.interrupted ? ' [stopped]' : ''}`);
        if (session.turns.length === 0) info('(no messages yet)');
        return true;
      case '/system':
        if (rest.length > 0) {
          session.system = arg;
          info('(system prompt set)');
        } else {
          info(session.system ? `system: ${session.system}` : '(no system prompt)');
        }
        return true;
      default:
        info(`unknown command ${cmd} (see /help)`);
        return true;
    }
  }

  async function pump(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      while (queue.length > 0 && !leaving) {
        if (!(await handle(queue.shift()!))) return leave();
      }
    } catch (err) {
      o.errors.write(`llmts: ${(err as Error).message}\n`);
      return leave(1);
    } finally {
      busy = false;
    }
    if (closed) return leave();
    if (o.terminal) rl.prompt();
  }

  rl.on('line', (line) => {
    sigintOnce = false;
    queue.push(line);
    void pump();
  });
  rl.on('close', () => {
    closed = true;
    if (o.terminal && !busy && !leaving) o.output.write('\n');
    if (!busy) leave();
  });
  rl.on('SIGINT', interrupt);
  if (o.handleSignals !== false) process.on('SIGINT', interrupt);
  if (o.terminal) {
    if (o.banner) info(o.banner);
    info('Type a message, /help for commands, Ctrl-C stops an answer, Ctrl-D leaves.');
    rl.prompt();
  }
  return { done, interrupt };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('chat', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, adapter: { type: 'string' }, quantize: { type: 'string' }, 'chat-template': { type: 'string' }, system: { type: 'string' },
    ...SAMPLING_FLAGS, 'ignore-eos': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP + COMMANDS);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts chat needs --model', { where: '--model', hint: 'pass a checkpoint directory or a llama2.c .bin' });
  const sampling = samplingFromFlags(values, { temperature: 0.8, topP: 0.95 });
  const { model, tokenizer, path } = loadModel(values.model, values.tokenizer, { adapter: values.adapter, quantize: quantizeFlag(values.quantize) });
  const template = values['chat-template'] ? ChatTemplate.fromFile(values['chat-template'], tokenizer) : ChatTemplate.forModel(path, tokenizer);
  const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const { done } = chatRepl({
    model, tokenizer, template, system: values.system, sampling, ignoreEos: values['ignore-eos'] ?? false,
    input: process.stdin, output: process.stdout, errors: process.stderr, terminal,
    banner: `llmts chat | ${values.model} | ${model.config.blockSize}-token context | template ${template.kind === 'chatml' ? 'ChatML' : template.where}`,
  });
  return done;
}
