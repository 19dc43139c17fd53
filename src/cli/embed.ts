/**
 * `llmts embed`: L2-normalised sentence embeddings from an encoder (BERT): the masked mean
 * of the last hidden states over each text's tokens (sentence-transformers' pooling), or
 * the [CLS] state. One JSON array per text, one per line, in input order.
 *
 *   llmts embed --model M --text "a cat" --text "a dog"
 *   llmts embed --model M --file sentences.txt --pooling cls
 */
import { readFileSync } from 'node:fs';
import { sentenceEmbeddings, type SentencePooling } from '../infer/encoder.ts';
import { loadModel } from '../io/load-model.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts embed --model M (--text TEXT ... | --file F) [--pooling mean|cls]

Prints one L2-normalised embedding per text as a JSON array of numbers, one per line.

options:
  --model M          a BERT checkpoint or Hugging Face BertModel / BertFor... directory
  --tokenizer T      tokenizer name or file (default: the model's own)
  --text TEXT        a text to embed (repeat for several)
  --file F           a UTF-8 file: each non-empty line is one text
  --pooling P        mean (masked mean over the tokens, default) or cls (the [CLS] state)
  --batch-size N     texts per forward pass (default 32)
  -h, --help         this help`;

/** Runs `llmts embed`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('embed', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, text: { type: 'string', multiple: true }, file: { type: 'string' },
    pooling: { type: 'string' }, 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts embed needs --model', { where: '--model', hint: 'pass a BERT checkpoint or Hugging Face directory' });
  const pooling = values.pooling ?? 'mean';
  if (pooling !== 'mean' && pooling !== 'cls') throw new LlmtsError('E_FLAG', `--pooling must be mean or cls, got '${pooling}'`, { where: '--pooling', hint: 'e.g. --pooling mean' });
  const texts = [...(values.text ?? [])];
  if (values.file !== undefined) {
    let body: string;
    try {
      body = readFileSync(values.file, 'utf8');
    } catch (err) {
      throw new LlmtsError('E_USAGE', `cannot read ${values.file}`, { where: '--file', hint: 'check the path', cause: err });
    }
    texts.push(...body.split(/\r?\n/).filter((l) => l.trim() !== ''));
  }
  if (texts.length === 0) throw new LlmtsError('E_USAGE', 'llmts embed needs --text or --file', { where: '--text', hint: 'e.g. --text "a cat on a mat"' });
  const batchSize = numberFlag(values['batch-size'], '--batch-size', 32, { int: true, min: 1 });
  const { model, tokenizer } = loadModel(values.model, values.tokenizer);
  for (const e of sentenceEmbeddings(model, tokenizer, texts, { pooling: pooling as SentencePooling, batchSize })) {
    console.log(JSON.stringify(Array.from(e, (v) => Number(v.toPrecision(7)))));
  }
  return 0;
}
