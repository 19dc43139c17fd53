/**
 * `llmts generate`: continue a prompt with a trained model, streaming text to stdout.
 *
 *   llmts generate --model runs/x --prompt 'ROMEO:' --max-tokens 200 --temperature 0.8 --top-k 40
 *   llmts generate --model stories260K.bin --tokenizer tok512.bin --prompt 'Once upon a time' --temperature 0
 */
import { readFileSync } from 'node:fs';
import { Generation, encodePrompt, stopTokenIds } from '../infer/index.ts';
import { loadModel, quantizeFlag } from '../io/load-model.ts';
import { LlmtsError } from '../util/errors.ts';
import { CONTEXT_FLAGS, contextLoadOptions, keepFlag } from './context-flags.ts';
import { parseFlags } from './flags.ts';
import { SAMPLING_FLAGS, samplingFromFlags } from './sampling-flags.ts';

const HELP = `usage: llmts generate --model M [--tokenizer T] [--prompt P | --prompt-file F] [options]

Prints the prompt and its continuation, token by token as they are produced (UTF-8 safe),
then a newline. Speed goes to stderr with --stats.

options:
  --model M               a checkpoint or run directory (llmts train), or a llama2.c .bin
  --tokenizer T           tokenizer name or file (llama2.c: its tokenizer.bin, e.g. tok512.bin;
                          default: the checkpoint's own, or tokenizer.bin next to a .bin)
  --adapter A             a LoRA adapter directory (peft format) merged into the model
  --quantize Q            q8_0 | bf16: decode with Q8_0 / bf16 copies of the weights
                          (default: a Q8_0 / BF16 GGUF's own format, else fp32)
  --prompt P              the prompt text (default: empty = start of a sequence)
  --prompt-file F         read the prompt from a UTF-8 file
  --max-tokens N          new tokens at most, the prompt not counted (default 256).
                          llama2.c's run.c -n counts positions instead, prompt and BOS
                          included: run.c -n S = --max-tokens (S - prompt ids incl. BOS + 1)
  --temperature X         0 = greedy (argmax); default 1
  --top-k K               sample among the K likeliest tokens only (default 0 = off)
  --top-p P               nucleus sampling: the likeliest tokens with mass P (default 1 = off)
  --repetition-penalty R  divide logits of already seen ids by R (default 1 = off)
  --seed S                seed of the sampler (default 1337)
  --stop S                stop before this string; repeat for several
  --context N             KV window of N tokens (default: the model's context); past it the
                          window slides: the first --keep tokens stay, half of the rest goes
                          (llama.cpp's context shift; RoPE models; GPT-2 recomputes instead)
  --keep N                sink tokens kept at the start when the window slides (default 4)
  --no-context-shift      stop at the end of the window instead (finish: length)
  --rope-scaling S        TYPE:FACTOR[:ORIGINAL], TYPE linear | dynamic | yarn (e.g. yarn:4):
                          RoPE scaling for a context FACTOR times the original; none removes one
  --no-echo               do not print the prompt
  --stats                 print tokens, time and tok/s to stderr at the end
  -h, --help              this help`;

function readPromptFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new LlmtsError('E_FILE', `cannot read the prompt file ${file}`, { where: '--prompt-file', hint: 'check the path', cause: err });
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('generate', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, adapter: { type: 'string' }, quantize: { type: 'string' }, prompt: { type: 'string' }, 'prompt-file': { type: 'string' },
    ...SAMPLING_FLAGS, ...CONTEXT_FLAGS, 'no-context-shift': { type: 'boolean' }, stop: { type: 'string', multiple: true },
    'no-echo': { type: 'boolean' }, stats: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts generate needs --model', { where: '--model', hint: 'pass a checkpoint directory or a llama2.c .bin' });
  if (values.prompt !== undefined && values['prompt-file'] !== undefined) {
    throw new LlmtsError('E_USAGE', '--prompt and --prompt-file exclude each other', { where: '--prompt-file', hint: 'give one of them' });
  }
  const opts = {
    ...samplingFromFlags(values),
    stop: values.stop ?? [],
    keep: keepFlag(values),
    contextOverflow: values['no-context-shift'] ? 'stop' as const : undefined,
  };
  const promptText = values['prompt-file'] !== undefined ? readPromptFile(values['prompt-file']) : values.prompt ?? '';
  const { model, tokenizer } = loadModel(values.model, values.tokenizer, { adapter: values.adapter, quantize: quantizeFlag(values.quantize), ...contextLoadOptions(values) });
  const prompt = encodePrompt(tokenizer, promptText);
  const out = process.stdout;
  const t0 = performance.now();
  const g = new Generation(model, prompt, { ...opts, stopTokens: stopTokenIds(tokenizer) }, tokenizer);
  if (!values['no-echo']) out.write(g.promptText);
  let first = 0; // time of the first new token (after the prefill)
  for (let s = g.step(); s; s = g.step()) {
    if (first === 0) first = performance.now();
    out.write(s.text);
  }
  out.write('\n');
  const result = g.result();
  if (values.stats) {
    const sec = (performance.now() - t0) / 1000;
    const decodeSec = first ? (performance.now() - first) / 1000 : 0;
    const n = result.completionTokens;
    console.error(`${result.promptTokens} prompt + ${n} new tokens in ${sec.toFixed(2)} s | ${(n > 1 && decodeSec > 0 ? (n - 1) / decodeSec : 0).toFixed(1)} tok/s decoding | finish: ${result.finishReason}`);
  }
  return 0;
}
