/**
 * Summarise and translate: texts through an encoder-decoder (a `seq2seq` task model: a
 * bart checkpoint or a Hugging Face BartForConditionalGeneration directory), one output per
 * input, greedy or beam search as transformers' generate (src/infer/seq2seq-generate.ts).
 * Another kind of model is an E_MODEL error naming it (model-kind.ts).
 *
 * @example
 * const m = loadTaskModel('runs/translate-en-fr');
 * translate(m, ['Where is the station?'], { numBeams: 4 }); // ['Où est la gare ?']
 */
import { generateTexts, type Seq2SeqGenerateOptions } from '../infer/seq2seq-generate.ts';
import { LlmtsError } from '../util/errors.ts';
import { wrongKind, type Seq2SeqTaskModel, type TaskModel } from './model-kind.ts';

/** Options of `summarize` and `translate`. */
export interface TextToTextOptions extends Omit<Seq2SeqGenerateOptions, 'recompute'> {
  /** Inputs decoded together (default 16). */
  batchSize?: number;
  /** Called after each batch with the inputs done so far and their total. */
  onProgress?: (done: number, total: number) => void;
  /** Who asks, for error messages (default the task's name, e.g. 'summarize'). */
  caller?: string;
}

/** `m` as an encoder-decoder, or the E_MODEL error of `task`. */
export function requireSeq2Seq(m: TaskModel, task: string, caller = task): Seq2SeqTaskModel {
  if (m.kind === 'seq2seq') return m;
  throw wrongKind(m, caller, 'an encoder-decoder', `${task} needs a sequence-to-sequence model: a bart checkpoint (llmts recipe ${task === 'summarize' ? 'summarize-scitldr' : 'translate-en-fr'}) or a Hugging Face BartForConditionalGeneration directory`);
}

function run(task: 'summarize' | 'translate', m: TaskModel, texts: readonly string[], o: TextToTextOptions): string[] {
  const s = requireSeq2Seq(m, task, o.caller);
  if (texts.length === 0) throw new LlmtsError('E_INPUT', `${o.caller ?? task}: no text to ${task}`, { where: 'input', hint: 'give at least one text' });
  const empty = texts.findIndex((t) => t.trim() === '');
  if (empty >= 0) throw new LlmtsError('E_INPUT', `${o.caller ?? task}: input ${empty} is empty`, { where: 'input', hint: 'give non-empty texts' });
  const { batchSize = 16, onProgress, caller: _caller, ...gen } = o;
  const out: string[] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    out.push(...generateTexts(s.model, s.tokenizer, texts.slice(i, i + batchSize), { ...gen, batchSize }));
    onProgress?.(out.length, texts.length);
  }
  return out;
}

/** One summary per document (see the module comment). */
export function summarize(m: TaskModel, documents: readonly string[], o: TextToTextOptions = {}): string[] {
  return run('summarize', m, documents, o);
}

/** One translation per text (see the module comment); the model's training fixes the language pair. */
export function translate(m: TaskModel, texts: readonly string[], o: TextToTextOptions = {}): string[] {
  return run('translate', m, texts, o);
}
