/**
 * Loading GGUF models wherever `--model` is taken: a `.gguf` file (from `llmts export
 * gguf` or llama.cpp's convert script), or a directory written by `llmts quantize` that
 * holds one as `model.gguf`. Weights are dequantised to float32 (F16, BF16, Q8_0); the
 * tokenizer comes from the file's `tokenizer.ggml.*` unless one is passed.
 *
 * @example
 * const { model, tokenizer } = loadGgufModel('stories.q8_0.gguf');
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createModel, type AnyModel } from '../models/registry.ts';
import { loadTokenizer, type AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { isGgufBytes, readGguf } from './gguf.ts';
import { modelFromGguf } from './gguf-model.ts';
import { tokenizerFromGguf } from './gguf-tokenizer.ts';

/** The file name of the GGUF model inside a `llmts quantize` output directory. */
export const GGUF_MODEL_FILE = 'model.gguf';

/** True when `file` is a regular file starting with the GGUF magic. */
export function isGgufFile(file: string): boolean {
  if (!existsSync(file) || !statSync(file).isFile()) return false;
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && isGgufBytes(head);
  } finally {
    closeSync(fd);
  }
}

/**
 * The GGUF file that `path` names, or undefined: the file itself, or `path/model.gguf`
 * for a directory without model.safetensors (a `llmts quantize` output).
 */
export function ggufModelPath(path: string): string | undefined {
  if (isGgufFile(path)) return path;
  if (existsSync(path) && statSync(path).isDirectory() && !existsSync(join(path, 'model.safetensors'))) {
    const inside = join(path, GGUF_MODEL_FILE);
    if (isGgufFile(inside)) return inside;
  }
  return undefined;
}

/** Loads a GGUF model (eval mode) and its tokenizer (`tokenizerPath` overrides the file's own). */
export function loadGgufModel(file: string, tokenizerPath?: string): { model: AnyModel; tokenizer: AnyTokenizer } {
  const g = readGguf(file);
  const { config, state } = modelFromGguf(g);
  const model = createModel(config, { seed: 0 });
  model.loadStateDict(state);
  model.eval();
  const tokenizer = tokenizerPath ? loadTokenizer(tokenizerPath) : tokenizerFromGguf(g);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new LlmtsError('E_TOKENIZER_MISMATCH', `${tokenizerPath ?? file} has ${tokenizer.vocabSize} ids but the model's vocabulary has ${config.vocabSize}`, {
      where: tokenizerPath ?? `${file}: tokenizer.ggml.tokens`, hint: 'use the tokenizer the model was trained with' });
  }
  return { model, tokenizer };
}
