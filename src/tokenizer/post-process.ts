/**
 * Post-processing shared by every tokenizer: special-token templates (`[CLS] A [SEP] B
 * [SEP]`), token type ids, attention masks, truncation of one or two sequences, and padding
 * of batches. Semantics follow Hugging Face `tokenizers` (TemplateProcessing /
 * BertProcessing, TruncationParams, PaddingParams); works on plain id arrays, so it does
 * not depend on the model.
 *
 * @example
 * const p = bertTemplate(['[CLS]', 101], ['[SEP]', 102]);
 * encodeIds(p, [7592], [2088], { addSpecialTokens: true }).ids  // [101, 7592, 102, 2088, 102]
 */
import { LlmtsError } from '../util/errors.ts';
import { arrayAt, fieldError, integerAt, isJsonObject, objectAt, optObjectAt, stringAt, tokenIdAt } from './json-fields.ts';

/** One item of a template: a special token or one of the input sequences. */
export type TemplatePiece =
  | { kind: 'special'; token: string; id: number; typeId: number }
  | { kind: 'sequence'; sequence: 'A' | 'B'; typeId: number };

/** Templates for a single sequence and for a pair. */
export interface PostProcessor {
  single: TemplatePiece[];
  pair: TemplatePiece[];
}

/** The tokenizer output for one input (or pair), all arrays of the same length. */
export interface Encoding {
  ids: number[];
  /** 0 for the first sequence (and its specials), 1 for the second (BERT segment ids). */
  typeIds: number[];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[];
  /** 1 for tokens added by the template or by padding. */
  specialTokensMask: number[];
}

/** Truncation, as HF's `TruncationParams` (no stride/overflow). */
export interface TruncationOptions {
  /** Maximum length of the final encoding, special tokens included. */
  maxLength: number;
  /** Default 'longest_first'. */
  strategy?: 'longest_first' | 'only_first' | 'only_second';
  /** Side tokens are removed from. Default 'right'. */
  direction?: 'right' | 'left';
}

/** Padding of a batch, as HF's `PaddingParams`. */
export interface PaddingOptions {
  /** 'longest' (default): to the longest in the batch; a number: to that fixed length. */
  length?: 'longest' | number;
  /** Round the target length up to a multiple of this. */
  padToMultipleOf?: number;
  padId: number;
  padTypeId?: number;
  /** Default 'right'. */
  direction?: 'right' | 'left';
}

/** `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]` (B and its [SEP] with type id 1). */
export function bertTemplate(cls: [string, number], sep: [string, number]): PostProcessor {
  const special = (t: [string, number], typeId: number): TemplatePiece => ({ kind: 'special', token: t[0], id: t[1], typeId });
  return {
    single: [special(cls, 0), { kind: 'sequence', sequence: 'A', typeId: 0 }, special(sep, 0)],
    pair: [special(cls, 0), { kind: 'sequence', sequence: 'A', typeId: 0 }, special(sep, 0),
      { kind: 'sequence', sequence: 'B', typeId: 1 }, special(sep, 1)],
  };
}

/** Number of special tokens the template adds for one sequence or a pair. */
export function addedTokenCount(p: PostProcessor, isPair: boolean): number {
  return (isPair ? p.pair : p.single).filter((x) => x.kind === 'special').length;
}

function cut(ids: number[], n: number, direction: 'right' | 'left'): number[] {
  if (ids.length <= n) return ids;
  return direction === 'right' ? ids.slice(0, n) : ids.slice(ids.length - n);
}

/**
 * Truncates `a` (and `b`) so that together they hold at most `maxLength` ids, as HF
 * `tokenizers` (0.23.2) does: each sequence is first cut to `sequenceMax` (the full
 * max_length, before room is made for special tokens); then 'longest_first' shortens the
 * longer one down to the length of the shorter one at least and, when that is not enough,
 * gives each half of `maxLength` (the odd id to the longer, or to the second if equal); 'only_first' / 'only_second'
 * cut one side. Checked against HF on every pair of lengths up to 12 (tests).
 */
export function truncateIds(a: number[], b: number[] | null, maxLength: number,
  strategy: TruncationOptions['strategy'] = 'longest_first', direction: 'right' | 'left' = 'right'): [number[], number[] | null] {
  if (maxLength <= 0) return [[], b === null ? null : []];
  const total = a.length + (b?.length ?? 0);
  if (total <= maxLength) return [a, b];
  const toRemove = total - maxLength;
  if (strategy === 'longest_first') {
    if (b === null) return [cut(a, total - toRemove, direction), null];
    let n1 = a.length, n2 = b.length;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > maxLength ? n1 : Math.max(n1, maxLength - n1);
    if (n1 + n2 > maxLength) {
      n1 = Math.floor(maxLength / 2);
      n2 = n1 + (maxLength % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    return [cut(a, n1, direction), cut(b, n2, direction)];
  }
  const first = strategy === 'only_first';
  const target = first ? a : b;
  if (target === null) {
    throw new LlmtsError('E_TRUNCATION', "truncation strategy 'only_second' needs a second sequence", {
      where: 'truncation.strategy', hint: "use 'longest_first' or 'only_first' for single sequences" });
  }
  if (target.length <= toRemove) {
    throw new LlmtsError('E_TRUNCATION', `the ${first ? 'first' : 'second'} sequence (${target.length} ids) is too short to remove ${toRemove} ids`, {
      where: 'truncation.maxLength', hint: "raise maxLength or use 'longest_first'" });
  }
  const kept = cut(target, target.length - toRemove, direction);
  return first ? [kept, b] : [a, kept];
}

/**
 * Builds the final encoding of one sequence (or a pair): truncation first (leaving room
 * for the template's special tokens when they are added, as HF does), then the template.
 */
export function encodeIds(p: PostProcessor | null, a: number[], b: number[] | null,
  opts: { addSpecialTokens?: boolean; truncation?: TruncationOptions } = {}): Encoding {
  const add = (opts.addSpecialTokens ?? false) && p !== null;
  // HF truncates before it adds the template's tokens, so it leaves room for them.
  let [ta, tb] = [a, b];
  if (opts.truncation) {
    const t = opts.truncation;
    const room = t.maxLength - (add ? addedTokenCount(p!, b !== null) : 0);
    [ta, tb] = truncateIds(a, b, Math.max(0, room), t.strategy, t.direction);
  }
  const enc: Encoding = { ids: [], typeIds: [], attentionMask: [], specialTokensMask: [] };
  const push = (ids: number[], typeId: number, special: number) => {
    for (const id of ids) {
      enc.ids.push(id); enc.typeIds.push(typeId); enc.attentionMask.push(1); enc.specialTokensMask.push(special);
    }
  };
  if (!add) {
    // Without special tokens HF still applies the template's type ids (none: all 0).
    const typeOf = (seq: 'A' | 'B') => {
      const piece = p?.pair.find((x) => x.kind === 'sequence' && x.sequence === seq);
      return piece?.typeId ?? 0;
    };
    push(ta, tb === null ? 0 : typeOf('A'), 0);
    if (tb) push(tb, typeOf('B'), 0);
    return enc;
  }
  for (const piece of tb === null ? p!.single : p!.pair) {
    if (piece.kind === 'special') push([piece.id], piece.typeId, 1);
    else push(piece.sequence === 'A' ? ta : tb!, piece.typeId, 0);
  }
  return enc;
}

/**
 * Pads every encoding of a batch to the same length (the longest, or a fixed length,
 * rounded up to `padToMultipleOf`). Encodings longer than a fixed length are left as is.
 * Returns new encodings; the inputs are not modified.
 */
export function padEncodings(encs: Encoding[], opts: PaddingOptions): Encoding[] {
  let target = opts.length === undefined || opts.length === 'longest'
    ? encs.reduce((m, e) => Math.max(m, e.ids.length), 0)
    : opts.length;
  const mult = opts.padToMultipleOf ?? 0;
  if (mult > 0 && target % mult !== 0) target += mult - (target % mult);
  const left = opts.direction === 'left';
  return encs.map((e) => {
    const n = target - e.ids.length;
    if (n <= 0) return { ids: [...e.ids], typeIds: [...e.typeIds], attentionMask: [...e.attentionMask], specialTokensMask: [...e.specialTokensMask] };
    const fill = (v: number) => new Array<number>(n).fill(v);
    const join = (xs: number[], v: number) => (left ? [...fill(v), ...xs] : [...xs, ...fill(v)]);
    return {
      ids: join(e.ids, opts.padId),
      typeIds: join(e.typeIds, opts.padTypeId ?? 0),
      attentionMask: join(e.attentionMask, 0),
      specialTokensMask: join(e.specialTokensMask, 1),
    };
  });
}

/**
 * Reads HF's `post_processor` JSON (BertProcessing, RobertaProcessing or TemplateProcessing); null for none.
 * `where` is the file and `path` the field (errors name both, e.g.
 * `tokenizer.json: post_processor.single[0] must be an object, got null`).
 */
export function postProcessorFromJson(json: unknown, where: string, path = 'post_processor'): PostProcessor | null {
  const obj = optObjectAt(json, path, where);
  if (obj === null) return null;
  if (obj.type === 'BertProcessing') {
    const pair = (key: 'cls' | 'sep'): [string, number] => {
      const at = `${path}.${key}`;
      const v = arrayAt(obj[key], at, where);
      if (v.length !== 2) throw fieldError(where, at, 'a [token, id] pair', v);
      return [stringAt(v[0], `${at}[0]`, where), tokenIdAt(v[1], `${at}[1]`, where)];
    };
    return bertTemplate(pair('cls'), pair('sep'));
  }
  if (obj.type === 'RobertaProcessing') {
    // RoBERTa / BART: <s> A </s> and <s> A </s> </s> B </s>, every type id 0
    const pair = (key: 'cls' | 'sep'): TemplatePiece => {
      const at = `${path}.${key}`;
      const v = arrayAt(obj[key], at, where);
      if (v.length !== 2) throw fieldError(where, at, 'a [token, id] pair', v);
      return { kind: 'special', token: stringAt(v[0], `${at}[0]`, where), id: tokenIdAt(v[1], `${at}[1]`, where), typeId: 0 };
    };
    const cls = pair('cls'), sep = pair('sep');
    const a: TemplatePiece = { kind: 'sequence', sequence: 'A', typeId: 0 }, b: TemplatePiece = { kind: 'sequence', sequence: 'B', typeId: 0 };
    return { single: [cls, a, sep], pair: [cls, a, sep, sep, b, sep] };
  }
  if (obj.type === 'TemplateProcessing') {
    const specials = optObjectAt(obj.special_tokens, `${path}.special_tokens`, where) ?? {};
    const parse = (key: 'single' | 'pair'): TemplatePiece[] => arrayAt(obj[key], `${path}.${key}`, where).map((item, i) => {
      const at = `${path}.${key}[${i}]`;
      const it = objectAt(item, at, where);
      if (it.SpecialToken !== undefined) {
        const st = objectAt(it.SpecialToken, `${at}.SpecialToken`, where);
        const token = stringAt(st.id, `${at}.SpecialToken.id`, where);
        const typeId = integerAt(st.type_id ?? 0, `${at}.SpecialToken.type_id`, where, 0, 255);
        const s = specials[token];
        const ids = isJsonObject(s) ? s.ids : undefined;
        if (!Array.isArray(ids) || ids.length !== 1) {
          throw new LlmtsError('E_TOKENIZER_JSON', `${where}: special token ${JSON.stringify(token)} of ${at} is missing from ${path}.special_tokens or maps to several ids`,
            { where: `${where}: ${path}.special_tokens`, hint: 'list each template token with exactly one id' });
        }
        return { kind: 'special', token, id: tokenIdAt(ids[0], `${path}.special_tokens[${JSON.stringify(token)}].ids[0]`, where), typeId };
      }
      if (it.Sequence !== undefined) {
        const sq = objectAt(it.Sequence, `${at}.Sequence`, where);
        const typeId = integerAt(sq.type_id ?? 0, `${at}.Sequence.type_id`, where, 0, 255);
        return { kind: 'sequence', sequence: sq.id === 'B' ? 'B' : 'A', typeId };
      }
      throw fieldError(where, at, 'a {"SpecialToken": ...} or {"Sequence": ...} item', item);
    });
    return { single: parse('single'), pair: parse('pair') };
  }
  throw new LlmtsError('E_TOKENIZER_JSON', `${where}: ${path}.type ${JSON.stringify(obj.type)} is not supported`, {
    where: `${where}: ${path}.type`, hint: 'use BertProcessing, RobertaProcessing or TemplateProcessing, or null' });
}

/** Writes a post-processor as HF's `TemplateProcessing` JSON. */
export function postProcessorToJson(p: PostProcessor): Record<string, unknown> {
  const items = (pieces: TemplatePiece[]) => pieces.map((x) => (x.kind === 'special'
    ? { SpecialToken: { id: x.token, type_id: x.typeId } }
    : { Sequence: { id: x.sequence, type_id: x.typeId } }));
  const specials: Record<string, { id: string; ids: number[]; tokens: string[] }> = {};
  for (const x of [...p.single, ...p.pair]) {
    if (x.kind === 'special') specials[x.token] = { id: x.token, ids: [x.id], tokens: [x.token] };
  }
  return { type: 'TemplateProcessing', single: items(p.single), pair: items(p.pair), special_tokens: specials };
}
