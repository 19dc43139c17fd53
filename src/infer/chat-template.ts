/**
 * Chat templates: a list of messages -> the one prompt string a chat model was trained on.
 * - ChatML (the default): `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then
 *   `<|im_start|>assistant\n` as the generation prompt; answers end at `<|im_end|>`.
 * - A Hugging Face `chat_template` (Jinja) from a model's tokenizer_config.json (or its
 *   chat_template.jinja), rendered with @huggingface/jinja the way transformers'
 *   `apply_chat_template` does: trim_blocks + lstrip_blocks, the variables `messages`,
 *   `add_generation_prompt`, `bos_token`, `eos_token` (and the config's other `*_token`
 *   strings), the functions `raise_exception`, `range`, `strftime_now`, `namespace`.
 *   The list form of `chat_template` ([{ name, template }]) uses the template named 'default'.
 *
 * `stop` lists the strings that end an assistant turn: ChatML's `<|im_end|>`; for a Jinja
 * template, its eos_token plus the turn-end markers of known families that appear in its
 * source (`<|im_end|>`, `<|eot_id|>`, `<|end|>`, `</s>`, `<end_of_turn>`, ...).
 *
 * @example
 * ChatTemplate.chatml().render([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true })
 * // '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'
 * const t = ChatTemplate.forModel('runs/x', tokenizer); // tokenizer_config.json there, else ChatML
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import type { AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { bosId, stopTokenIds } from './tokens.ts';

/** One message of a conversation. */
export interface ChatMessage {
  /** 'system' | 'user' | 'assistant' | ... (whatever the template knows). */
  role: string;
  content: string;
}

/** Special-token strings a Jinja template may use. */
export interface TemplateSpecials {
  bos_token?: string;
  eos_token?: string;
  /** Other `*_token` strings of the tokenizer config (unk_token, pad_token, ...). */
  [name: string]: string | undefined;
}

/** Turn-end markers of known template families (ChatML, Llama 3, Phi-3, Llama 2 / Mistral / Zephyr, Gemma, OpenChat, Command-R). */
const END_MARKERS = ['<|im_end|>', '<|eot_id|>', '<|end|>', '</s>', '<end_of_turn>', '<|end_of_turn|>', '<|END_OF_TURN_TOKEN|>'];

const IM_START = '<|im_start|>';
const IM_END = '<|im_end|>';

/** A raise_exception() call from inside a template (the template refused the conversation). */
class TemplateRaised extends Error {}

/** See the module comment. */
export class ChatTemplate {
  /** 'chatml' (built in) or 'jinja' (a HF chat_template). */
  readonly kind: 'chatml' | 'jinja';
  /** Where the template came from (a file path, or 'chatml' / 'jinja string'); named in errors. */
  readonly where: string;
  /** The Jinja source ('' for the built-in ChatML). */
  readonly source: string;
  /** Strings that end an assistant turn. */
  readonly stop: readonly string[];
  /** Special-token strings passed to a Jinja template. */
  readonly specials: Readonly<TemplateSpecials>;
  private readonly jinja: Template | null;

  private constructor(kind: 'chatml' | 'jinja', where: string, source: string, stop: readonly string[], specials: TemplateSpecials, jinja: Template | null) {
    this.kind = kind;
    this.where = where;
    this.source = source;
    this.stop = stop;
    this.specials = specials;
    this.jinja = jinja;
  }

  /** The built-in ChatML template (the default). */
  static chatml(): ChatTemplate {
    return new ChatTemplate('chatml', 'chatml', '', [IM_END], {}, null);
  }

  /**
   * A Hugging Face Jinja chat template. `where` (a file name) is named in parse and render errors.
   * @example
   * ChatTemplate.fromJinja("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", { eos_token: '</s>' })
   */
  static fromJinja(source: string, specials: TemplateSpecials = {}, where = 'jinja string'): ChatTemplate {
    let jinja: Template;
    try {
      jinja = new Template(source);
    } catch (err) {
      throw new LlmtsError('E_CHAT_TEMPLATE', `cannot parse the chat template of ${where}: ${(err as Error).message}`, {
        where, hint: 'fix the Jinja syntax of chat_template (or remove it to use ChatML)', cause: err });
    }
    const clean: TemplateSpecials = {};
    for (const [k, v] of Object.entries(specials)) if (typeof v === 'string') clean[k] = v;
    const stop: string[] = [];
    if (clean.eos_token) stop.push(clean.eos_token);
    for (const m of END_MARKERS) if (source.includes(m) && !stop.includes(m)) stop.push(m);
    return new ChatTemplate('jinja', where, source, stop, clean, jinja);
  }

  /**
   * The template of a tokenizer_config.json object (`where` = its path), or null when it has
   * no chat_template. bos/eos missing from the config are taken from `tokenizer` when given.
   */
  static fromTokenizerConfig(config: unknown, where: string, tokenizer?: AnyTokenizer): ChatTemplate | null {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new LlmtsError('E_CHAT_TEMPLATE', `${where} is not a JSON object`, { where, hint: 'pass a Hugging Face tokenizer_config.json' });
    }
    const cfg = config as Record<string, unknown>;
    const source = pickTemplate(cfg.chat_template, where);
    if (source === null) return null;
    return ChatTemplate.fromJinja(source, configSpecials(cfg, tokenizer), where);
  }

  /**
   * The template for a model: chat_template.jinja or the chat_template of tokenizer_config.json
   * in the model directory (or next to a model file), else ChatML.
   */
  static forModel(modelPath: string, tokenizer: AnyTokenizer): ChatTemplate {
    const dir = existsSync(modelPath) && statSync(modelPath).isDirectory() ? modelPath : dirname(modelPath);
    const configPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(configPath) ? readJson(configPath) : {};
    const jinjaPath = join(dir, 'chat_template.jinja');
    if (existsSync(jinjaPath)) {
      return ChatTemplate.fromJinja(readFileSync(jinjaPath, 'utf8'), configSpecials(config as Record<string, unknown>, tokenizer), jinjaPath);
    }
    if (existsSync(configPath)) return ChatTemplate.fromTokenizerConfig(config, configPath, tokenizer) ?? ChatTemplate.chatml();
    return ChatTemplate.chatml();
  }

  /**
   * A template named on the command line: 'chatml', a tokenizer_config.json, or a .jinja file.
   */
  static fromFile(pathOrName: string, tokenizer?: AnyTokenizer): ChatTemplate {
    if (pathOrName === 'chatml') return ChatTemplate.chatml();
    if (!existsSync(pathOrName)) {
      throw new LlmtsError('E_CHAT_TEMPLATE', `no chat template file ${pathOrName}`, { where: pathOrName, hint: "pass 'chatml', a tokenizer_config.json or a .jinja file" });
    }
    if (pathOrName.endsWith('.json')) {
      const t = ChatTemplate.fromTokenizerConfig(readJson(pathOrName), pathOrName, tokenizer);
      if (!t) throw new LlmtsError('E_CHAT_TEMPLATE', `${pathOrName} has no chat_template`, { where: pathOrName, hint: "add a chat_template, or use 'chatml'" });
      return t;
    }
    return ChatTemplate.fromJinja(readFileSync(pathOrName, 'utf8'), tokenizer ? tokenizerSpecials(tokenizer) : {}, pathOrName);
  }

  /** Renders the conversation; `addGenerationPrompt` appends the opening of an assistant turn. */
  render(messages: readonly ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): string {
    const gen = opts.addGenerationPrompt ?? false;
    for (const [i, m] of messages.entries()) {
      if (typeof m?.role !== 'string' || typeof m.content !== 'string') {
        throw new LlmtsError('E_CHAT_MESSAGE', `message ${i} needs a string role and a string content`, { where: `messages[${i}]`, hint: "use { role: 'user', content: '...' }" });
      }
    }
    if (!this.jinja) {
      let s = '';
      for (const m of messages) s += `${IM_START}${m.role}\n${m.content}${IM_END}\n`;
      return gen ? s + `${IM_START}assistant\n` : s;
    }
    const env = new Environment();
    setGlobals(env);
    for (const [k, v] of Object.entries(this.specials)) env.set(k, v);
    env.set('messages', messages.map((m) => ({ role: m.role, content: m.content })));
    env.set('add_generation_prompt', gen);
    try {
      const out = new Interpreter(env).run(this.jinja.parsed);
      return String(out.value);
    } catch (err) {
      if (err instanceof TemplateRaised) {
        throw new LlmtsError('E_CHAT_TEMPLATE', `the chat template of ${this.where} refused the conversation: ${err.message}`, {
          where: this.where, hint: 'this template may not accept a system prompt or needs alternating user/assistant turns; adapt the messages or use --chat-template chatml' });
      }
      throw new LlmtsError('E_CHAT_TEMPLATE', `cannot render the chat template of ${this.where}: ${(err as Error).message}`, {
        where: this.where, hint: 'the template uses a Jinja feature or variable llmts does not provide; fix chat_template or use ChatML', cause: err });
    }
  }
}

/** The chat_template of a config: a string, or the 'default' entry of the list form; null when absent. */
function pickTemplate(value: unknown, where: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.filter((e): e is { name: string; template: string } =>
      typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' && typeof (e as { template?: unknown }).template === 'string');
    const def = named.find((e) => e.name === 'default');
    if (def) return def.template;
    throw new LlmtsError('E_CHAT_TEMPLATE', `chat_template of ${where} is a list without a 'default' template (names: ${named.map((e) => e.name).join(', ') || 'none'})`, {
      where: `${where}: chat_template`, hint: "name one of the templates 'default'" });
  }
  throw new LlmtsError('E_CHAT_TEMPLATE', `chat_template of ${where} is neither a string nor a list of { name, template }`, { where: `${where}: chat_template`, hint: 'use a Jinja string' });
}

/** A special token of a tokenizer config: a string, or an AddedToken object { content }. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/** The `*_token` strings of a config, with bos/eos from the tokenizer when the config has none. */
function configSpecials(cfg: Record<string, unknown>, tokenizer?: AnyTokenizer): TemplateSpecials {
  const out: TemplateSpecials = tokenizer ? tokenizerSpecials(tokenizer) : {};
  for (const [k, v] of Object.entries(cfg)) {
    if (!k.endsWith('_token')) continue;
    const s = tokenString(v);
    if (s !== undefined) out[k] = s;
    else if (v === null && (k === 'bos_token' || k === 'eos_token')) delete out[k]; // explicitly none (e.g. Qwen's bos_token)
  }
  return out;
}

/** bos/eos strings of a tokenizer (its start id and first end id), when it has them. */
function tokenizerSpecials(tok: AnyTokenizer): TemplateSpecials {
  const out: TemplateSpecials = {};
  const bos = bosId(tok);
  const eos = stopTokenIds(tok).find((id) => id !== bos) ?? stopTokenIds(tok)[0];
  const specials = [...tok.specialTokens()];
  // the special-token name (llama2.c stores '<s>' as the piece '\n<s>\n'), else the vocabulary's piece
  const name = (id: number | undefined): string | undefined => id === undefined ? undefined : specials.find(([, v]) => v === id)?.[0] ?? tok.idToToken(id);
  const b = name(bos);
  const e = name(eos);
  if (b !== undefined) out.bos_token = b;
  if (e !== undefined) out.eos_token = e;
  return out;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LlmtsError('E_CHAT_TEMPLATE', `cannot read ${path}`, { where: path, hint: 'check the file', cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new LlmtsError('E_CHAT_TEMPLATE', `${path} is not valid JSON: ${(err as Error).message}`, { where: path, hint: 'fix the JSON of tokenizer_config.json', cause: err });
  }
}

/** The globals transformers gives a chat template (as @huggingface/jinja's own, with a raise_exception we can tell apart). */
function setGlobals(env: Environment): void {
  for (const [k, v] of [['true', true], ['false', false], ['True', true], ['False', false]] as const) env.set(k, v);
  env.set('none', null);
  env.set('None', null);
  env.set('raise_exception', (message: unknown) => {
    throw new TemplateRaised(String(message));
  });
  env.set('range', (start: number, stop?: number, step = 1) => {
    if (stop === undefined) [start, stop] = [0, start];
    if (step === 0) throw new Error('range() step must not be zero');
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  });
  env.set('strftime_now', (format: string) => strftime(new Date(), format));
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Python's strftime for the codes chat templates use (%Y %m %d %b %B %H %M %S %%), C locale. */
function strftime(d: Date, format: string): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return format.replace(/%[YmdbBHMS%]/g, (c) => {
    switch (c) {
      case '%Y': return String(d.getFullYear());
      case '%m': return p2(d.getMonth() + 1);
      case '%d': return p2(d.getDate());
      case '%b': return MONTHS[d.getMonth()]!.slice(0, 3);
      case '%B': return MONTHS[d.getMonth()]!;
      case '%H': return p2(d.getHours());
      case '%M': return p2(d.getMinutes());
      case '%S': return p2(d.getSeconds());
      default: return '%';
    }
  });
}
