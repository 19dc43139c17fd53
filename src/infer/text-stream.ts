/**
 * Ids -> UTF-8-safe text pieces during generation, for any tokenizer: wraps the
 * tokenizer layer's `StreamingDecoder` (which holds back incomplete UTF-8 characters) and
 * passes the previous id along, which llama2.c-style vocabularies need (a piece after BOS
 * loses its leading space). Special tokens are not shown.
 *
 * @example
 * const ts = new TextStream(tok);
 * ts.pushMany(promptIds); // the prompt's text
 * ts.push(id);            // the new text ('' while a character is incomplete)
 */
import { StreamingDecoder, type BytesDecoder } from '../tokenizer/streaming.ts';
import type { Tokenizer } from '../tokenizer/types.ts';

/** What TextStream needs: a tokenizer, optionally with exact-bytes decoding. */
export type StreamTokenizer = Tokenizer & Partial<BytesDecoder>;

const encoder = new TextEncoder();

export class TextStream {
  private prev = -1;
  private readonly sd: StreamingDecoder;

  constructor(tok: StreamTokenizer) {
    const opts = { skipSpecialTokens: true };
    const bytes: BytesDecoder = {
      decodeBytes: (ids) => {
        const o = { ...opts, prevId: this.prev };
        return tok.decodeBytes ? tok.decodeBytes(ids, o) : encoder.encode(tok.decode(ids, o));
      },
    };
    this.sd = new StreamingDecoder(bytes, opts);
  }

  /** One id -> the text it completes. */
  push(id: number): string {
    const s = this.sd.push(id);
    this.prev = id;
    return s;
  }

  /** Several ids -> the text they complete. */
  pushMany(ids: ArrayLike<number>): string {
    if (ids.length === 0) return '';
    const s = this.sd.pushMany(ids);
    this.prev = ids[ids.length - 1]!;
    return s;
  }

  /** Ends the stream (an incomplete character becomes U+FFFD). */
  flush(): string {
    return this.sd.flush();
  }
}
