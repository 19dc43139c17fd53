/**
 * OpenAI GPT-2's original files: `encoder.json` (byte-level token string -> id) and
 * `vocab.bpe` (a `#version` line, then one merge "left right" per line, in rank order).
 *
 * @example
 * const tok = loadGpt2Files('encoder.json', 'vocab.bpe');
 * tok.encode('hello world');  // [31373, 995]
 */
import { readFileSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';
import { byteLevelToBytes } from './byte-level.ts';
import { BpeTokenizer } from './bpe.ts';

/** Builds a GPT-2 tokenizer from the parsed encoder.json object and vocab.bpe text. */
export function gpt2FromFiles(encoder: Record<string, number>, vocabBpe: string, where = 'vocab.bpe'): BpeTokenizer {
  const vocab: Uint8Array[] = [];
  const specialTokens = new Map<string, number>();
  for (const [token, id] of Object.entries(encoder)) {
    if (token === '<|endoftext|>') specialTokens.set(token, id);
    else vocab[id] = byteLevelToBytes(token);
  }
  const merges: [Uint8Array, Uint8Array][] = [];
  const lines = vocabBpe.split('\n');
  lines.forEach((line, i) => {
    if (line.startsWith('#version') || line.trim().length === 0) return;
    const parts = line.split(' ');
    if (parts.length !== 2) throw new LlmtsError('E_GPT2_FILES', `line ${i + 1} is not a merge "left right": ${JSON.stringify(line)}`, { where, hint: 'vocab.bpe lists one merge per line' });
    merges.push([byteLevelToBytes(parts[0]!), byteLevelToBytes(parts[1]!)]);
  });
  return new BpeTokenizer({ vocab, merges, specialTokens, pattern: 'gpt2' });
}

/** Loads GPT-2's encoder.json + vocab.bpe. */
export function loadGpt2Files(encoderJsonPath: string, vocabBpePath: string): BpeTokenizer {
  let encoder: Record<string, number>;
  try {
    encoder = JSON.parse(readFileSync(encoderJsonPath, 'utf8')) as Record<string, number>;
  } catch (err) {
    throw new LlmtsError('E_GPT2_FILES', `cannot read ${encoderJsonPath} as JSON`, { where: encoderJsonPath, hint: 'pass GPT-2 encoder.json', cause: err });
  }
  return gpt2FromFiles(encoder, readFileSync(vocabBpePath, 'utf8'), vocabBpePath);
}
