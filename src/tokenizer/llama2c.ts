/**
 * llama2.c `tokenizer.bin` vocabularies (sentencepiece BPE exported by llama2.c's
 * tokenizer.py): encode and decode exactly as llama2.c's run.c does.
 *
 * File layout (little-endian): `int32 max_token_length`, then per id:
 * `float32 score, int32 len, len bytes of the piece` (UTF-8, '▁' already replaced by ' ';
 * ids 3..258 are the byte-fallback pieces `<0x00>`..`<0xFF>`). The vocabulary size is
 * the number of entries in the file.
 *
 * Encoding (run.c `encode`): optional BOS (id 1); a dummy-prefix space token when the text
 * is not empty; one token per UTF-8 character (its piece, or byte fallback: byte + 3);
 * then, repeatedly, the adjacent pair whose concatenation is a vocabulary piece with the
 * highest score is merged (the leftmost pair on ties) until no pair merges. Here the
 * merge loop runs on a heap with the same order (score, then position), so long texts
 * encode in O(n log n) with the very same result.
 *
 * Decoding (run.c `decode`): the piece of each id, with its leading space dropped when
 * the previous id is BOS, and `<0xXX>` pieces turned into the raw byte. (run.c's
 * `safe_printf` additionally drops lone non-printable bytes; here bytes are kept and
 * decoded as UTF-8, so non-ASCII text built from byte tokens shows up correctly.)
 *
 * @example
 * const tok = Llama2cTokenizer.fromFile('data/llama2c-stories260k/tok512.bin');
 * tok.encode('Once upon a time', { addSpecialTokens: true }); // [1, 403, 407, 261, 378]
 * tok.decode([1, 403, 407, 261, 378], { skipSpecialTokens: true }); // 'Once upon a time'
 */
import { readFileSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import { mergesAt, objectField, vocabAt } from './json-fields.ts';
import { NO_SPECIAL_IDS } from './specials.ts';
import type { DecodeOptions, EncodeOptions, SpecialIds, Tokenizer } from './types.ts';
import { BinaryHeap } from '../util/heap.ts';

/** Decode options of the llama2.c tokenizer: `prevId` is the id before `ids[0]` (for streaming). */
export interface Llama2cDecodeOptions extends DecodeOptions {
  prevId?: number;
}

const UNK = 0;
const BOS = 1;
const EOS = 2;
const SPECIAL_NAMES: [string, number][] = [['<unk>', UNK], ['<s>', BOS], ['</s>', EOS]];

/** A llama2.c tokenizer.bin vocabulary; see the module comment. */
export class Llama2cTokenizer implements Tokenizer {
  readonly kind = 'llama2c' as const;
  readonly vocabSize: number;
  readonly maxTokenLength: number;
  /** <unk> 0, <s> 1 (BOS; run.c also stops generating when the model emits it), </s> 2. */
  readonly specialIds: SpecialIds = Object.freeze({ ...NO_SPECIAL_IDS, bos: BOS, eos: EOS, unk: UNK });
  /** Piece bytes of each id, one char per byte (latin1), for byte-exact lookups. */
  private readonly pieces: string[];
  private readonly scores: Float32Array;
  private readonly lookup = new Map<string, number>();
  /** Bytes of each id as decoded by run.c (byte pieces -> the byte). */
  private readonly bytes: Uint8Array[];

  constructor(pieces: readonly Uint8Array[], scores: ArrayLike<number>, maxTokenLength: number) {
    this.vocabSize = pieces.length;
    this.maxTokenLength = maxTokenLength;
    this.scores = Float32Array.from(scores);
    this.pieces = pieces.map((p) => Buffer.from(p).toString('latin1'));
    this.pieces.forEach((p, id) => {
      if (!this.lookup.has(p)) this.lookup.set(p, id);
    });
    this.bytes = this.pieces.map((p) => {
      const m = /^<0x([0-9A-Fa-f]{1,2})>/.exec(p);
      return m ? Uint8Array.of(parseInt(m[1]!, 16)) : Buffer.from(p, 'latin1');
    });
  }

  /** Parses the bytes of a tokenizer.bin; `where` names the file in errors. */
  static fromBytes(buf: Uint8Array, where = 'tokenizer.bin'): Llama2cTokenizer {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const fail = (msg: string): never => {
      throw new LlmtsError('E_LLAMA2C_TOKENIZER', `${where}: ${msg}`, { where, hint: 'pass a tokenizer.bin written by llama2.c\'s tokenizer.py (e.g. tok512.bin, tokenizer.bin)' });
    };
    if (buf.length < 4) fail('file is shorter than its 4-byte header');
    const maxTokenLength = dv.getInt32(0, true);
    if (maxTokenLength <= 0 || maxTokenLength > 1024) fail(`max_token_length ${maxTokenLength} is not plausible`);
    const pieces: Uint8Array[] = [];
    const scores: number[] = [];
    let off = 4;
    while (off < buf.length) {
      if (off + 8 > buf.length) fail(`entry ${pieces.length} is cut off at byte ${off}`);
      const score = dv.getFloat32(off, true);
      const len = dv.getInt32(off + 4, true);
      off += 8;
      if (len < 0 || len > maxTokenLength || off + len > buf.length) fail(`entry ${pieces.length} has a bad length ${len} at byte ${off - 4}`);
      pieces.push(buf.subarray(off, off + len));
      scores.push(score);
      off += len;
    }
    if (pieces.length < 259) fail(`only ${pieces.length} entries; a llama2.c vocabulary has <unk>, <s>, </s> and 256 byte pieces first`);
    return new Llama2cTokenizer(pieces, scores, maxTokenLength);
  }

  /**
   * Builds the tokenizer from a Hugging Face tokenizer.json of the sentencepiece-BPE kind
   * (Llama 2 style: model.type "BPE" with byte_fallback, '\u2581' for spaces), e.g. one
   * written by `toTokenizerJson`. Merge order gives the scores (the i-th merge's piece
   * scores -i), which is all run.c's encoding looks at.
   */
  static fromTokenizerJson(json: Record<string, unknown>, where = 'tokenizer.json'): Llama2cTokenizer {
    const model = objectField(json, 'model', where);
    if (model.type !== 'BPE' || model.byte_fallback !== true) {
      throw new LlmtsError('E_TOKENIZER_JSON', `${where} is not a sentencepiece-style BPE (byte_fallback) tokenizer`, { where, hint: 'pass a Llama-2 style tokenizer.json' });
    }
    const vocab = vocabAt(model.vocab, 'model.vocab', where);
    let size = 0;
    for (const id of vocab.values()) size = Math.max(size, id + 1);
    for (let b = 0; b < 256; b++) {
      const token = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      if (vocab.get(token) !== b + 3) {
        throw new LlmtsError('E_TOKENIZER_JSON', `${where}: model.vocab maps ${token} to ${vocab.get(token) ?? 'nothing'}; a byte-fallback vocabulary has <0x00>..<0xFF> at ids 3..258`, {
          where: `${where}: model.vocab`, hint: 'pass a Llama-2 style tokenizer.json (<unk>, <s>, </s>, then the 256 byte tokens)' });
      }
    }
    const pieces: Uint8Array[] = new Array<Uint8Array>(size).fill(new Uint8Array(0));
    const specialPieces = new Map([['<unk>', '<unk>'], ['<s>', '\n<s>\n'], ['</s>', '\n</s>\n']]);
    for (const [token, id] of vocab) {
      const text = specialPieces.get(token) ?? (/^<0x[0-9A-Fa-f]{2}>$/.test(token) ? token : token.replaceAll('\u2581', ' '));
      pieces[id] = Buffer.from(text, 'utf8');
    }
    const scores = new Float32Array(size);
    const scored = new Set<number>();
    mergesAt(model.merges, 'model.merges', where).forEach(([a, b], rank) => {
      const id = vocab.get(a + b);
      if (id !== undefined && !scored.has(id)) {
        scored.add(id);
        scores[id] = -rank;
      }
    });
    const maxLen = pieces.reduce((mx, p) => Math.max(mx, p.length), 1);
    return new Llama2cTokenizer(pieces, scores, maxLen);
  }

  /** Reads a tokenizer.bin file. */
  static fromFile(path: string): Llama2cTokenizer {
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (err) {
      throw new LlmtsError('E_LLAMA2C_TOKENIZER', `cannot read ${path}`, { where: path, hint: 'check the path', cause: err });
    }
    return Llama2cTokenizer.fromBytes(buf, path);
  }

  /**
   * Text -> ids as run.c's `encode(text, bos, eos)`; `addSpecialTokens: true` (or `addBos`)
   * puts BOS first (run.c always does for prompts), `addEos` EOS last. Special-token
   * strings in the text are plain text.
   */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if (opts.addSpecialTokens || opts.addBos) out.push(BOS);
    if (text.length === 0) {
      if (opts.addEos) out.push(EOS);
      return out;
    }
    const ids: number[] = [];
    ids.push(this.lookup.get(' ') ?? ' '.charCodeAt(0) + 3); // the dummy prefix
    const bytes = Buffer.from(text, 'utf8');
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      // one UTF-8 character (at most 4 bytes, as in run.c) per initial token
      const next = i + 1 < bytes.length ? bytes[i + 1]! : 0;
      if ((next & 0xc0) === 0x80 && i + 1 - start < 4) continue;
      const ch = bytes.subarray(start, i + 1);
      const id = this.lookup.get(Buffer.from(ch).toString('latin1'));
      if (id !== undefined) ids.push(id);
      else for (const b of ch) ids.push(b + 3);
      start = i + 1;
    }
    this.merge(ids);
    for (const id of ids) out.push(id);
    if (opts.addEos) out.push(EOS);
    return out;
  }

  /** Runs the best-score pair merges in place (see the module comment). */
  private merge(ids: number[]): void {
    const n = ids.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const version = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new BinaryHeap<MergeCandidate>(candidateBefore);
    const tok = ids.slice();
    const push = (i: number): void => {
      const j = next[i]!;
      if (j < 0) return;
      const id = this.lookup.get(this.pieces[tok[i]!]! + this.pieces[tok[j]!]!);
      if (id !== undefined) heap.push({ score: this.scores[id]!, pos: i, id, vi: version[i]!, vj: version[j]!, j });
    };
    for (let i = 0; i + 1 < n; i++) push(i);
    for (;;) {
      const e = heap.pop();
      if (!e) break;
      const { pos: i, j } = e;
      if (version[i] !== e.vi || version[j] !== e.vj || next[i] !== j) continue; // stale
      tok[i] = e.id;
      version[i]!++;
      version[j]!++;
      const k = next[j]!;
      next[i] = k;
      if (k >= 0) prev[k] = i;
      next[j] = -2; // removed
      if (prev[i]! >= 0) push(prev[i]!);
      push(i);
    }
    ids.length = 0;
    for (let i = 0; i >= 0 && i < n; i = next[i]!) ids.push(tok[i]!);
  }

  /** Ids -> the bytes run.c prints for them; see the module comment. */
  decodeBytes(ids: ArrayLike<number>, opts: Llama2cDecodeOptions = {}): Uint8Array {
    const parts: Uint8Array[] = [];
    let prevId = opts.prevId ?? -1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      let b = this.bytes[id];
      if (b === undefined) {
        throw new LlmtsError('E_LLAMA2C_ID', `token id ${id} is not in this vocabulary (size ${this.vocabSize})`, { where: `ids[${i}]`, hint: 'decode ids produced for this tokenizer' });
      }
      const prevWasBos = prevId === BOS;
      prevId = id;
      if (opts.skipSpecialTokens && (id === BOS || id === EOS || id === UNK)) continue;
      if (prevWasBos && b[0] === 0x20) b = b.subarray(1);
      parts.push(b);
    }
    return Buffer.concat(parts);
  }

  /** Ids -> text (bytes as UTF-8; a cut multi-byte character becomes U+FFFD). */
  decode(ids: ArrayLike<number>, opts: Llama2cDecodeOptions = {}): string {
    return new TextDecoder().decode(this.decodeBytes(ids, opts));
  }

  /** Piece (as text, e.g. ' the', '<0x0A>') or '<unk>' / '<s>' / '</s>' -> id. */
  tokenToId(token: string): number | undefined {
    const special = SPECIAL_NAMES.find(([name]) => name === token);
    if (special) return special[1];
    return this.lookup.get(Buffer.from(token, 'utf8').toString('latin1'));
  }

  /** Id -> its piece as text (as stored: ' the', '<0x0A>', '\n<s>\n'). */
  idToToken(id: number): string | undefined {
    const p = this.pieces[id];
    return p === undefined ? undefined : Buffer.from(p, 'latin1').toString('utf8');
  }

  /** Score of a piece (higher merges first). */
  score(id: number): number {
    return this.scores[id]!;
  }

  specialTokens(): ReadonlyMap<string, number> {
    return new Map(SPECIAL_NAMES);
  }

  /**
   * A Hugging Face tokenizer.json equivalent to this vocabulary, laid out as Llama-2's:
   * BPE with byte fallback, '▁' for spaces, a dummy-prefix space, and merges ordered by
   * the score of the merged piece (the order sentencepiece BPE applies them).
   */
  toTokenizerJson(): Record<string, unknown> {
    const toSp = (id: number): string => {
      const s = this.idToToken(id)!;
      if (id === UNK || id === BOS || id === EOS) return SPECIAL_NAMES[id]![0];
      return /^<0x[0-9A-F]{2}>$/.test(s) ? s : s.replaceAll(' ', '\u2581');
    };
    const vocab: Record<string, number> = {};
    for (let id = 0; id < this.vocabSize; id++) {
      const s = toSp(id);
      if (!(s in vocab)) vocab[s] = id;
    }
    const merges: { a: string; b: string; score: number; id: number }[] = [];
    for (let id = 259; id < this.vocabSize; id++) {
      const piece = toSp(id);
      const chars = [...piece];
      for (let cut = 1; cut < chars.length; cut++) {
        const a = chars.slice(0, cut).join(''), b = chars.slice(cut).join('');
        if (a in vocab && b in vocab) merges.push({ a, b, score: this.scores[id]!, id });
      }
    }
    merges.sort((x, y) => y.score - x.score || x.id - y.id || vocab[x.a]! - vocab[y.a]!);
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIAL_NAMES.map(([content, id]) => ({
        id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
      })),
      normalizer: {
        type: 'Sequence',
        normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }],
      },
      pre_tokenizer: null,
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<s>': { id: '<s>', ids: [BOS], tokens: ['<s>'] } },
      },
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
      model: {
        type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
        fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: merges.map((m) => [m.a, m.b]),
      },
    };
  }
}

interface MergeCandidate {
  score: number;
  /** Original index of the left token (order of positions never changes). */
  pos: number;
  /** Right neighbour's original index when pushed. */
  j: number;
  id: number;
  vi: number;
  vj: number;
}

/** Heap order (score desc, pos asc): run.c's pick of the best, leftmost pair. */
function candidateBefore(a: MergeCandidate, b: MergeCandidate): boolean {
  return a.score > b.score || (a.score === b.score && a.pos < b.pos);
}
