/**
 * One loader for everything that runs a trained model (generate, eval, chat, serve):
 * - a checkpoint directory or a run directory (src/io/checkpoint.ts: model.safetensors,
 *   config.json, tokenizer.json);
 * - a llama2.c `.bin` checkpoint (src/io/llama2c.ts), with its `tokenizer.bin` given as
 *   `tokenizer` or found next to it as tokenizer.bin.
 * - a GGUF file, or a `llmts quantize` directory holding model.gguf (src/io/gguf-load.ts).
 * `tokenizer` (a name or path for `loadTokenizer`) overrides a checkpoint's own; `adapter`
 * (a peft LoRA adapter directory, src/io/peft.ts) is merged into the loaded weights, as
 * peft's merge_and_unload does for inference. `quantize` ('q8_0' | 'bf16') makes the decode
 * step multiply bf16 / Q8_0 copies of the weights (src/models/decode-weights.ts; a Q8_0 or
 * BF16 GGUF file does this by itself; 'fp32' turns it off). `context` / `ropeScaling` run
 * the weights at another context, with or without a RoPE scaling (src/models/context.ts).
 *
 * @example
 * const { model, tokenizer } = loadModel('data/llama2c-stories260k/stories260K.bin', 'data/llama2c-stories260k/tok512.bin');
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DecodeWeightFormat } from '../models/decode-plan.ts';
import { withContext, type RopeScalingRequest } from '../models/context.ts';
import { decodeWeightsOf, parseDecodeWeightFormat, setDecodeWeights } from '../models/decode-weights.ts';
import type { AnyModel } from '../models/registry.ts';
import { loadTokenizer, type AnyTokenizer } from '../tokenizer/load.ts';
import { LlmtsError } from '../util/errors.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { ggufModelPath, loadGgufModel } from './gguf-load.ts';
import { isLlama2cCheckpoint, loadLlama2c } from './llama2c.ts';
import { mergeAdapter } from './peft.ts';

/** A loaded model with its tokenizer. */
export interface LoadedModel {
  model: AnyModel;
  tokenizer: AnyTokenizer;
  /** 'checkpoint' (llm.ts directory), 'llama2c' (.bin) or 'gguf'. */
  format: 'checkpoint' | 'llama2c' | 'gguf';
  /** The file or directory actually read. */
  path: string;
}

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** A LoRA adapter directory (peft's format, task CAUSAL_LM) to merge into the model. */
  adapter?: string;
  /** The format the decode step multiplies the weights in (default: the file's: Q8_0 / BF16 GGUF, else fp32). */
  quantize?: DecodeWeightFormat;
  /** Run at this context (blockSize) instead of the model's own. */
  context?: number;
  /** Set (or, with 'none', remove) a RoPE scaling. */
  ropeScaling?: RopeScalingRequest;
}

/** Loads a model and its tokenizer, with `opts.adapter` merged in; see the module comment. */
export function loadModel(modelPath: string, tokenizerPath?: string, opts: LoadModelOptions = {}): LoadedModel {
  const loaded = loadBaseModel(modelPath, tokenizerPath);
  const fileFormat = decodeWeightsOf(loaded.model);
  const rebuilt = opts.context !== undefined || opts.ropeScaling !== undefined;
  if (rebuilt) loaded.model = withContext(loaded.model, { context: opts.context, rope: opts.ropeScaling });
  if (opts.adapter !== undefined) mergeAdapter(loaded.model, opts.adapter, { task: 'CAUSAL_LM' });
  const format = opts.quantize ?? fileFormat;
  // packed copies are a snapshot: re-made after merging an adapter or rebuilding at another context
  if (format !== fileFormat || (format !== 'fp32' && (opts.adapter !== undefined || rebuilt))) setDecodeWeights(loaded.model, format);
  return loaded;
}

/** The `--quantize` flag of generate / chat / serve as `LoadModelOptions.quantize` (undefined when absent). */
export function quantizeFlag(value: string | undefined): DecodeWeightFormat | undefined {
  return value === undefined ? undefined : parseDecodeWeightFormat(value, '--quantize');
}

function loadBaseModel(modelPath: string, tokenizerPath?: string): LoadedModel {
  if (!existsSync(modelPath)) {
    throw new LlmtsError('E_MODEL_NOT_FOUND', `no model at ${modelPath}`, { where: modelPath, hint: 'pass a checkpoint directory, a run directory, a llama2.c .bin or a .gguf file' });
  }
  const gguf = ggufModelPath(modelPath);
  if (gguf) return { ...loadGgufModel(gguf, tokenizerPath), format: 'gguf', path: gguf };
  if (statSync(modelPath).isDirectory()) {
    const ck = loadCheckpoint(modelPath);
    const tokenizer = tokenizerPath ? checkVocab(loadTokenizer(tokenizerPath), ck.model, tokenizerPath) : ck.tokenizer;
    return { model: ck.model, tokenizer, format: 'checkpoint', path: ck.dir };
  }
  if (isLlama2cCheckpoint(modelPath)) {
    const sibling = join(dirname(modelPath), 'tokenizer.bin');
    const tokPath = tokenizerPath ?? (existsSync(sibling) ? sibling : undefined);
    if (!tokPath) {
      throw new LlmtsError('E_TOKENIZER_NOT_FOUND', `${modelPath} is a llama2.c checkpoint and needs its tokenizer.bin`, { where: '--tokenizer', hint: 'pass --tokenizer path/to/tokenizer.bin (e.g. tok512.bin for stories260K)' });
    }
    const { model } = loadLlama2c(modelPath);
    return { model, tokenizer: checkVocab(loadTokenizer(tokPath), model, tokPath), format: 'llama2c', path: modelPath };
  }
  throw new LlmtsError('E_MODEL_FORMAT', `${modelPath} is neither a checkpoint directory nor a llama2.c .bin checkpoint nor a GGUF file`, { where: modelPath, hint: 'pass a checkpoint directory (model.safetensors + config.json), a llama2.c .bin or a .gguf file' });
}

function checkVocab(tok: AnyTokenizer, model: AnyModel, where: string): AnyTokenizer {
  if (tok.vocabSize > model.config.vocabSize) {
    throw new LlmtsError('E_TOKENIZER_MISMATCH', `${where} has ${tok.vocabSize} ids but the model's vocabulary has ${model.config.vocabSize}`, { where, hint: 'use the tokenizer the model was trained with' });
  }
  return tok;
}
