/**
 * Special-token ids (`SpecialIds` of the Tokenizer contract) found by their usual names
 * among a tokenizer's special tokens, and the `addBos` / `addEos` encode options that
 * every tokenizer applies the same way.
 *
 * @example
 * specialIdsFromTokens(new Map([['<|endoftext|>', 50256]]))  // { bos: 50256, eos: 50256, pad: undefined, ... }
 * addBosEos([464, 3290], ids, { addBos: true }, false)        // [50256, 464, 3290]
 */
import { LlmtsError } from '../util/errors.ts';
import type { EncodeOptions, SpecialIds } from './types.ts';

/** Names tried in order for each special id (Hugging Face's usual special tokens). */
const NAMES: { readonly [K in keyof SpecialIds]: readonly string[] } = {
  bos: ['<|endoftext|>', '<s>', '<|begin_of_text|>', '<bos>'],
  eos: ['<|endoftext|>', '</s>', '<|end_of_text|>', '<eos>', '<|im_end|>', '<|eot_id|>'],
  pad: ['[PAD]', '<pad>', '<|pad|>', '<|padding|>'],
  unk: ['[UNK]', '<unk>', '<|unk|>'],
  mask: ['[MASK]', '<mask>'],
  cls: ['[CLS]', '<cls>'],
  sep: ['[SEP]', '<sep>'],
};

/** A tokenizer without special tokens. */
export const NO_SPECIAL_IDS: SpecialIds = Object.freeze({
  bos: undefined, eos: undefined, pad: undefined, unk: undefined, mask: undefined, cls: undefined, sep: undefined,
});

/**
 * The special ids among `tokens` (content -> id) by their usual names; `known` ids (from
 * the tokenizer's own format, e.g. WordPiece's unk token) take precedence.
 */
export function specialIdsFromTokens(tokens: ReadonlyMap<string, number>, known: Partial<SpecialIds> = {}): SpecialIds {
  const find = (key: keyof SpecialIds): number | undefined => {
    if (known[key] !== undefined) return known[key];
    for (const name of NAMES[key]) {
      const id = tokens.get(name);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  return Object.freeze({
    bos: find('bos'), eos: find('eos'), pad: find('pad'), unk: find('unk'), mask: find('mask'), cls: find('cls'), sep: find('sep'),
  });
}

/**
 * Applies `addBos` / `addEos` to `ids` (in place, returned): bos first unless the
 * template (`templateAdded`) already put it there, eos last. A tokenizer without that
 * token throws E_NO_SPECIAL_TOKEN.
 */
export function addBosEos(ids: number[], specials: SpecialIds, opts: EncodeOptions, templateAdded: boolean): number[] {
  const need = (key: 'bos' | 'eos'): number => {
    const id = specials[key];
    if (id === undefined) {
      throw new LlmtsError('E_NO_SPECIAL_TOKEN', `this tokenizer has no ${key} token, so it cannot add one`, {
        where: `encode({ add${key === 'bos' ? 'Bos' : 'Eos'}: true })`, hint: `leave the option out, or use a tokenizer with a ${key} token` });
    }
    return id;
  };
  if (opts.addBos) {
    const bos = need('bos');
    if (!(templateAdded && ids[0] === bos)) ids.unshift(bos);
  }
  if (opts.addEos) {
    const eos = need('eos');
    if (!(templateAdded && ids[ids.length - 1] === eos)) ids.push(eos);
  }
  return ids;
}
