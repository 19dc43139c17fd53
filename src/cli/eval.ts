/**
 * `llmts eval`: loss, perplexity and bits per byte of a model on a text file.
 *
 *   llmts eval --model runs/x --file data/val.txt
 *   llmts eval --model stories260K.bin --tokenizer tok512.bin --file story.txt --json
 *   llmts eval bleu --hyp out.fr --ref ref.fr        (BLEU, chrF, chrF++: eval-metrics.ts)
 *   llmts eval rouge --hyp out.txt --ref ref.txt     (ROUGE-1/2/L/Lsum: eval-metrics.ts)
 */
import { readFileSync } from 'node:fs';
import { bitsPerByte, evaluateText } from '../eval/perplexity.ts';
import { scoreStream } from '../infer/stream-perplexity.ts';
import { loadModel } from '../io/load-model.ts';
import type { LanguageModel } from '../models/model.ts';
import { LlmtsError } from '../util/errors.ts';
import { CONTEXT_FLAGS, contextLoadOptions, keepFlag } from './context-flags.ts';
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
  --context N       windows of N tokens, longer than trained if need be (RoPE extrapolated
                    unless --rope-scaling is given)
  --rope-scaling S  TYPE:FACTOR[:ORIGINAL], TYPE linear | dynamic | yarn (e.g. yarn:4): the
                    model with that RoPE scaling, its context ORIGINAL * FACTOR
  --stream          score the whole file as one stream through a sliding KV window of the
                    context (first --keep tokens kept as attention sinks, half of the rest
                    dropped when full), as generate runs past its context; prints KV bytes
  --keep N          sink tokens of --stream (default 4)
  --json            print one JSON object instead of the text line
  -h, --help        this help`;

export async function run(argv: string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'bleu' || sub === 'rouge') return (await import('./eval-metrics.ts')).run(sub, argv.slice(1));
  const { values } = parseFlags('eval', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, adapter: { type: 'string' }, file: { type: 'string' },
    'block-size': { type: 'string' }, 'batch-size': { type: 'string' }, 'max-tokens': { type: 'string' }, ...CONTEXT_FLAGS, stream: { type: 'boolean' },
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
  const { model, tokenizer, path } = loadModel(values.model, values.tokenizer, { adapter: values.adapter, ...contextLoadOptions(values) });
  const t0 = performance.now();
  if (values.stream) {
    const bos = tokenizer.specialIds.bos;
    const body = tokenizer.encode(text);
    const ids = bos !== undefined && body[0] !== bos ? [bos, ...body] : body;
    const s = scoreStream(model as unknown as LanguageModel, ids, { keep: keepFlag(values), maxTokens: opts.maxTokens });
    const bytes = Buffer.byteLength(s.tokens < ids.length - 1 ? tokenizer.decode(ids.slice(0, s.tokens + 1), { skipSpecialTokens: true }) : text, 'utf8');
    const sec = (performance.now() - t0) / 1000;
    const r = { tokens: s.tokens, bytes, loss: s.loss, perplexity: s.perplexity, bitsPerByte: bitsPerByte(s.totalNats, bytes), window: model.config.blockSize, shifts: s.shifts, kvBytes: s.kvBytes };
    if (values.json) console.log(JSON.stringify({ model: path, file: values.file, stream: true, ...r, seconds: Number(sec.toFixed(3)) }));
    else console.log(`${values.file}: ${r.tokens} tokens as one stream, window ${r.window} (${s.shifts} shifts, KV ${(s.kvBytes / 1e6).toFixed(1)} MB) | loss ${r.loss.toFixed(4)} | perplexity ${r.perplexity.toFixed(3)} | bits/byte ${r.bitsPerByte.toFixed(4)} | ${sec.toFixed(1)} s`);
    return 0;
  }
  const r = evaluateText(model, tokenizer, text, opts);
  const sec = (performance.now() - t0) / 1000;
  if (values.json) {
    console.log(JSON.stringify({ model: path, file: values.file, ...r, seconds: Number(sec.toFixed(3)) }));
  } else {
    console.log(`${values.file}: ${r.tokens} tokens, ${r.bytes} bytes | loss ${r.loss.toFixed(4)} | perplexity ${r.perplexity.toFixed(3)} | bits/byte ${r.bitsPerByte.toFixed(4)} | ${sec.toFixed(1)} s`);
  }
  return 0;
}
