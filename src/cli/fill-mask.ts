/**
 * `llmts fill-mask`: the most probable tokens for each [MASK] of a text, from an encoder
 * with a masked-LM head (a BertForMaskedLM directory, or a run trained with --objective mlm).
 *
 *   llmts fill-mask --model M --text "The [MASK] sat on the mat." [--top-k 5] [--json]
 */
import { fillMask } from '../infer/encoder.ts';
import { loadModel } from '../io/load-model.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts fill-mask --model M --text TEXT [--top-k K] [--json]

For each [MASK] in TEXT (the tokenizer's mask token), the K most probable tokens and their
probabilities (softmax over the whole vocabulary), best first: what transformers'
fill-mask pipeline gives on the same model.

options:
  --model M       a BERT checkpoint or Hugging Face directory with a masked-LM head
  --tokenizer T   tokenizer name or file (default: the model's own)
  --text TEXT     the text, with one or more [MASK] (required)
  --top-k K       predictions per mask (default 5)
  --json          one JSON array holding, per [MASK], an array of {"token", "id", "score"}, best first
  -h, --help      this help`;

/** Runs `llmts fill-mask`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('fill-mask', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, text: { type: 'string' }, 'top-k': { type: 'string' },
    json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts fill-mask needs --model', { where: '--model', hint: 'pass a BERT checkpoint or Hugging Face BertForMaskedLM directory' });
  if (values.text === undefined) throw new LlmtsError('E_USAGE', 'llmts fill-mask needs --text', { where: '--text', hint: 'e.g. --text "The [MASK] sat on the mat."' });
  const topK = numberFlag(values['top-k'], '--top-k', 5, { int: true, min: 1 });
  const { model, tokenizer } = loadModel(values.model, values.tokenizer);
  const masks = fillMask(model, tokenizer, values.text, { topK });
  if (values.json) {
    console.log(JSON.stringify(masks));
    return 0;
  }
  masks.forEach((preds, i) => {
    console.log(`mask ${i + 1} of ${masks.length}:`);
    for (const p of preds) console.log(`  ${p.score.toFixed(4)}  ${p.token}  (id ${p.id})`);
  });
  return 0;
}
