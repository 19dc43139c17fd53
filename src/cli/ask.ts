/**
 * `llmts ask`: retrieval-augmented answers. The question is searched in an index (hybrid
 * BM25 + dense by default, llmts search), the best chunks go into a chat prompt as
 * numbered sources (src/search/ask-prompt.ts), and a chat model answers citing them as
 * [1], [2]. The sources are printed under the answer with their files and offsets.
 *
 *   llmts ask --index runs/idx --model runs/chat "How do I resume a training run?"
 */
import { ChatTemplate } from '../infer/chat-template.ts';
import { chatStopTokens, encodeChat } from '../infer/chat.ts';
import { generate } from '../infer/engine.ts';
import { askMessages } from '../search/ask-prompt.ts';
import type { SearchResult } from '../search/index-search.ts';
import { loadTaskModel, wrongKind } from '../tasks/model-kind.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { SAMPLING_FLAGS, samplingFromFlags } from './sampling-flags.ts';
import { modeFlag, searchIndex } from './search.ts';

const HELP = `usage: llmts ask --index DIR --model CHATMODEL [options] "question"

Retrieves the chunks of an index that best match the question and has a chat model
answer from them, citing them as [1], [2]; the sources follow the answer.

options:
  --index DIR             the index folder (llmts index build)
  --model M               the chat model that answers (a decoder checkpoint, HF directory or GGUF)
  --tokenizer T           the chat model's tokenizer (default: its own)
  --k N                   chunks given to the model (default 4; fewer when the context is short)
  --mode M                retrieval: hybrid (default), bm25, dense
  --embed-model M         embed the question with M instead of the index's model
  --max-tokens N          longest answer (default 256)
  --temperature T         sampling temperature (default 0: greedy)
  --top-k N, --top-p P, --repetition-penalty R, --seed S   sampling, as llmts generate
  --json                  one JSON object: question, answer, sources
  -h, --help              this help`;

/** Chunk text budget per source, halved until the prompt fits the context. */
const MAX_CHARS = 800;

/** The prompt ids for the largest number of sources (and the longest texts) that leave `reserve` tokens of room. */
function fitPrompt(encode: (results: readonly SearchResult[], maxChars: number) => number[], results: readonly SearchResult[], context: number, reserve: number): { ids: number[]; used: number } {
  for (let maxChars = MAX_CHARS; maxChars >= 100; maxChars = Math.floor(maxChars / 2)) {
    for (let n = results.length; n >= 1; n--) {
      const ids = encode(results.slice(0, n), maxChars);
      if (ids.length + reserve <= context) return { ids, used: n };
    }
  }
  throw new LlmtsError('E_PROMPT', `the chat model's ${context}-token context cannot hold the question and one source with ${reserve} tokens left for the answer`, {
    where: '--model', hint: 'use a model with a longer context, lower --max-tokens, or shorten the question' });
}

/** Runs `llmts ask`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('ask', argv, {
    index: { type: 'string' }, model: { type: 'string' }, tokenizer: { type: 'string' }, k: { type: 'string' }, mode: { type: 'string' }, 'embed-model': { type: 'string' },
    ...SAMPLING_FLAGS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, { allowPositionals: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.index) throw new LlmtsError('E_USAGE', 'llmts ask needs --index', { where: '--index', hint: 'build one with llmts index build --model M --out DIR FILES...' });
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts ask needs --model (the chat model that answers)', { where: '--model', hint: 'e.g. --model runs/chat' });
  const question = positionals.join(' ').trim();
  if (question === '') throw new LlmtsError('E_USAGE', 'llmts ask needs a question', { where: 'question', hint: 'e.g. llmts ask --index DIR --model M "How do I resume training?"' });
  const k = numberFlag(values.k, '--k', 4, { int: true, min: 1, max: 50 });
  const sampling = samplingFromFlags(values, { temperature: 0 });
  const chat = loadTaskModel(values.model, { tokenizer: values.tokenizer });
  if (chat.kind !== 'decoder') throw wrongKind(chat, 'llmts ask', 'a chat model (a decoder)', 'pass a decoder checkpoint, HF directory or GGUF file as --model');
  const { results } = searchIndex(values.index, question, { k, mode: modeFlag(values.mode), model: values['embed-model'] });
  if (results.length === 0) throw new LlmtsError('E_INPUT', 'no chunk of the index matches the question', { where: 'question', hint: 'rephrase it, or try --mode dense' });
  const template = ChatTemplate.forModel(values.model, chat.tokenizer);
  const context = chat.model.config.blockSize;
  const reserve = Math.min(sampling.maxTokens, Math.floor(context / 2));
  const { ids, used } = fitPrompt((rs, maxChars) => encodeChat(chat.tokenizer, template, askMessages(question, rs, maxChars)), results, context, reserve);
  const { maxTokens, ...rest } = sampling;
  const out = generate(chat.model, ids, { ...rest, maxTokens: Math.min(maxTokens, reserve), stop: template.stop, stopTokens: chatStopTokens(chat.tokenizer, template) }, chat.tokenizer);
  const sources = results.slice(0, used).map((r, i) => ({ n: i + 1, source: r.chunk.source, start: r.chunk.start, end: r.chunk.end, score: r.score, text: r.chunk.text }));
  if (values.json) {
    console.log(JSON.stringify({ question, answer: out.text.trim(), sources }));
  } else {
    console.log(out.text.trim());
    console.log('\nSources:');
    for (const s of sources) console.log(`  [${s.n}] ${s.source}:${s.start}-${s.end}  ${s.text.replace(/\s+/g, ' ').slice(0, 100)}`);
  }
  return 0;
}
