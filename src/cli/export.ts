/**
 * `llmts export`: hand a model to other tools. One subcommand so far:
 *
 *   llmts export gguf --model runs/x --type q8_0 --out x.q8_0.gguf
 *   llmts export gguf --model stories260K.bin --tokenizer tok512.bin --type f16 --out s.gguf
 *
 * The GGUF file holds the weights, hyper-parameters and tokenizer as llama.cpp reads them
 * (src/io/gguf-model.ts); llm.ts loads it back wherever --model is taken.
 */
import { basename, dirname } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { writeGguf } from '../io/gguf.ts';
import { GGUF_FILE_TYPES, modelToGguf, type GgufFileType } from '../io/gguf-model.ts';
import { loadModel } from '../io/load-model.ts';
import { LlmtsError } from '../util/errors.ts';
import { parseFlags } from './flags.ts';

const HELP = `usage: llmts export gguf --model M [--tokenizer T] --type f32|f16|bf16|q8_0 --out F.gguf

Writes a GGUF file for llama.cpp (and llm.ts): GPT-2 or Llama weights under llama.cpp's
tensor names, its hyper-parameter keys and the tokenizer (byte-level BPE as "gpt2",
llama2.c / sentencepiece vocabularies as "llama"). Norms, biases and GPT-2's position
table stay F32; Q8_0 matrices whose rows are not a multiple of 32 are stored F16, as
llama.cpp's convert script does.

options:
  --model M       a checkpoint or run directory, a llama2.c .bin, or a GGUF file
  --tokenizer T   tokenizer name or file (default: the model's own; llama2.c: tokenizer.bin)
  --type T        f32 | f16 | bf16 | q8_0 (Q8_0: blocks of 32 int8 weights + an fp16 scale)
  --out F         the .gguf file to write (written to a temporary file, then renamed)
  --name N        general.name in the file (default: the model's file or folder name)
  -h, --help      this help`;

/** The --type value, checked against the choices; E_FLAG naming the flag otherwise. */
export function fileTypeFlag(v: string | undefined, choices: readonly GgufFileType[] = GGUF_FILE_TYPES): GgufFileType {
  if (v === undefined) throw new LlmtsError('E_FLAG', '--type is required', { where: '--type', hint: `use one of ${choices.join(', ')}` });
  const t = v.toLowerCase() as GgufFileType;
  if (!choices.includes(t)) throw new LlmtsError('E_FLAG', `--type must be one of ${choices.join(', ')}, got '${v}'`, { where: '--type', hint: `e.g. --type ${choices[choices.length - 1]}` });
  return t;
}

/** Checks that `out` can be written as a file: its folder exists and it is not a directory. */
export function checkOutFile(out: string | undefined, flag = '--out'): string {
  if (!out) throw new LlmtsError('E_FLAG', `${flag} is required`, { where: flag, hint: `e.g. ${flag} model.gguf` });
  if (existsSync(out) && statSync(out).isDirectory()) throw new LlmtsError('E_FLAG', `${out} is a directory`, { where: flag, hint: 'name the .gguf file to write' });
  if (!existsSync(dirname(out) || '.')) throw new LlmtsError('E_FLAG', `the folder of ${out} does not exist`, { where: flag, hint: 'create the folder first' });
  return out;
}

/** general.name for a model path: its file or folder name without .bin / .gguf. */
export function modelName(modelPath: string): string {
  return basename(modelPath.replace(/[/\\]+$/, '')).replace(/\.(bin|gguf)$/, '');
}

async function exportGguf(argv: string[]): Promise<number> {
  const { values } = parseFlags('export gguf', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, type: { type: 'string' }, out: { type: 'string' },
    name: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_FLAG', 'llmts export gguf needs --model', { where: '--model', hint: 'pass a checkpoint directory, a llama2.c .bin or a GGUF file' });
  const type = fileTypeFlag(values.type);
  const out = checkOutFile(values.out);
  const { model, tokenizer } = loadModel(values.model, values.tokenizer);
  const name = values.name ?? modelName(values.model);
  const t0 = performance.now();
  const content = modelToGguf(model, tokenizer, type, name);
  writeGguf(out, content);
  const bytes = statSync(out).size;
  console.log(`wrote ${out}: ${model.config.arch}, ${content.tensors.length} tensors, ${type}, ${(bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    console.log(HELP);
    return sub ? 0 : 1;
  }
  if (sub !== 'gguf') throw new LlmtsError('E_FLAG', `unknown subcommand 'export ${sub}'`, { where: 'llmts export', hint: 'use llmts export gguf' });
  return exportGguf(rest);
}
