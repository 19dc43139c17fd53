/**
 * Built-in byte-level BPE tokenizers shipped in data/tokenizers/ (see SOURCE.txt there):
 * `gpt2` (= `r50k`, GPT-2's 50257 tokens) and `cl100k` (GPT-3.5/4's 100k vocabulary).
 * Loaded once per process and cached.
 *
 * @example
 * const tok = builtinTokenizer('gpt2');
 * tok.encode('hello world');  // [31373, 995]
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmtsError } from '../util/errors.ts';
import type { BpeTokenizer } from './bpe.ts';
import { loadTiktoken } from './tiktoken-file.ts';

/** Names accepted by `builtinTokenizer`. */
export const BUILTIN_BPE_NAMES = ['gpt2', 'r50k', 'cl100k'] as const;
export type BuiltinBpeName = (typeof BUILTIN_BPE_NAMES)[number];

const SPECS: Record<BuiltinBpeName, { file: string; pattern: string; specials: Record<string, number> }> = {
  gpt2: { file: 'r50k_base.tiktoken', pattern: 'r50k', specials: { '<|endoftext|>': 50256 } },
  r50k: { file: 'r50k_base.tiktoken', pattern: 'r50k', specials: { '<|endoftext|>': 50256 } },
  cl100k: {
    file: 'cl100k_base.tiktoken', pattern: 'cl100k',
    specials: { '<|endoftext|>': 100257, '<|fim_prefix|>': 100258, '<|fim_middle|>': 100259, '<|fim_suffix|>': 100260, '<|endofprompt|>': 100276 },
  },
};

/** The data/tokenizers folder of the package (found from this module's location). */
export function builtinDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const cand = join(dir, 'data', 'tokenizers');
    if (existsSync(join(cand, 'r50k_base.tiktoken'))) return cand;
    dir = dirname(dir);
  }
  throw new LlmtsError('E_BUILTIN', 'cannot find data/tokenizers/ with the built-in rank files', { hint: 'reinstall llmts; the package ships data/tokenizers/*.tiktoken' });
}

/** True when `name` is a built-in tokenizer name. */
export function isBuiltinBpe(name: string): name is BuiltinBpeName {
  return (BUILTIN_BPE_NAMES as readonly string[]).includes(name);
}

const cache = new Map<string, BpeTokenizer>();

/** The built-in tokenizer `name` ('gpt2' | 'r50k' | 'cl100k'). */
export function builtinTokenizer(name: string): BpeTokenizer {
  if (!isBuiltinBpe(name)) {
    throw new LlmtsError('E_BUILTIN', `unknown built-in tokenizer ${JSON.stringify(name)}`, { hint: `use one of ${BUILTIN_BPE_NAMES.join(', ')}, or a path to a tokenizer.json / .tiktoken file` });
  }
  const spec = SPECS[name];
  let tok = cache.get(spec.file);
  if (tok === undefined) {
    tok = loadTiktoken(join(builtinDataDir(), spec.file), { pattern: spec.pattern, specialTokens: spec.specials });
    cache.set(spec.file, tok);
  }
  return tok;
}
