/**
 * `llmts eval`: loss, perplexity and bits per byte of a model on a text file.
 *
 *   llmts eval --model runs/x --file data/val.txt
 *   llmts eval --model stories260K.bin --tokenizer tok512.bin --file story.txt --json
 *   llmts eval bleu --hyp out.fr --ref ref.fr        (BLEU, chrF, chrF++: eval-metrics.ts)
 *   llmts eval rouge --hyp out.txt --ref ref.txt     (ROUGE-1/2/L/Lsum: eval-metrics.ts)
 */
import { readFileSync } from 'node:fs';
import { evaluateText } from '../eval/perplexity.ts';
import { loadModel } from '../io/load-model.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts eval --model M [--tokenizer T] --file F [options]
       llmts eval bleu --hyp F --ref R [--ref R2 ...] [--json]   (sacreBLEU's BLEU, chrF, chrF++)
       llmts eval rouge --hyp F --ref R [--stem] [--json]       (rouge-score's ROUGE-1/2/L/Lsum)

Scores every token of the UTF-8 file F (the tokenizer's start token first, when it has
one) in consecutive windows of the model's context length, and prints:
  loss         mean negative log-likelihood per token, in nats
  perplexity   exp(loss)
  bits/byte    total nats / (ln 2 * UTF-8 bytes of the text): independent of the tokenizer

options:
  --model M         a checkpoint or run directory (llmts train), or a llama2.c .bin
  --tokenizer T     tokenizer name or file (default: the checkpoint's own; llama2.c: tokenizer.bin)
  --adapter A       a LoRA adapter directory (peft format) merged into the model
  --file F          the text to score (required)
  --block-size N    predictions per window (default: the model's context length)
  --batch-size N    windows per forward pass (default 4)
  --max-tokens N    score only the first N tokens
  --json            print one JSON object instead of the text line
  -h, --help        this help`;

export async function run(argv: string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'bleu' || sub === 'rouge') return (await import('./eval-metrics.ts')).run(sub, argv.slice(1));
  const { values } = parseFlags('eval', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, adapter: { type: 'string' }, file: { type: 'string' },
    'block-size': { type: 'string' }, 'batch-size': { type: 'string' }, 'max-tokens': { type: 'string' },
    json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts eval needs --model', { where: '--model', hint: 'pass a checkpoint directory or a llama2.c .bin' });
  if (!values.file) throw new LlmtsError('E_USAGE', 'llmts eval needs --file', { where: '--file', hint: 'pass a UTF-8 text file to score' });
  const opts = {
    blockSize: numberFlag(values['block-size'], '--block-size', undefined, { int: true, min: 1 }),
    batchSize: numberFlag(values['batch-size'], '--batch-size', undefined, { int: true, min: 1 }),
    maxTokens: numberFlag(values['max-tokens'], '--max-tokens', undefined, { int: true, min: 1 }),
  };
  let text: string;
  try {
    text = readFileSync(values.file, 'utf8');
  } catch (err) {
    throw new LlmtsError('E_USAGE', `cannot read ${values.file}`, { where: '--file', hint: 'check the path', cause: err });
  }
  const { model, tokenizer, path } = loadModel(values.model, values.tokenizer, { adapter: values.adapter });
  const t0 = performance.now();
  const r = evaluateText(model, tokenizer, text, opts);
  const sec = (performance.now() - t0) / 1000;
  if (values.json) {
    console.log(JSON.stringify({ model: path, file: values.file, ...r, seconds: Number(sec.toFixed(3)) }));
  } else {
    console.log(`${values.file}: ${r.tokens} tokens, ${r.bytes} bytes | loss ${r.loss.toFixed(4)} | perplexity ${r.perplexity.toFixed(3)} | bits/byte ${r.bitsPerByte.toFixed(4)} | ${sec.toFixed(1)} s`);
  }
  return 0;
}
