/**
 * Loading GGUF models wherever `--model` is taken: a `.gguf` file (from `llmts export
 * gguf` or llama.cpp's convert script), or a directory written by `llmts quantize` that
 * holds one as `model.gguf`. Weights are dequantised to float32 (F16, BF16, Q8_0: what
 * prefill, training and evaluation read); a file whose matrices are Q8_0 or BF16 also
 * decodes in that format (`setDecodeWeights`, src/models/decode-weights.ts: the packed
 * copies are the file's own blocks and bits, re-made from the exact fp32 values). The
 * tokenizer comes from the file's `tokenizer.ggml.*` unless one is passed.
 *
 * @example
 * const { model, tokenizer } = loadGgufModel('stories.q8_0.gguf');
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodeWeightFormat } from '../models/decode-plan.ts';
import { setDecodeWeights } from '../models/decode-weights.ts';
import { createModel, type AnyModel } from '../models/registry.ts';
import { loadTokenizer, type AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { isGgufBytes, readGguf, type GgufFile } from './gguf.ts';
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
  const model = createModel(config, { seed: 0, init: false });
  model.loadStateDict(state);
  model.eval();
  const format = ggufDecodeWeights(g);
  if (format !== 'fp32') setDecodeWeights(model, format);
  const tokenizer = tokenizerPath ? loadTokenizer(tokenizerPath) : tokenizerFromGguf(g);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new LlmtsError('E_TOKENIZER_MISMATCH', `${tokenizerPath ?? file} has ${tokenizer.vocabSize} ids but the model's vocabulary has ${config.vocabSize}`, {
      where: tokenizerPath ?? `${file}: tokenizer.ggml.tokens`, hint: 'use the tokenizer the model was trained with' });
  }
  return { model, tokenizer };
}

/**
 * The decode format a GGUF file's matrices ask for: 'q8_0' when any matrix is Q8_0, else
 * 'bf16' when any is BF16, else 'fp32' (F32 and F16 files: F16 has more mantissa than bf16).
 */
export function ggufDecodeWeights(g: GgufFile): DecodeWeightFormat {
  const types = new Set(g.tensors.filter((t) => t.dims.length === 2).map((t) => t.type));
  if (types.has('Q8_0')) return 'q8_0';
  return types.has('BF16') ? 'bf16' : 'fp32';
}
