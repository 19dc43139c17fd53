/**
 * `llmts translate` (and `llmts summarize`, the same command over documents): texts through
 * an encoder-decoder (a BART checkpoint or HF BartForConditionalGeneration directory), one
 * output line per input, greedy or beam search as transformers' generate. The work is the
 * tasks layer's (src/tasks/text-to-text.ts), as for the server's /v1/tasks routes.
 *
 *   llmts translate --model M --text "Where is the station?" [--beams 4]
 *   llmts summarize --model M --file abstracts.txt --beams 4 --max-length 60
 */
import { loadTaskModel } from '../tasks/model-kind.ts';
import { summarize, translate } from '../tasks/text-to-text.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { commandInputs, progressFor } from './task-common.ts';

const help = (command: string): string => `usage: llmts ${command} --model M (--text TEXT ... | --file F) [options]

${command === 'translate' ? 'Translates each text' : 'Summarises each document'} with an encoder-decoder (a bart checkpoint or a Hugging Face
BartForConditionalGeneration directory): one output line per input (--file or stdin: one
input per non-empty line). Beam search scores as transformers' generate does. A progress
bar goes to stderr when there is more than one batch.

options:
  --model M               the encoder-decoder (required)
  --tokenizer T           tokenizer name or file (default: the model's own)
  --text TEXT             an input (repeatable)
  --file F                inputs, one per line ('-': stdin; stdin is read when neither
                          --text nor --file is given)
  --beams K               beam search with K beams (default 1: greedy)
  --max-length N          longest output in tokens, decoder start included (default 128, at most blockSize)
  --min-length N          shortest output (default 0)
  --length-penalty X      beam scores: sum log p / length ** X (default 1)
  --no-repeat-ngram N     never repeat an n-gram of N tokens (default 0: off)
  --early-stopping        stop a beam search once it has K finished outputs
  --batch-size B          inputs decoded together (default 16)
  --json                  one JSON string per line (line i: the output of input i)
  -h, --help              this help`;

/** Runs `llmts translate` or `llmts summarize`; returns the exit code. */
export async function runSeq2Seq(command: 'translate' | 'summarize', argv: string[]): Promise<number> {
  const { values } = parseFlags(command, argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, text: { type: 'string', multiple: true }, file: { type: 'string' },
    beams: { type: 'string' }, 'max-length': { type: 'string' }, 'min-length': { type: 'string' }, 'length-penalty': { type: 'string' },
    'no-repeat-ngram': { type: 'string' }, 'early-stopping': { type: 'boolean' }, 'batch-size': { type: 'string' }, json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(help(command));
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', `llmts ${command} needs --model`, { where: '--model', hint: 'pass a bart checkpoint or Hugging Face BartForConditionalGeneration directory' });
  const texts = await commandInputs(command, values, 'Where is the station?');
  const numBeams = numberFlag(values.beams, '--beams', 1, { int: true, min: 1 });
  const maxLength = numberFlag(values['max-length'], '--max-length', undefined, { int: true, min: 2 });
  const minLength = numberFlag(values['min-length'], '--min-length', 0, { int: true, min: 0 });
  const lengthPenalty = numberFlag(values['length-penalty'], '--length-penalty', 1);
  const noRepeatNgramSize = numberFlag(values['no-repeat-ngram'], '--no-repeat-ngram', 0, { int: true, min: 0 });
  const batchSize = numberFlag(values['batch-size'], '--batch-size', 16, { int: true, min: 1 });
  const m = loadTaskModel(values.model, { tokenizer: values.tokenizer });
  const run = command === 'translate' ? translate : summarize;
  const outs = run(m, texts, {
    numBeams, maxLength, minLength, lengthPenalty, noRepeatNgramSize, earlyStopping: values['early-stopping'] ?? false, batchSize,
    onProgress: progressFor(command, texts.length, batchSize), caller: `llmts ${command}`,
  });
  for (const o of outs) console.log(values.json ? JSON.stringify(o) : o);
  return 0;
}

/** Runs `llmts translate`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  return runSeq2Seq('translate', argv);
}
