/**
 * The per-document work of the pipeline, run on worker threads (or inline with one
 * thread): HTML to text, cleaning, boilerplate lines, PII scrubbing, filters, the
 * exact-dedup key and the MinHash signature. Pure: the same document and settings give
 * the same result on any thread, which keeps the output independent of the thread count.
 *
 * @example
 * const ctx = new DocProcessor(settings);
 * ctx.processBatch({ seq: 0, texts: ['<p>Hi</p>'], html: Uint8Array.of(1) });
 */
import { convert } from 'html-to-text';
import { cleanText, type CleanCounts, type CleanOptions } from './clean.ts';
import { CountMinSketch, lineKeys, removeBoilerplate } from './boilerplate.ts';
import { runFilters, LanguageId, ProfanityList, type FilterNotes, type FilterOptions } from './filters/index.ts';
import { docKey } from './hash.ts';
import { MinHasher } from './dedup/minhash.ts';
import { counterfactual, type CdaOptions } from './cda.ts';
import { scrubPii, type PiiCounts } from './pii.ts';
import { normalizedWordHashes, tokenStats } from './words.ts';
import { decodeJsonLines } from './ingest/jsonl-batches.ts';
import { SpareBuffers } from './spare.ts';

/** Everything a worker needs (structured-clonable). */
export interface ProcessSettings {
  clean: CleanOptions;
  pii: boolean;
  filters: FilterOptions;
  /** MinHash settings, or null when near-dedup is off. */
  minhash: { shingle: number; perms: number; seed: number } | null;
  stopwords: Record<string, string[]>;
  profanity: string[];
  /** Boilerplate removal: the pass-one sketch and the document count that marks a line. */
  boilerplate: { table: Uint32Array; width: number; minDocs: number } | null;
  /**
   * What comes back of a kept document: 'json' its JSON lines record, UTF-8 encoded, in
   * `out` (the writer only copies bytes, and the main thread holds no document strings);
   * 'text' its cleaned text in `texts` (the Parquet writer); 'none' nothing (statistics).
   * Every document also comes back as a 160-character snippet for the report's examples.
   */
  output: 'json' | 'text' | 'none';
  /**
   * Counterfactual data augmentation (cda.ts), or null when off: each kept document with a
   * gendered word also comes back as its swapped copy (`augAt`, `augTexts`, `augBytes`).
   */
  cda?: CdaOptions | null;
}

/**
 * Which 160-character snippets (the report's examples) a batch must return; by default
 * all. The main thread asks only for those it may still use: not for drop reasons whose
 * examples are complete, and not for kept documents once the duplicate examples are.
 */
export interface SnippetRequest {
  skipReasons: string[];
  kept: boolean;
}

/** A batch of raw documents; `html[i]` is 1 when document i is HTML. */
export interface DocBatch {
  seq: number;
  texts: string[];
  html: Uint8Array;
  snippets?: SnippetRequest;
  /** Buffers the main thread is done with, for this worker's output records (spare.ts). */
  spares?: ArrayBuffer[];
}

/** A batch of whole JSON lines, undecoded (ingest/jsonl-batches.ts): the worker decodes and parses them. */
export interface JsonlBatch {
  seq: number;
  raw: Uint8Array;
  firstLine: number;
  fileStart: boolean;
  /** The record field holding the text. */
  field: string;
  snippets?: SnippetRequest;
  spares?: ArrayBuffer[];
}

export type AnyBatch = DocBatch | JsonlBatch;

/** The documents of a batch, decoded and parsed when it is JSON lines. */
interface Docs {
  texts: string[];
  html: Uint8Array | null;
  /** JSON lines: the line of each document, and the bad lines. */
  locs: Int32Array | null;
  bad: { loc: number; reason: string }[];
  invalidUtf8: number;
}

function docsOf(b: AnyBatch): Docs {
  if (!('raw' in b)) return { texts: b.texts, html: b.html, locs: null, bad: [], invalidUtf8: 0 };
  const { events, invalidUtf8 } = decodeJsonLines(b.raw, b.firstLine, b.fileStart, b.field);
  const texts: string[] = [];
  const locs: number[] = [];
  const bad: { loc: number; reason: string }[] = [];
  for (const ev of events) {
    if (ev.kind === 'doc') { texts.push(ev.text); locs.push(ev.loc); } else bad.push({ loc: ev.loc, reason: ev.reason });
  }
  return { texts, html: null, locs: Int32Array.from(locs), bad, invalidUtf8 };
}

/** Per-batch counters of what cleaning changed. */
export interface BatchCounts extends CleanCounts, PiiCounts {
  boilerplateLines: number;
}

export interface BatchResult {
  seq: number;
  /** Cleaned text (kept, with output 'text') or its first 160 characters ('' when not requested). */
  texts: string[];
  /**
   * Output 'json': each kept document's record without its closing brace,
   * `{"text":<JSON string>`, UTF-8; document i's bytes are out[outAt[i], outAt[i + 1]).
   * A view at offset 0 of a larger reused buffer (give it back once written).
   */
  out: Uint8Array;
  /** A JSON lines batch's raw bytes, handed back for reuse (the documents are decoded). */
  rawBack: Uint8Array | null;
  outAt: Float64Array;
  /**
   * Output 'json': where document i's counterfactual copy starts in `out` (the end of its own
   * record); the copy is out[augAt[i], outAt[i + 1]), empty when it has none.
   */
  augAt: Float64Array;
  /** Output 'text': the counterfactual copy of each kept document ('' when none). */
  augTexts: string[];
  /** UTF-8 bytes of each counterfactual copy (0: none) and the words swapped in it. */
  augBytes: Float64Array;
  augSwaps: Float64Array;
  /** JSON lines batches: the line of each document; null for a `DocBatch`. */
  locs: Int32Array | null;
  /** JSON lines batches: bad lines (malformed JSON, no text field), in line order. */
  bad: { loc: number; reason: string }[];
  /** JSON lines batches: invalid UTF-8 sequences replaced while decoding. */
  invalidUtf8: number;
  /** UTF-8 bytes of each raw input document, and of each kept cleaned document (0 when dropped). */
  rawBytes: Float64Array;
  outBytes: Float64Array;
  /**
   * Drop reason per document as an index into `names` plus one (0: kept by the filters),
   * and language per document as an index into `names`: a few strings per batch, not two
   * per document (the main thread's heap stays small).
   */
  reasonIds: Uint8Array;
  langIds: Uint8Array;
  /** 1 for a document the filters kept although it holds profanity-list entries (too few to drop it: reported instead); its snippet is always in `texts`. */
  flags: Uint8Array;
  names: string[];
  /** Exact-dedup keys: hi, lo per document. */
  keys: Uint32Array;
  /** MinHash signatures, `perms` per document (zeros for dropped documents); empty when near-dedup is off. */
  sigs: Uint32Array;
  counts: BatchCounts;
}

/** Pass one of boilerplate removal: distinct line hashes of each cleaned document. */
export interface LinesResult {
  seq: number;
  keys: Uint32Array;
}

const ENCODER = new TextEncoder();

export class DocProcessor {
  private readonly lang: LanguageId;
  private readonly profanity: ProfanityList;
  private readonly minhash: MinHasher | null;
  private readonly sketch: CountMinSketch | null;
  /** Buffers for the output records, handed back by the main thread. */
  private readonly spare = new SpareBuffers(4);

  constructor(readonly s: ProcessSettings) {
    this.lang = new LanguageId(s.stopwords);
    this.profanity = new ProfanityList(s.profanity);
    this.minhash = s.minhash ? new MinHasher({ ...s.minhash, method: 'oph' }) : null;
    this.sketch = s.boilerplate ? new CountMinSketch(s.boilerplate.width, s.boilerplate.table) : null;
  }

  private toText(raw: string, html: boolean, counts: CleanCounts): string {
    const text = html ? htmlToText(raw) : raw;
    return cleanText(text, this.s.clean, counts);
  }

  /** Pass one of boilerplate removal. */
  lineKeysBatch(b: AnyBatch): LinesResult {
    const counts = { mojibake: 0, controls: 0 };
    const d = docsOf(b);
    const parts = d.texts.map((t, i) => lineKeys(this.toText(t, d.html?.[i] === 1, counts)));
    const keys = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { keys.set(p, at); at += p.length; }
    return { seq: b.seq, keys };
  }

  processBatch(b: AnyBatch): BatchResult {
    const d = docsOf(b);
    const n = d.texts.length;
    const counts: BatchCounts = { mojibake: 0, controls: 0, email: 0, phone: 0, ip: 0, boilerplateLines: 0 };
    const K = this.minhash ? this.s.minhash!.perms : 0;
    const res: BatchResult = {
      seq: b.seq, texts: new Array<string>(n), out: new Uint8Array(0), rawBack: 'raw' in b ? b.raw : null, outAt: new Float64Array(n + 1), locs: d.locs, bad: d.bad,
      augAt: new Float64Array(n), augTexts: new Array<string>(n).fill(''), augBytes: new Float64Array(n), augSwaps: new Float64Array(n),
      invalidUtf8: d.invalidUtf8, reasonIds: new Uint8Array(n), langIds: new Uint8Array(n), flags: new Uint8Array(n), names: [],
      rawBytes: new Float64Array(n), outBytes: new Float64Array(n),
      keys: new Uint32Array(2 * n), sigs: new Uint32Array(K * n), counts,
    };
    for (const buf of b.spares ?? []) this.spare.give(buf);
    let out: Uint8Array = new Uint8Array(0);
    let outAt = 0;
    const nameIds = new Map<string, number>();
    const nameId = (name: string): number => {
      let k = nameIds.get(name);
      if (k === undefined) { k = res.names.length; res.names.push(name); nameIds.set(name, k); }
      return k;
    };
    const skip = new Set(b.snippets?.skipReasons ?? []);
    const keptSnippets = b.snippets?.kept ?? true;
    const notes: FilterNotes = { profanityHits: 0 };
    for (let i = 0; i < n; i++) {
      res.outAt[i] = outAt;
      res.rawBytes[i] = Buffer.byteLength(d.texts[i]!);
      let text = this.toText(d.texts[i]!, d.html?.[i] === 1, counts);
      if (this.sketch) {
        const r = removeBoilerplate(text, this.sketch, this.s.boilerplate!.minDocs);
        text = r.text;
        counts.boilerplateLines += r.removed;
      }
      if (this.s.pii) text = scrubPii(text, counts);
      const words = tokenStats(text);
      const hashes = normalizedWordHashes(text);
      const language = this.lang.detect(text, hashes);
      res.langIds[i] = nameId(language.lang);
      const reason = text === '' ? 'empty' : runFilters({ text, words, hashes, language, profanity: this.profanity }, this.s.filters, notes);
      if (reason !== null) {
        res.reasonIds[i] = nameId(reason) + 1;
        res.texts[i] = skip.has(reason) ? '' : text.slice(0, 160);
        continue;
      }
      res.outBytes[i] = Buffer.byteLength(text);
      const aug = this.s.cda ? counterfactual(text, this.s.cda) : null;
      const copy = aug !== null && aug.swaps > 0 && aug.text !== text ? aug.text : null;
      if (copy !== null) {
        res.augBytes[i] = Buffer.byteLength(copy);
        res.augSwaps[i] = aug!.swaps;
        if (this.s.output === 'text') res.augTexts[i] = copy;
      }
      if (this.s.output === 'json') {
        const append = (t: string): void => {
          const rec = `{"text":${JSON.stringify(t)}`;
          if (outAt + 3 * rec.length > out.length) { // UTF-8 takes at most 3 bytes per UTF-16 unit
            const next = this.spare.take(Math.max(2 * out.length, outAt + 3 * rec.length));
            next.set(out.subarray(0, outAt));
            if (out.byteLength > 0) this.spare.give(out.buffer);
            out = new Uint8Array(next.buffer); // the whole buffer: it grows in place up to its capacity
          }
          outAt += ENCODER.encodeInto(rec, out.subarray(outAt)).written;
        };
        append(text);
        res.augAt[i] = outAt;
        if (copy !== null) append(copy);
      }
      if (notes.profanityHits > 0) res.flags[i] = 1;
      res.texts[i] = this.s.output === 'text' ? text : keptSnippets || res.flags[i] === 1 ? text.slice(0, 160) : '';
      const key = docKey(text);
      res.keys[2 * i] = key.hi;
      res.keys[2 * i + 1] = key.lo;
      if (this.minhash) this.minhash.signature(hashes, res.sigs.subarray(i * K, (i + 1) * K));
    }
    res.outAt[n] = outAt;
    res.out = new Uint8Array(out.buffer, 0, outAt); // the whole buffer moves to the main thread
    return res;
  }
}

/** HTML to plain text with html-to-text: no line wrapping, links and images without URLs. */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'h4', options: { uppercase: false } },
      { selector: 'h5', options: { uppercase: false } },
      { selector: 'h6', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  });
}
