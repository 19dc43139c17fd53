/**
 * WordPiece (BERT) tokenizer, id for id as Hugging Face `tokenizers` runs it:
 * BertNormalizer -> BertPreTokenizer -> greedy longest-match-first WordPiece with `##`
 * continuations -> optional `[CLS] A [SEP] B [SEP]` template; decode joins `##` pieces and
 * applies HF's WordPiece decoder cleanup.
 *
 * @example
 * const tok = WordPieceTokenizer.fromVocabTxt(readFileSync('data/bert-base-uncased/vocab.txt', 'utf8'));
 * tok.encode('Unaffable!')                               // [14477, 20961, 3468, 999]  (una ##ffa ##ble !)
 * tok.encode('Unaffable!', { addSpecialTokens: true })   // [101, 14477, 20961, 3468, 999, 102]
 * tok.decode([14477, 20961, 3468, 999])                  // 'unaffable!'
 */
import { LlmtsError } from '../util/errors.ts';
import { bertNormalize, forEachBertWord, type BertNormalizerOptions } from './bert-pretokenizer.ts';
import {
  bertTemplate, encodeIds, padEncodings, postProcessorFromJson, postProcessorToJson,
  type Encoding, type PaddingOptions, type PostProcessor, type TruncationOptions,
} from './post-process.ts';
import {
  addedTokensAt, integerAt, objectField, optBooleanAt, optObjectAt, optStringAt, vocabAt, type AddedToken,
} from './json-fields.ts';
import { addBosEos, specialIdsFromTokens } from './specials.ts';
import type { DecodeOptions, EncodeOptions, SpecialIds, Tokenizer } from './types.ts';

/** Options of the WordPiece model (HF names, camelCase). */
export interface WordPieceModelOptions {
  /** Default '[UNK]'. */
  unkToken?: string;
  /** Default '##'. */
  continuingSubwordPrefix?: string;
  /** Words with more characters (code points) than this become one [UNK]. Default 100. */
  maxInputCharsPerWord?: number;
}

/** The WordPiece model alone: one pre-tokenized word -> ids. */
export class WordPieceModel {
  readonly vocab: ReadonlyMap<string, number>;
  readonly unkToken: string;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
  private readonly unkId: number | undefined;
  /** Longest vocabulary entry in UTF-16 units (the prefix stripped): caps each match. */
  private readonly maxPieceUnits: number;

  constructor(vocab: ReadonlyMap<string, number>, opts: WordPieceModelOptions = {}) {
    this.vocab = vocab;
    this.unkToken = opts.unkToken ?? '[UNK]';
    this.prefix = opts.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = opts.maxInputCharsPerWord ?? 100;
    this.unkId = vocab.get(this.unkToken);
    let m = 1;
    for (const t of vocab.keys()) {
      const n = t.startsWith(this.prefix) ? t.length - this.prefix.length : t.length;
      if (n > m) m = n;
    }
    this.maxPieceUnits = m;
  }

  private unk(word: string): number {
    if (this.unkId === undefined) {
      throw new LlmtsError('E_NO_UNK', `cannot encode ${JSON.stringify(word.slice(0, 40))}: the unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`, {
        where: 'model.unk_token', hint: 'add the unk token to the vocabulary or set unk_token to a token it has' });
    }
    return this.unkId;
  }

  /**
   * Appends the ids of one word to `out`: the longest vocabulary prefix, then the longest
   * `##`-prefixed piece of the rest, and so on; one [UNK] for the whole word when a part
   * cannot be matched or the word is longer than `maxInputCharsPerWord`.
   */
  tokenizeWord(word: string, out: number[]): void {
    if (word.length > this.maxInputCharsPerWord && codePointsExceed(word, this.maxInputCharsPerWord)) {
      out.push(this.unk(word));
      return;
    }
    const mark = out.length;
    let start = 0;
    while (start < word.length) {
      let end = Math.min(word.length, start + this.maxPieceUnits);
      let id: number | undefined;
      while (end > start) {
        const piece = start === 0 ? word.slice(0, end) : this.prefix + word.slice(start, end);
        id = this.vocab.get(piece);
        if (id !== undefined) break;
        end -= isLowSurrogate(word.charCodeAt(end - 1)) && end - 2 >= start && isHighSurrogate(word.charCodeAt(end - 2)) ? 2 : 1;
      }
      if (id === undefined) {
        out.length = mark;
        out.push(this.unk(word));
        return;
      }
      out.push(id);
      start = end;
    }
  }
}

function isHighSurrogate(c: number): boolean { return c >= 0xd800 && c <= 0xdbff; }
function isLowSurrogate(c: number): boolean { return c >= 0xdc00 && c <= 0xdfff; }

/** True when `s` has more than `limit` code points (stops counting early). */
function codePointsExceed(s: string, limit: number): boolean {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    if (isHighSurrogate(s.charCodeAt(i)) && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) i++;
    if (++n > limit) return true;
  }
  return false;
}

/** HF's WordPiece decoder cleanup of detokenized spaces. */
export function wordPieceCleanup(s: string): string {
  return s.replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',')
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}

/** A token added on top of the model vocabulary (HF `added_tokens`). */
export type { AddedToken } from './json-fields.ts';

/** Everything a WordPiece tokenizer is made of; what `tokenizer.json` describes. */
export interface WordPieceConfig {
  vocab: ReadonlyMap<string, number>;
  model?: WordPieceModelOptions;
  /** null: no normalizer. Default: uncased BERT. */
  normalizer?: BertNormalizerOptions | null;
  /** 'bert' (default) or null (the whole normalized text is one word). */
  preTokenizer?: 'bert' | null;
  /** Default: `[CLS] A [SEP]` when both tokens are in the vocabulary, else null. */
  postProcessor?: PostProcessor | null;
  /** null: tokens joined by spaces (HF without a decoder). Default '##' with cleanup. */
  decoder?: { prefix: string; cleanup: boolean } | null;
  /** Default: [PAD] [UNK] [CLS] [SEP] [MASK] as special tokens, those in the vocabulary. */
  addedTokens?: AddedToken[];
}

const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const CACHE_LIMIT = 100_000;

/** A complete WordPiece tokenizer (the `Tokenizer` contract plus pairs and batches). */
export class WordPieceTokenizer implements Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly vocabSize: number;
  readonly model: WordPieceModel;
  readonly normalizer: BertNormalizerOptions | null;
  readonly preTokenizer: 'bert' | null;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: { prefix: string; cleanup: boolean } | null;
  /** [CLS]/[SEP]/[PAD]/[MASK] by name among the special tokens; unk is the model's unk token. */
  readonly specialIds: SpecialIds;
  private readonly added: AddedToken[];
  private readonly idToTok: (string | undefined)[] = [];
  private readonly specials = new Map<string, number>();
  private readonly specialIdSet = new Set<number>();
  private readonly cache = new Map<string, number[]>();
  private splitCache: { key: string; re: RegExp | null } | null = null;
  /** Number of non-special added tokens (always split out of the text). */
  private readonly alwaysSplit: number;

  constructor(cfg: WordPieceConfig) {
    this.model = new WordPieceModel(cfg.vocab, cfg.model);
    this.normalizer = cfg.normalizer === undefined ? { lowercase: true } : cfg.normalizer;
    this.preTokenizer = cfg.preTokenizer === undefined ? 'bert' : cfg.preTokenizer;
    const cls = cfg.vocab.get('[CLS]'), sep = cfg.vocab.get('[SEP]');
    this.postProcessor = cfg.postProcessor !== undefined ? cfg.postProcessor
      : cls !== undefined && sep !== undefined ? bertTemplate(['[CLS]', cls], ['[SEP]', sep]) : null;
    this.decoder = cfg.decoder === undefined ? { prefix: this.model.prefix, cleanup: true } : cfg.decoder;
    this.added = cfg.addedTokens ?? BERT_SPECIALS.filter((t) => cfg.vocab.has(t))
      .map((t) => ({ content: t, id: cfg.vocab.get(t)!, special: true }));
    for (const [t, id] of cfg.vocab) this.idToTok[id] = t;
    for (const a of this.added) {
      this.idToTok[a.id] = a.content;
      if (a.special) { this.specials.set(a.content, a.id); this.specialIdSet.add(a.id); }
    }
    this.vocabSize = this.idToTok.length;
    this.specialIds = specialIdsFromTokens(this.specials, { unk: this.tokenToId(this.model.unkToken) });
    this.alwaysSplit = this.added.filter((a) => !a.special).length;
  }

  /**
   * Loads a BERT `vocab.txt` (one token per line, id = line number) with uncased BERT
   * defaults: lowercase + accent stripping, `[CLS] A [SEP]`, the five BERT specials.
   */
  static fromVocabTxt(text: string, opts: { lowercase?: boolean; where?: string } = {}): WordPieceTokenizer {
    const vocab = parseVocabTxt(text, opts.where ?? 'vocab.txt');
    return new WordPieceTokenizer({ vocab, normalizer: { lowercase: opts.lowercase ?? true } });
  }

  /** Loads a HF `tokenizer.json` object whose model is WordPiece. */
  static fromTokenizerJson(json: Record<string, unknown>, where = 'tokenizer.json'): WordPieceTokenizer {
    return new WordPieceTokenizer(wordPieceConfigFromJson(json, where));
  }

  tokenToId(token: string): number | undefined {
    return this.specials.get(token) ?? this.model.vocab.get(token) ?? this.added.find((a) => a.content === token)?.id;
  }

  idToToken(id: number): string | undefined {
    return this.idToTok[id];
  }

  specialTokens(): ReadonlyMap<string, number> {
    return this.specials;
  }

  /**
   * Ids of one text with no template; specials matched only when allowed. With a `limit`
   * (truncation), keeps only the shortest run of whole words from the start ('right') or
   * from the end ('left') holding at least `limit` ids, as HF does before it truncates a
   * pair; `stopped` says whether words were dropped.
   */
  private encodeText(text: string, opts: EncodeOptions, limit = Infinity,
    direction: 'right' | 'left' = 'right'): { ids: number[]; stopped: boolean } {
    const out: number[] = [];
    const starts: number[] | null = limit !== Infinity && direction === 'left' ? [] : null;
    const cap = starts ? Infinity : limit;
    const re = this.splitRegex(opts.allowedSpecial);
    let stopped = false;
    if (re === null) {
      stopped = this.encodeSegment(text, out, cap, starts);
    } else {
      re.lastIndex = 0;
      let last = 0;
      let m: RegExpExecArray | null;
      while (!stopped && (m = re.exec(text)) !== null) {
        stopped = this.encodeSegment(text.slice(last, m.index), out, cap, starts);
        if (stopped || out.length >= cap) { stopped = true; break; }
        starts?.push(out.length);
        out.push(this.tokenToId(m[0])!);
        last = m.index + m[0].length;
      }
      if (!stopped) stopped = this.encodeSegment(text.slice(last), out, cap, starts);
    }
    if (starts && out.length > limit) {
      let i = starts.length - 1;
      while (i > 0 && out.length - starts[i] < limit) i--;
      if (starts[i] > 0) return { ids: out.slice(starts[i]), stopped: true };
    }
    return { ids: out, stopped };
  }

  /** Regex matching the added tokens that may be split out (non-special ones always). */
  private splitRegex(allowed: EncodeOptions['allowedSpecial']): RegExp | null {
    if (allowed === undefined && this.alwaysSplit === 0) return null;
    const ok = (a: AddedToken) => !a.special || allowed === 'all'
      || (allowed !== undefined && (allowed instanceof Set ? allowed.has(a.content) : (allowed as readonly string[]).includes(a.content)));
    const tokens = this.added.filter(ok).map((a) => a.content).sort((x, y) => y.length - x.length);
    const key = tokens.join('\u0000');
    if (this.splitCache?.key === key) return this.splitCache.re;
    const re = tokens.length === 0 ? null : new RegExp(tokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu');
    this.splitCache = { key, re };
    return re;
  }

  /** Appends the ids of `text` (no added tokens in it); true when it stopped with words left over. */
  private encodeSegment(text: string, out: number[], limit = Infinity, starts: number[] | null = null): boolean {
    if (text.length === 0) return false;
    const norm = this.normalizer ? bertNormalize(text, this.normalizer) : text;
    const word = (w: string) => {
      starts?.push(out.length);
      const hit = this.cache.get(w);
      if (hit) { for (const id of hit) out.push(id); return out.length < limit; }
      const ids: number[] = [];
      this.model.tokenizeWord(w, ids);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      if (w.length <= 64) this.cache.set(w, ids);
      for (const id of ids) out.push(id);
      return out.length < limit;
    };
    if (this.preTokenizer === 'bert') return forEachBertWord(norm, word) === 'stopped';
    if (norm.length > 0) word(norm);
    return false;
  }

  /** Text -> ids; with `addSpecialTokens`, wrapped by the template (`[CLS] ... [SEP]`); `addBos` / `addEos` as the contract says. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    let ids = this.encodeText(text, opts).ids;
    const template = (opts.addSpecialTokens ?? false) && this.postProcessor !== null;
    if (template) ids = encodeIds(this.postProcessor, ids, null, { addSpecialTokens: true }).ids;
    return opts.addBos || opts.addEos ? addBosEos(ids, this.specialIds, opts, template) : ids;
  }

  /**
   * One text or a pair -> ids, type ids, attention mask; truncated to `truncation.maxLength`
   * (special tokens included) when given.
   *
   * @example tok.encodePair('a b', 'c', { addSpecialTokens: true }).typeIds  // [0,0,0,0,1,1]
   */
  encodePair(a: string, b: string | null = null,
    opts: EncodeOptions & { truncation?: TruncationOptions } = {}): Encoding {
    // With truncation, HF stops tokenizing each text at the word that reaches max_length.
    const t = opts.truncation;
    const limit = t ? Math.max(1, t.maxLength) : Infinity;
    const dir = t?.direction ?? 'right';
    const ea = this.encodeText(a, opts, limit, dir), eb = b === null ? null : this.encodeText(b, opts, limit, dir);
    // HF then still counts the whole first text for 'only_second' (not the second for 'only_first').
    if (t?.strategy === 'only_second' && ea.stopped) {
      throw new LlmtsError('E_TRUNCATION', `the second sequence is too short to make the pair fit in ${t.maxLength} ids`, {
        where: 'truncation.maxLength', hint: "raise maxLength or use 'longest_first'" });
    }
    return encodeIds(this.postProcessor, ea.ids, eb?.ids ?? null, { addSpecialTokens: opts.addSpecialTokens, truncation: t });
  }

  /**
   * Several texts (or [a, b] pairs) at once, truncated and padded alike. Padding defaults
   * to this tokenizer's [PAD] id when `padding` is given without `padId`.
   */
  encodeBatch(inputs: (string | [string, string])[],
    opts: EncodeOptions & { truncation?: TruncationOptions; padding?: Partial<PaddingOptions> } = {}): Encoding[] {
    const encs = inputs.map((x) => (typeof x === 'string' ? this.encodePair(x, null, opts) : this.encodePair(x[0], x[1], opts)));
    if (!opts.padding) return encs;
    const padId = opts.padding.padId ?? this.tokenToId('[PAD]');
    if (padId === undefined) {
      throw new LlmtsError('E_NO_PAD', 'padding needs a pad id and this vocabulary has no [PAD]', { where: 'padding.padId', hint: 'pass padding.padId' });
    }
    return padEncodings(encs, { ...opts.padding, padId });
  }

  /** Ids -> text: `##` pieces glued to the previous token, others space-separated, cleaned up as HF. */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const t = this.idToTok[id];
      if (t === undefined) {
        throw new LlmtsError('E_BAD_ID', `id ${id} is not in the vocabulary (size ${this.vocabSize})`, {
          where: `ids[${i}]`, hint: 'decode ids produced by this same tokenizer' });
      }
      if (opts.skipSpecialTokens && this.specialIdSet.has(id)) continue;
      tokens.push(t);
    }
    const d = this.decoder;
    if (d === null) return tokens.join(' ');
    let out = '';
    for (let i = 0; i < tokens.length; i++) {
      let t = tokens[i];
      if (i !== 0) t = t.startsWith(d.prefix) ? t.slice(d.prefix.length) : ' ' + t;
      out += d.cleanup ? wordPieceCleanup(t) : t;
    }
    return out;
  }

  /** This tokenizer as a HF `tokenizer.json` object (loads in HF `tokenizers`). */
  toTokenizerJson(): Record<string, unknown> {
    const n = this.normalizer;
    const vocab: Record<string, number> = {};
    for (const [t, id] of [...this.model.vocab].sort((x, y) => x[1] - y[1])) vocab[t] = id;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.added.map((a) => ({
        id: a.id, content: a.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: a.special })),
      normalizer: n === null ? null : {
        type: 'BertNormalizer', clean_text: n.cleanText ?? true, handle_chinese_chars: n.handleChineseChars ?? true,
        strip_accents: n.stripAccents ?? null, lowercase: n.lowercase ?? true },
      pre_tokenizer: this.preTokenizer === 'bert' ? { type: 'BertPreTokenizer' } : null,
      post_processor: this.postProcessor === null ? null : postProcessorToJson(this.postProcessor),
      decoder: this.decoder === null ? null : { type: 'WordPiece', prefix: this.decoder.prefix, cleanup: this.decoder.cleanup },
      model: {
        type: 'WordPiece', unk_token: this.model.unkToken, continuing_subword_prefix: this.model.prefix,
        max_input_chars_per_word: this.model.maxInputCharsPerWord, vocab },
    };
  }

  /** The vocabulary as `vocab.txt` text (one token per line, in id order). */
  toVocabTxt(): string {
    const lines: string[] = [];
    for (let id = 0; id < this.vocabSize; id++) {
      const t = this.idToTok[id];
      if (t === undefined || t.includes('\n')) {
        throw new LlmtsError('E_VOCAB_TXT', `id ${id} has no single-line token, so vocab.txt cannot represent this vocabulary`, {
          where: 'vocab.txt', hint: 'save tokenizer.json instead' });
      }
      lines.push(t);
    }
    return lines.join('\n') + '\n';
  }
}

/** Parses vocab.txt: token per line (trailing whitespace trimmed), id = line index. */
export function parseVocabTxt(text: string, where = 'vocab.txt'): Map<string, number> {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((line, i) => vocab.set(line.trimEnd(), i));
  if (vocab.size === 0) {
    throw new LlmtsError('E_VOCAB_TXT', 'the vocabulary file is empty', { where, hint: 'pass a BERT vocab.txt (one token per line)' });
  }
  return vocab;
}

/** Reads the WordPiece parts of a HF `tokenizer.json`, with errors naming the field for what is malformed or unsupported. */
export function wordPieceConfigFromJson(json: Record<string, unknown>, where: string): WordPieceConfig {
  const model = objectField(json, 'model', where);
  if (model.type !== 'WordPiece') {
    throw new LlmtsError('E_TOKENIZER_JSON', `model.type is ${JSON.stringify(model.type)}, not WordPiece`, {
      where: `${where}: model.type`, hint: 'pass a tokenizer.json whose model.type is "WordPiece"' });
  }
  const vocab = vocabAt(model.vocab, 'model.vocab', where);
  const norm = optObjectAt(json.normalizer, 'normalizer', where);
  let normalizer: BertNormalizerOptions | null = null;
  if (norm) {
    if (norm.type !== 'BertNormalizer') {
      throw new LlmtsError('E_TOKENIZER_JSON', `normalizer type ${JSON.stringify(norm.type)} is not supported for WordPiece`, {
        where: `${where}: normalizer`, hint: 'use BertNormalizer or null' });
    }
    normalizer = {
      cleanText: optBooleanAt(norm.clean_text, 'normalizer.clean_text', where, true),
      handleChineseChars: optBooleanAt(norm.handle_chinese_chars, 'normalizer.handle_chinese_chars', where, true),
      stripAccents: optBooleanAt(norm.strip_accents, 'normalizer.strip_accents', where, null),
      lowercase: optBooleanAt(norm.lowercase, 'normalizer.lowercase', where, true),
    };
  }
  const pre = optObjectAt(json.pre_tokenizer, 'pre_tokenizer', where);
  if (pre && pre.type !== 'BertPreTokenizer') {
    throw new LlmtsError('E_TOKENIZER_JSON', `pre_tokenizer type ${JSON.stringify(pre.type)} is not supported for WordPiece`, {
      where: `${where}: pre_tokenizer`, hint: 'use BertPreTokenizer or null' });
  }
  const dec = optObjectAt(json.decoder, 'decoder', where);
  if (dec && dec.type !== 'WordPiece') {
    throw new LlmtsError('E_TOKENIZER_JSON', `decoder type ${JSON.stringify(dec.type)} is not supported for WordPiece`, {
      where: `${where}: decoder`, hint: 'use the WordPiece decoder or null' });
  }
  return {
    vocab,
    model: {
      unkToken: optStringAt(model.unk_token, 'model.unk_token', where, '[UNK]'),
      continuingSubwordPrefix: optStringAt(model.continuing_subword_prefix, 'model.continuing_subword_prefix', where, '##'),
      maxInputCharsPerWord: model.max_input_chars_per_word === undefined || model.max_input_chars_per_word === null
        ? 100 : integerAt(model.max_input_chars_per_word, 'model.max_input_chars_per_word', where, 1, 2 ** 31 - 1),
    },
    normalizer,
    preTokenizer: pre ? 'bert' : null,
    postProcessor: postProcessorFromJson(json.post_processor, where),
    decoder: dec ? {
      prefix: optStringAt(dec.prefix, 'decoder.prefix', where, '##'),
      cleanup: optBooleanAt(dec.cleanup, 'decoder.cleanup', where, true),
    } : null,
    addedTokens: addedTokensAt(json.added_tokens, where),
  };
}
