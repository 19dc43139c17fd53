/**
 * Writing a tokenizer as a file `loadTokenizer` reads back: the char tokenizer's own
 * JSON file, every other tokenizer as a Hugging Face tokenizer.json. Used by token shards
 * (data/tokenize.ts) and checkpoints (io/checkpoint.ts).
 *
 * @example
 * saveTokenizer(CharTokenizer.fromText('hello'), 'out/tokenizer.json');
 */
import { writeFileSync } from 'node:fs';
import { CharTokenizer, saveCharTokenizer } from './char.ts';
import type { Tokenizer } from './types.ts';

/** Writes a tokenizer as a file `loadTokenizer` reads back (char file or HF tokenizer.json). */
export function saveTokenizer(tok: Tokenizer, path: string): void {
  if (tok instanceof CharTokenizer) saveCharTokenizer(tok, path);
  else writeFileSync(path, JSON.stringify(tok.toTokenizerJson()));
}
