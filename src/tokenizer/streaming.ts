/**
 * Streaming decoder for generation: feed ids one at a time, get back only complete text.
 * Bytes of a UTF-8 character split across tokens are held until the character completes,
 * so a stream never shows a spurious U+FFFD in the middle of an emoji or a CJK character.
 *
 * @example
 * const sd = new StreamingDecoder(tok);
 * for (const id of tok.encode('🦙!')) process.stdout.write(sd.push(id));  // '' then '🦙' then '!'
 * process.stdout.write(sd.flush());
 */

/** What the streaming decoder needs from a tokenizer. */
export interface BytesDecoder {
  decodeBytes(ids: ArrayLike<number>, opts?: { skipSpecialTokens?: boolean }): Uint8Array;
}

/** Holds incomplete UTF-8 sequences between tokens; see the module comment. */
export class StreamingDecoder {
  private readonly utf8 = new TextDecoder('utf-8');
  private readonly one = [0];

  constructor(private readonly tok: BytesDecoder, private readonly opts: { skipSpecialTokens?: boolean } = {}) {}

  /** Adds one id; returns the text that is now complete (possibly ''). */
  push(id: number): string {
    this.one[0] = id;
    return this.utf8.decode(this.tok.decodeBytes(this.one, this.opts), { stream: true });
  }

  /** Adds several ids; returns the text that is now complete. */
  pushMany(ids: ArrayLike<number>): string {
    return this.utf8.decode(this.tok.decodeBytes(ids, this.opts), { stream: true });
  }

  /** Ends the stream: held bytes that never completed come out as U+FFFD. */
  flush(): string {
    return this.utf8.decode();
  }
}
