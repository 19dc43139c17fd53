/**
 * `llmts quantize`: store a model's weights as Q8_0 or bf16 in a directory that loads
 * wherever --model is taken.
 *
 *   llmts quantize --model runs/x --type q8_0 --out runs/x-q8
 *   llmts generate --model runs/x-q8 --prompt 'Once'
 *
 * The directory holds `model.gguf` (the same file `llmts export gguf` writes, so llama.cpp
 * reads it too) and, when the source directory has them, its tokenizer_config.json and
 * chat_template.jinja (chat templates). Norms, biases and position tables stay F32.
 */
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeGguf } from '../io/gguf.ts';
import { GGUF_MODEL_FILE } from '../io/gguf-load.ts';
import { modelToGguf } from '../io/gguf-model.ts';
import { loadModel } from '../io/load-model.ts';
import { LlmtsError } from '../util/errors.ts';
import { fileTypeFlag, modelName } from './export.ts';
import { parseFlags } from './flags.ts';

const HELP = `usage: llmts quantize --model M [--tokenizer T] --type q8_0|bf16 --out DIR

Writes DIR/model.gguf: the model with its matrices in Q8_0 (blocks of 32 int8 weights and
an fp16 scale, llama.cpp's layout and rounding) or bf16, norms and biases in F32, and its
tokenizer. DIR then loads wherever --model is taken (generate, chat, eval, serve) and in
llama.cpp. llm.ts decodes with the Q8_0 / bf16 weights (and keeps an fp32 copy for
prompts, training and evaluation).

options:
  --model M       a checkpoint or run directory, a llama2.c .bin, or a GGUF file
  --tokenizer T   tokenizer name or file (default: the model's own; llama2.c: tokenizer.bin)
  --type T        q8_0 | bf16
  --out DIR       output directory (created; an existing model.gguf in it is replaced)
  -h, --help      this help`;

const CARRIED = ['tokenizer_config.json', 'chat_template.jinja'];

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('quantize', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, type: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_FLAG', 'llmts quantize needs --model', { where: '--model', hint: 'pass a checkpoint directory, a llama2.c .bin or a GGUF file' });
  const type = fileTypeFlag(values.type, ['bf16', 'q8_0']);
  const out = values.out;
  if (!out) throw new LlmtsError('E_FLAG', '--out is required', { where: '--out', hint: 'e.g. --out runs/x-q8' });
  if (existsSync(out) && !statSync(out).isDirectory()) throw new LlmtsError('E_FLAG', `${out} is a file`, { where: '--out', hint: 'name a directory to write model.gguf into' });
  const src = loadModel(values.model, values.tokenizer);
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const file = join(out, GGUF_MODEL_FILE);
  writeGguf(file, modelToGguf(src.model, src.tokenizer, type, modelName(values.model)));
  if (src.format === 'checkpoint') {
    for (const f of CARRIED) if (existsSync(join(src.path, f))) copyFileSync(join(src.path, f), join(out, f));
  }
  console.log(`wrote ${file}: ${type}, ${(statSync(file).size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s (llmts generate --model ${out})`);
  return 0;
}
