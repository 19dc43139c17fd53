/**
 * What generation needs to know about a tokenizer beyond the Tokenizer contract: the id
 * that starts a sequence, the ids that end one, and how a prompt is encoded.
 * - llama2.c vocabularies: BOS = 1 starts every sequence; run.c stops when the model emits
 *   BOS (1); EOS (2) ends one too.
 * - Others: the tokenizer's `specialIds.bos` (found by name: <|endoftext|>, <s>,
 *   <|begin_of_text|>, <bos>) starts a sequence; <|endoftext|>, </s>, <|im_end|>,
 *   <|eot_id|>, <eos> end one.
 *
 * @example
 * encodePrompt(tok, 'Once upon a time') // llama2.c: [1, 403, 407, 261, 378]
 */
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';

const END_NAMES = ['<|endoftext|>', '</s>', '<|im_end|>', '<|eot_id|>', '<eos>', '<|end_of_text|>'];

/** The id that starts a sequence, or undefined when the tokenizer has none. */
export function bosId(tok: Tokenizer): number | undefined {
  return tok.specialIds.bos;
}

/** Ids after which generation ends (not emitted). */
export function stopTokenIds(tok: Tokenizer): number[] {
  if (tok.kind === 'llama2c') return [tok.specialIds.bos!, tok.specialIds.eos!];
  const specials = tok.specialTokens();
  return END_NAMES.filter((n) => specials.has(n)).map((n) => specials.get(n)!);
}

/**
 * Prompt text -> ids for a model: with the start-of-sequence id first when the tokenizer
 * has one (llama2.c: BOS, then run.c's encoding). An empty prompt becomes just that id;
 * without one, an empty prompt starts from a newline.
 */
export function encodePrompt(tok: Tokenizer, text: string): number[] {
  if (tok.specialIds.bos !== undefined) return tok.encode(text, { addBos: true });
  const ids = tok.encode(text);
  if (ids.length > 0) return ids;
  const nl = tok.encode('\n');
  if (nl.length > 0) return nl;
  throw new LlmtsError('E_PROMPT', 'the prompt is empty and the tokenizer has no start token', { where: '--prompt', hint: 'give a prompt' });
}
