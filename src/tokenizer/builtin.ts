/**
 * Built-in byte-level BPE tokenizers shipped in data/tokenizers/ (see SOURCE.txt there):
 * `gpt2` (= `r50k`, GPT-2's 50257 tokens) and `cl100k` (GPT-3.5/4's 100k vocabulary).
 * Loaded once per process and cached.
 *
 * @example
 * const tok = builtinTokenizer('gpt2');
 * tok.encode('hello world');  // [31373, 995]
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmtsError } from '../util/errors.ts';
import { BpeTokenizer } from './bpe.ts';
import { loadGpt2Files } from './gpt2-files.ts';
import { loadBpeTokenizerJson } from './hf-json.ts';
import { loadTiktoken, parseTiktoken } from './tiktoken-file.ts';

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

/** Pattern and special tokens of OpenAI's rank files, recognised by their size. */
const KNOWN_RANKS: { size: number; pattern: string; specials: Record<string, number> }[] = [
  { size: 50256, pattern: 'r50k', specials: { '<|endoftext|>': 50256 } }, // r50k_base
  { size: 50281, pattern: 'r50k', specials: { '<|endoftext|>': 50256 } }, // p50k_base
  { size: 100256, pattern: 'cl100k', specials: SPECS.cl100k.specials },
  { size: 199998, pattern: 'o200k', specials: { '<|endoftext|>': 199999, '<|endofprompt|>': 200018 } },
];

/**
 * Loads a byte-level BPE tokenizer from a built-in name ('gpt2', 'r50k', 'cl100k'), a
 * tokenizer.json, a `.tiktoken` rank file (OpenAI's r50k/p50k/cl100k/o200k are recognised
 * by size and get their split pattern and special tokens; others get the GPT-2 pattern),
 * or a folder holding tokenizer.json or GPT-2's encoder.json + vocab.bpe.
 */
export function loadBpeTokenizer(nameOrPath: string): BpeTokenizer {
  if (isBuiltinBpe(nameOrPath)) return builtinTokenizer(nameOrPath);
  if (!existsSync(nameOrPath)) {
    throw new LlmtsError('E_TOKENIZER_PATH', `no tokenizer at ${JSON.stringify(nameOrPath)}`, { hint: `use ${BUILTIN_BPE_NAMES.join(', ')}, a tokenizer.json, a .tiktoken file or a folder with encoder.json + vocab.bpe` });
  }
  if (statSync(nameOrPath).isDirectory()) {
    if (existsSync(join(nameOrPath, 'tokenizer.json'))) return loadBpeTokenizerJson(join(nameOrPath, 'tokenizer.json'));
    if (existsSync(join(nameOrPath, 'encoder.json')) && existsSync(join(nameOrPath, 'vocab.bpe'))) return loadGpt2Files(join(nameOrPath, 'encoder.json'), join(nameOrPath, 'vocab.bpe'));
    throw new LlmtsError('E_TOKENIZER_PATH', `folder ${nameOrPath} has neither tokenizer.json nor encoder.json + vocab.bpe`, { where: nameOrPath });
  }
  if (nameOrPath.endsWith('.json')) return loadBpeTokenizerJson(nameOrPath);
  if (nameOrPath.endsWith('.tiktoken')) {
    const vocab = parseTiktoken(readFileSync(nameOrPath, 'utf8'), nameOrPath);
    const known = KNOWN_RANKS.find((k) => k.size === vocab.length);
    return new BpeTokenizer({ vocab, pattern: known?.pattern ?? 'gpt2', specialTokens: known?.specials });
  }
  throw new LlmtsError('E_TOKENIZER_PATH', `cannot tell the tokenizer format of ${nameOrPath}`, { where: nameOrPath, hint: 'pass a .json (tokenizer.json) or .tiktoken file, or a folder' });
}
