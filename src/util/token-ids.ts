/**
 * The token-id range check: every id an integer in [0, vocabSize). One rule and one
 * message for every place that takes ids from outside (prompts, embedding inputs,
 * evaluation text, `tokenizer decode --ids`, the server's token-array prompts).
 *
 * @example
 * findBadTokenId([5, 70, 2], 65);   // { id: 70, index: 1 }
 * checkTokenIds([5, 70], 65, { what: 'prompt id', where: 'prompt', hint: 'encode the prompt with the tokenizer of this model' });
 * // LlmtsError E_PROMPT: prompt id 70 (position 1) is outside the model's vocabulary of 65 ids
 */
import { LlmtsError } from './errors.ts';

/** The first id that is not an integer in [0, vocabSize), with its position; undefined when all are. */
export function findBadTokenId(ids: ArrayLike<number>, vocabSize: number): { id: number; index: number } | undefined {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) return { id, index: i };
  }
  return undefined;
}

/** Options of `checkTokenIds`: how the error names the ids and what the user should do. */
export interface TokenIdCheck {
  /** Error code (default E_PROMPT). */
  code?: string;
  /** What an id is called in the message (default 'token id'). */
  what?: string;
  /** Whose vocabulary (default "the model's vocabulary"). */
  vocabulary?: string;
  where: string;
  hint: string;
}

/** The message for an id outside [0, vocabSize): `<what> <id> (position <i>) is outside <vocabulary> of <V> ids`. */
export function tokenIdMessage(bad: { id: number; index: number }, vocabSize: number, what = 'token id', vocabulary = "the model's vocabulary"): string {
  return `${what} ${bad.id} (position ${bad.index}) is outside ${vocabulary} of ${vocabSize} ids`;
}

/** Throws an `LlmtsError` naming the first id outside [0, vocabSize) (see `TokenIdCheck`). */
export function checkTokenIds(ids: ArrayLike<number>, vocabSize: number, o: TokenIdCheck): void {
  const bad = findBadTokenId(ids, vocabSize);
  if (bad) throw new LlmtsError(o.code ?? 'E_PROMPT', tokenIdMessage(bad, vocabSize, o.what, o.vocabulary), { where: o.where, hint: o.hint });
}
