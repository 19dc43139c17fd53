/**
 * Byte-level BPE tokenizer (GPT-2, tiktoken's r50k/cl100k/o200k, HF ByteLevel BPE).
 *
 * Pipeline: special tokens (only when allowed) -> split pattern -> UTF-8 bytes -> merges
 * by rank -> ids. Decoding concatenates token bytes and decodes UTF-8 (invalid sequences
 * become U+FFFD; use `decodeBytes` for the exact bytes).
 *
 * Speed: a cache maps recent pieces (strings) to their ids, so common words cost one Map
 * lookup; misses are UTF-8 encoded into a reused buffer and merged with integer pair
 * lookups (see bpe-core.ts), with a heap for long pieces so nothing is quadratic.
 *
 * @example
 * const tok = new BpeTokenizer({ vocab, merges, specialTokens: { '<|endoftext|>': 256 + merges.length }, pattern: 'gpt2' });
 * tok.encode('hello world');                                  // [...]
 * tok.encode('<|endoftext|>', { allowedSpecial: 'all' });     // [the special id]
 */
import { LlmtsError } from '../util/errors.ts';
import { bytesToByteLevel, utf8EncodeInto } from './byte-level.ts';
import { BytesTable, Merger, PairTable, PieceCache } from './bpe-core.ts';
import { CharPremerge } from './bpe-premerge.ts';
import { bpeToTokenizerJson } from './bpe-json-write.ts';
import { resolvePattern, toJsRegExp } from './split-patterns.ts';
import { scannerFor, type PieceScanner } from './split-scanners.ts';
import { encodeIds, type PostProcessor } from './post-process.ts';
import { addBosEos, specialIdsFromTokens } from './specials.ts';
import type { DecodeOptions, EncodeOptions, SpecialIds, Tokenizer } from './types.ts';

/**
 * Everything needed to build a byte-level BPE tokenizer. This is the factory input used
 * by the loaders (.tiktoken, tokenizer.json, encoder.json + vocab.bpe) and by the BPE
 * trainer (src/tokenizer/bpe-trainer.ts).
 *
 * @example
 * // A trained vocabulary: 256 byte tokens, then one token per merge, then a special.
 * const vocab = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
 * const merges: [Uint8Array, Uint8Array][] = [[Uint8Array.of(104), Uint8Array.of(105)]]; // 'h' + 'i'
 * vocab.push(Uint8Array.of(104, 105));
 * const tok = new BpeTokenizer({ vocab, merges, specialTokens: { '<|endoftext|>': 257 }, pattern: 'gpt2' });
 * tok.encode('hi hi');  // [256, 32, 256]
 */
export interface BpeSpec {
  /** Token bytes by id; `undefined` marks an unused id. All 256 single bytes must be present. */
  vocab: ReadonlyArray<Uint8Array | undefined>;
  /**
   * Ordered merges (HF / GPT-2 `merges`): pair i is (left bytes, right bytes) with rank i;
   * left+right must be in `vocab`. Omit for tiktoken ranks: then any two adjacent parts
   * whose concatenation is a token merge, with rank = that token's id.
   */
  merges?: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
  /** Special / added tokens: content -> id (ids may lie beyond `vocab`). */
  specialTokens?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Split pattern: 'gpt2' | 'r50k' | 'cl100k' | 'o200k' or a regex source (Rust syntax). Default 'gpt2'. */
  pattern?: string;
  /**
   * Emit a piece that is itself a token without merging (tiktoken; HF `ignore_merges`).
   * Default: true without `merges`, false with.
   */
  ignoreMerges?: boolean;
  /** HF ByteLevel `add_prefix_space`: prepend ' ' to text that does not start with one. Default false. */
  addPrefixSpace?: boolean;
  /** Always split with the regex, even where a hand-written scanner exists (for tests). Default false. */
  useRegex?: boolean;
  /** Start merging from whole-character tokens where provably exact (bpe-premerge.ts). Default true. */
  charPremerge?: boolean;
  /** The template `addSpecialTokens` applies (a tokenizer.json's TemplateProcessing, e.g. Llama 3's <|begin_of_text|>). Default none. */
  postProcessor?: PostProcessor | null;
}

/** Pieces longer than this (UTF-16 units) are not cached. */
const CACHE_MAX_PIECE = 64;

/** Byte-level BPE tokenizer; see `BpeSpec` for how to build one. */
export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly vocabSize: number;
  /** The split pattern as given (Rust/HF syntax), e.g. the cl100k regex. */
  readonly pattern: string;
  readonly ignoreMerges: boolean;
  readonly addPrefixSpace: boolean;
  /** True when built from tiktoken ranks (no merges list). */
  readonly fromRanks: boolean;
  /** bos/eos/... found by name among the special tokens (GPT-2: <|endoftext|> is bos and eos). */
  readonly specialIds: SpecialIds;
  /** The template `addSpecialTokens` applies, or null (GPT-2, tiktoken: none). */
  readonly postProcessor: PostProcessor | null;

  private readonly bytesById: (Uint8Array | undefined)[];
  private readonly specials: Map<string, number>;
  private readonly specialIdSet = new Set<number>();
  private readonly table: BytesTable;
  private readonly pairs: PairTable;
  private readonly merger: Merger;
  private readonly premerge: CharPremerge | undefined;
  private readonly byteIds = new Int32Array(256);
  private readonly splitRe: RegExp;
  private readonly mergeList: ReadonlyArray<readonly [number, number]> | undefined;
  private readonly cache = new PieceCache();
  private readonly scanner: PieceScanner | undefined;
  private buf = new Uint8Array(1024);
  private ids = new Int32Array(1024);
  private readonly specialRes = new Map<string, RegExp>();
  private tokenIds: Map<string, number> | undefined;

  constructor(spec: BpeSpec) {
    this.pattern = resolvePattern(spec.pattern ?? 'gpt2');
    this.splitRe = toJsRegExp(this.pattern);
    this.scanner = spec.useRegex ? undefined : scannerFor(this.pattern);
    this.fromRanks = spec.merges === undefined;
    this.ignoreMerges = spec.ignoreMerges ?? this.fromRanks;
    this.addPrefixSpace = spec.addPrefixSpace ?? false;
    const sp = spec.specialTokens;
    this.specials = new Map(sp instanceof Map ? sp : Object.entries((sp ?? {}) as Record<string, number>));
    let size = spec.vocab.length;
    for (const [content, id] of this.specials) {
      if (!Number.isInteger(id) || id < 0) throw new LlmtsError('E_BPE_SPECIAL', `special token ${JSON.stringify(content)} has invalid id ${id}`, { hint: 'ids are non-negative integers' });
      if (content.length === 0) throw new LlmtsError('E_BPE_SPECIAL', 'a special token is the empty string', { hint: 'remove it from the special tokens' });
      this.specialIdSet.add(id);
      size = Math.max(size, id + 1);
    }
    this.vocabSize = size;
    this.specialIds = specialIdsFromTokens(this.specials);
    this.postProcessor = spec.postProcessor ?? null;
    // Special ids are not BPE tokens: they are kept out of the merge tables.
    this.bytesById = spec.vocab.map((b, id) => (this.specialIdSet.has(id) ? undefined : b));
    this.table = new BytesTable(this.bytesById);
    for (let b = 0; b < 256; b++) {
      const id = this.table.get(Uint8Array.of(b), 0, 1);
      if (id < 0) throw new LlmtsError('E_BPE_VOCAB', `the vocabulary has no token for byte 0x${b.toString(16).padStart(2, '0')}`, { hint: 'a byte-level BPE vocabulary must contain all 256 single bytes' });
      this.byteIds[b] = id;
    }
    if (spec.merges === undefined) {
      this.pairs = PairTable.fromRanks(this.bytesById, this.table);
      this.mergeList = undefined;
    } else {
      this.pairs = new PairTable(spec.merges.length);
      const list: [number, number][] = [];
      spec.merges.forEach(([l, r], rank) => {
        const a = this.table.get(l, 0, l.length);
        const b = this.table.get(r, 0, r.length);
        const both = new Uint8Array(l.length + r.length);
        both.set(l);
        both.set(r, l.length);
        const m = this.table.get(both, 0, both.length);
        if (a < 0 || b < 0 || m < 0) {
          throw new LlmtsError('E_BPE_MERGE', `merge #${rank} (${bytesToByteLevel(l)} ${bytesToByteLevel(r)}) uses a token that is not in the vocabulary`, {
            hint: 'both parts and their concatenation must be vocabulary tokens',
          });
        }
        this.pairs.add(a, b, rank, m);
        list.push([a, b]);
      });
      this.mergeList = list;
    }
    this.merger = new Merger(this.pairs);
    this.premerge = spec.charPremerge === false ? undefined : new CharPremerge(this.pairs, this.byteIds, this.bytesById, (b) => this.table.get(b, 0, b.length));
  }

  /**
   * Text -> ids. Special tokens are matched only when listed in `allowedSpecial`;
   * `addSpecialTokens` applies the post-processor's template (none for GPT-2 and
   * tiktoken, as in Hugging Face); `addBos` / `addEos` add specialIds.bos / eos.
   */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    const re = this.specialRegExp(opts.allowedSpecial);
    if (re === undefined) this.encodeOrdinaryInto(text, out);
    else {
      re.lastIndex = 0;
      let pos = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        if (m.index > pos) this.encodeOrdinaryInto(text.slice(pos, m.index), out);
        out.push(this.specials.get(m[0])!);
        pos = m.index + m[0].length;
      }
      if (pos < text.length) this.encodeOrdinaryInto(pos === 0 ? text : text.slice(pos), out);
    }
    const template = (opts.addSpecialTokens ?? false) && this.postProcessor !== null;
    const ids = template ? encodeIds(this.postProcessor, out, null, { addSpecialTokens: true }).ids : out;
    return opts.addBos || opts.addEos ? addBosEos(ids, this.specialIds, opts, template) : ids;
  }

  /** Text -> ids, with every special-token string treated as plain text. */
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.encodeOrdinaryInto(text, out);
    return out;
  }

  /** Appends the ids of `text` (no special tokens) to `out`. */
  encodeOrdinaryInto(text: string, out: number[]): void {
    if (this.addPrefixSpace && text.length > 0 && text.charCodeAt(0) !== 32) text = ' ' + text;
    const scan = this.scanner;
    if (scan !== undefined) {
      for (let i = 0; i < text.length; ) {
        const e = scan(text, i);
        this.encodeRange(text, i, e, out);
        i = e;
      }
      return;
    }
    const re = this.splitRe;
    re.lastIndex = 0;
    let pos = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const len = m[0].length;
      if (len === 0) {
        re.lastIndex++;
        continue;
      }
      if (m.index > pos) this.encodeRange(text, pos, m.index, out);
      this.encodeRange(text, m.index, m.index + len, out);
      pos = m.index + len;
    }
    if (pos < text.length) this.encodeRange(text, pos, text.length, out);
  }

  /** One pre-tokenized piece text[start, end) -> ids, through the cache. */
  private encodeRange(text: string, start: number, end: number, out: number[]): void {
    if (end - start > CACHE_MAX_PIECE) {
      this.mergeRange(text, start, end, out);
      return;
    }
    const h = PieceCache.hash(text, start, end);
    if (this.cache.lookup(text, start, end, h, out)) return;
    const from = out.length;
    this.mergeRange(text, start, end, out);
    this.cache.insert(text, start, end, h, out, from, out.length);
  }

  /** UTF-8 bytes of text[start, end), then BPE merges; appends the ids. */
  private mergeRange(text: string, start: number, end: number, out: number[]): void {
    const len = end - start;
    if (this.buf.length < len * 3) this.buf = new Uint8Array(len * 3);
    const buf = this.buf;
    const n = utf8EncodeInto(text, start, end, buf);
    const whole = n === 1 ? this.byteIds[buf[0]!]! : this.ignoreMerges ? this.table.get(buf, 0, n) : -1;
    if (whole >= 0) {
      out.push(whole);
      return;
    }
    if (this.ids.length < n) this.ids = new Int32Array(n);
    const ids = this.ids;
    const byteIds = this.byteIds;
    const pre = this.premerge;
    let m = 0;
    for (let i = 0; i < n; ) {
      const b = buf[i]!;
      if (pre !== undefined && b >= 0xc0 && b < 0xf0) {
        // a 2- or 3-byte character: start from its token when that is provably exact
        const cp = b < 0xe0 ? ((b & 31) << 6) | (buf[i + 1]! & 63) : ((b & 15) << 12) | ((buf[i + 1]! & 63) << 6) | (buf[i + 2]! & 63);
        const k = b < 0xe0 ? 2 : 3;
        const t = pre.tokenFor(cp, i > 0 ? buf[i - 1]! : -1, i + k < n ? buf[i + k]! : -1);
        if (t >= 0) {
          ids[m++] = t;
          i += k;
          continue;
        }
      }
      ids[m++] = byteIds[b]!;
      i++;
    }
    this.merger.merge(ids, m, out);
  }

  /** The regex that finds allowed special tokens (longest first), or undefined for none. */
  private specialRegExp(allowed: EncodeOptions['allowedSpecial']): RegExp | undefined {
    if (allowed === undefined || this.specials.size === 0) return undefined;
    let names: string[];
    if (allowed === 'all') names = [...this.specials.keys()];
    else {
      names = [...allowed];
      for (const s of names) {
        if (!this.specials.has(s)) throw new LlmtsError('E_BPE_SPECIAL', `allowedSpecial lists ${JSON.stringify(s)}, which is not a special token of this tokenizer`, { hint: `known special tokens: ${[...this.specials.keys()].join(', ')}` });
      }
    }
    if (names.length === 0) return undefined;
    const key = names.slice().sort().join('\u0000');
    let re = this.specialRes.get(key);
    if (re === undefined) {
      const alts = names.slice().sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
      re = new RegExp(alts.join('|'), 'gu');
      this.specialRes.set(key, re);
    }
    return re;
  }

  /** Ids -> the exact bytes they stand for (special tokens as their UTF-8 content). */
  decodeBytes(ids: ArrayLike<number>, opts: DecodeOptions = {}): Uint8Array {
    let total = 0;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const b = this.idBytes(id);
      if (b === undefined) throw new LlmtsError('E_BPE_ID', `token id ${id} is not in this tokenizer (vocab size ${this.vocabSize})`, { where: `ids[${i}]`, hint: 'decode ids produced by the same tokenizer' });
      if (opts.skipSpecialTokens && this.specialIdSet.has(id)) continue;
      parts.push(b);
      total += b.length;
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  /** Ids -> text; invalid UTF-8 (e.g. a cut multi-byte character) becomes U+FFFD. */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    return UTF8.decode(this.decodeBytes(ids, opts));
  }

  /** The bytes of token `id` (special tokens: their UTF-8), or undefined. */
  idBytes(id: number): Uint8Array | undefined {
    const b = this.bytesById[id];
    if (b !== undefined) return b;
    if (!this.specialIdSet.has(id)) return undefined;
    let sb = this.specialBytes.get(id);
    if (sb === undefined) {
      for (const [s, i] of this.specials) if (i === id) sb = new TextEncoder().encode(s);
      this.specialBytes.set(id, sb!);
    }
    return sb;
  }
  private readonly specialBytes = new Map<number, Uint8Array>();

  /** True when `id` is a special / added token. */
  isSpecial(id: number): boolean {
    return this.specialIdSet.has(id);
  }

  tokenToId(token: string): number | undefined {
    const sp = this.specials.get(token);
    if (sp !== undefined) return sp;
    if (this.tokenIds === undefined) {
      this.tokenIds = new Map();
      this.bytesById.forEach((b, id) => {
        if (b !== undefined) this.tokenIds!.set(bytesToByteLevel(b), id);
      });
    }
    return this.tokenIds.get(token);
  }

  idToToken(id: number): string | undefined {
    const b = this.bytesById[id];
    if (b !== undefined) return bytesToByteLevel(b);
    if (this.specialIdSet.has(id)) for (const [s, i] of this.specials) if (i === id) return s;
    return undefined;
  }

  specialTokens(): ReadonlyMap<string, number> {
    return this.specials;
  }

  /** BPE token bytes by id (special ids and holes are undefined). */
  vocabBytes(): ReadonlyArray<Uint8Array | undefined> {
    return this.bytesById;
  }

  /** Rank of merging tokens a and b, or -1 when they do not merge. */
  pairRank(a: number, b: number): number {
    return this.pairs.rank(a, b);
  }

  /** The merges as id pairs in rank order, when built from a merges list (else undefined). */
  merges(): ReadonlyArray<readonly [number, number]> | undefined {
    return this.mergeList;
  }

  /** The HF tokenizer.json object (BPE model, ByteLevel pre-tokenizer and decoder). */
  toTokenizerJson(): Record<string, unknown> {
    return bpeToTokenizerJson(this);
  }

  /** A structured-cloneable spec that rebuilds this tokenizer (e.g. in a worker thread). */
  toSpec(): BpeSpec {
    const vocab = this.bytesById;
    return {
      vocab: vocab.slice(),
      merges: this.mergeList?.map(([a, b]) => [vocab[a]!, vocab[b]!] as const),
      specialTokens: new Map(this.specials),
      pattern: this.pattern,
      ignoreMerges: this.ignoreMerges,
      addPrefixSpace: this.addPrefixSpace,
      postProcessor: this.postProcessor,
    };
  }

  /** Empties the piece cache (e.g. to measure cold-cache speed). */
  clearCache(): void {
    this.cache.clear();
  }
}

const UTF8 = new TextDecoder('utf-8');
