/**
 * Writing a tokenizer as a file `loadTokenizer` reads back: every tokenizer (char-level
 * included) as a Hugging Face tokenizer.json, which HF `tokenizers` and transformers load.
 * Used by token shards (data/tokenize.ts) and checkpoints (io/checkpoint.ts).
 *
 * @example
 * saveTokenizer(CharTokenizer.fromText('hello'), 'out/tokenizer.json');
 */
import { writeFileSync } from 'node:fs';
import type { Tokenizer } from './types.ts';

/** Writes `tok` as a Hugging Face tokenizer.json file (`tok.toTokenizerJson()`). */
export function saveTokenizer(tok: Tokenizer, path: string): void {
  writeFileSync(path, JSON.stringify(tok.toTokenizerJson()));
}
