/**
 * `llmts embed`: L2-normalised sentence embeddings (src/tasks/embed.ts): from an encoder
 * (BERT) the masked mean of the last hidden states over each text's tokens
 * (sentence-transformers' pooling) or the [CLS] state; from an encoder-decoder the mean of
 * its encoder's states; from a language model (or a classifier's trunk) the mean of its
 * final hidden states. One JSON array per text, one per line, in input order.
 *
 *   llmts embed --model M --text "a cat" --text "a dog"
 *   llmts embed --model M --file sentences.txt --pooling cls
 *   cat sentences.txt | llmts embed --model M --json
 */
import { embed, type EmbedPooling } from '../tasks/embed.ts';
import { loadTaskModel } from '../tasks/model-kind.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { commandInputs, progressFor } from './task-common.ts';

const HELP = `usage: llmts embed --model M (--text TEXT ... | --file F | stdin) [--pooling mean|cls] [--json]

Prints one L2-normalised embedding per text as a JSON array of numbers, one per line.
Encoders (BERT) pool the last hidden states (mean over the tokens, or [CLS]); an
encoder-decoder (BART) the mean of its encoder's states; a language model the mean of
its final hidden states. A progress bar goes to stderr when there is more than one batch.

options:
  --model M          a bert / bart / gpt2 / llama checkpoint, a Hugging Face directory, or
                     a classifier directory (its trunk)
  --tokenizer T      tokenizer name or file (default: the model's own)
  --text TEXT        a text to embed (repeat for several)
  --file F           a UTF-8 file: each non-empty line is one text ('-': stdin; stdin is
                     read when neither --text nor --file is given)
  --pooling P        mean (masked mean over the tokens, default) or cls (the [CLS] state; encoders)
  --batch-size N     texts per forward pass (default 32)
  --json             one JSON object per line: {"index", "text", "embedding"}
  -h, --help         this help`;

/** Runs `llmts embed`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('embed', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, text: { type: 'string', multiple: true }, file: { type: 'string' },
    pooling: { type: 'string' }, 'batch-size': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts embed needs --model', { where: '--model', hint: 'pass a BERT checkpoint or Hugging Face directory' });
  const pooling = values.pooling ?? 'mean';
  if (pooling !== 'mean' && pooling !== 'cls') throw new LlmtsError('E_FLAG', `--pooling must be mean or cls, got '${pooling}'`, { where: '--pooling', hint: 'e.g. --pooling mean' });
  const texts = await commandInputs('embed', values, 'a cat on a mat');
  const batchSize = numberFlag(values['batch-size'], '--batch-size', 32, { int: true, min: 1 });
  const m = loadTaskModel(values.model, { tokenizer: values.tokenizer });
  const vectors = embed(m, texts, { pooling: pooling as EmbedPooling, batchSize, onProgress: progressFor('embed', texts.length, batchSize), caller: 'llmts embed' });
  vectors.forEach((e, index) => {
    const embedding = Array.from(e, (v) => Number(v.toPrecision(7)));
    console.log(JSON.stringify(values.json ? { index, text: texts[index], embedding } : embedding));
  });
  return 0;
}
