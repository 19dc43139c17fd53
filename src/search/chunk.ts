/**
 * Chunking of documents for retrieval: paragraphs (split at blank lines), each cut into
 * sentences, packed into windows of at most `maxWords` words; the next window of a
 * paragraph starts `overlap` sentences before the previous one ended, so a passage that
 * straddles two windows is whole in one of them. Windows never cross a paragraph break.
 * A sentence longer than `maxWords` is cut at word boundaries into windows of its own.
 *
 * Every chunk keeps its source and its [start, end) offsets into the source text (UTF-16
 * code units, as JavaScript strings index), with `text === source.slice(start, end)`.
 *
 * @example
 * chunkText('One. Two three.\n\nFour.', 'a.txt', { maxWords: 2, overlap: 0 });
 * // [{ source: 'a.txt', start: 0, end: 4, text: 'One.' }, { ..., start: 5, end: 15, text: 'Two three.' },
 * //  { ..., start: 17, end: 22, text: 'Four.' }]
 */
import { LlmtsError } from '../util/errors.ts';

/** A piece of a source document. */
export interface Chunk {
  /** The document it comes from (a file path, or any name). */
  source: string;
  /** Offsets into the source text: text === sourceText.slice(start, end). */
  start: number;
  end: number;
  text: string;
}

/** Options of `chunkText`. */
export interface ChunkOptions {
  /** Most words in a window (default 120). */
  maxWords?: number;
  /** Sentences a window repeats from the one before it (default 1). */
  overlap?: number;
}

/** A [start, end) span of the text and its word count. */
interface Span {
  start: number;
  end: number;
  words: number;
}

const PARAGRAPH_BREAK = /\n[ \t\r\f\v]*\n\s*/g;
// a sentence ends after . ! ? or … (and closing quotes or brackets) before white space
const SENTENCE_END = /[.!?\u2026]+["'\u2019\u201d)\]]*(?=\s)/g;

function wordCount(s: string): number {
  return s.split(/\s+/).filter((w) => w !== '').length;
}

/** Trims [start, end) of `text` to its non-space content; null when nothing is left. */
function trimmed(text: string, start: number, end: number): Span | null {
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return end > start ? { start, end, words: wordCount(text.slice(start, end)) } : null;
}

/** The paragraph spans of `text` (split at blank lines). */
export function paragraphs(text: string): Span[] {
  const out: Span[] = [];
  let from = 0;
  for (const m of text.matchAll(PARAGRAPH_BREAK)) {
    const s = trimmed(text, from, m.index);
    if (s) out.push(s);
    from = m.index + m[0].length;
  }
  const last = trimmed(text, from, text.length);
  if (last) out.push(last);
  return out;
}

/** The sentence spans of the paragraph `p` of `text`. */
export function sentences(text: string, p: { start: number; end: number }): Span[] {
  const body = text.slice(p.start, p.end);
  const out: Span[] = [];
  let from = 0;
  for (const m of body.matchAll(SENTENCE_END)) {
    const s = trimmed(text, p.start + from, p.start + m.index + m[0].length);
    if (s) out.push(s);
    from = m.index + m[0].length;
  }
  const last = trimmed(text, p.start + from, p.end);
  if (last) out.push(last);
  return out;
}

/** A sentence over `maxWords` words cut at word boundaries. */
function cutLong(text: string, s: Span, maxWords: number): Span[] {
  const out: Span[] = [];
  const words = [...text.slice(s.start, s.end).matchAll(/\S+/g)];
  for (let i = 0; i < words.length; i += maxWords) {
    const first = words[i]!, last = words[Math.min(i + maxWords, words.length) - 1]!;
    out.push({ start: s.start + first.index, end: s.start + last.index + last[0].length, words: Math.min(maxWords, words.length - i) });
  }
  return out;
}

/** Splits `text` (the content of `source`) into overlapping sentence windows (see the module comment). */
export function chunkText(text: string, source: string, o: ChunkOptions = {}): Chunk[] {
  const maxWords = o.maxWords ?? 120, overlap = o.overlap ?? 1;
  if (!Number.isInteger(maxWords) || maxWords < 1) throw new LlmtsError('E_FLAG', `maxWords must be a positive integer, got ${maxWords}`, { where: '--chunk-words', hint: 'e.g. 120' });
  if (!Number.isInteger(overlap) || overlap < 0) throw new LlmtsError('E_FLAG', `overlap must be an integer >= 0, got ${overlap}`, { where: '--chunk-overlap', hint: 'e.g. 1' });
  const chunks: Chunk[] = [];
  const emit = (start: number, end: number) => chunks.push({ source, start, end, text: text.slice(start, end) });
  for (const p of paragraphs(text)) {
    const sents = sentences(text, p).flatMap((s) => (s.words > maxWords ? cutLong(text, s, maxWords) : [s]));
    let i = 0;
    while (i < sents.length) {
      let j = i, words = 0;
      while (j < sents.length && (j === i || words + sents[j]!.words <= maxWords)) words += sents[j++]!.words;
      emit(sents[i]!.start, sents[j - 1]!.end);
      if (j >= sents.length) break;
      i = Math.max(i + 1, j - overlap);
    }
  }
  return chunks;
}
