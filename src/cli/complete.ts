/**
 * `llmts complete`: code completion with a decoder (src/tasks/complete.ts): the next line,
 * or the rest of the block (stops at a dedent), at a line of a file or of standard input.
 *
 *   llmts complete --model runs/code-python/model --file f.py --line 12
 *   printf 'def add(a, b):\n' | llmts complete --model M --json
 */
import { readFileSync } from 'node:fs';
import { complete, sourceBefore } from '../tasks/complete.ts';
import type { CompletionMode } from '../tasks/complete-lines.ts';
import { loadTaskModel } from '../tasks/model-kind.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts complete --model M [--file F | stdin] [--line N] [--mode block|line] [--json]

Completes code with a decoder language model (e.g. the model of llmts recipe code-python),
greedy: the cursor is at the start of line N; the model sees the lines before it and
writes that line (--mode line) or the lines up to the end of the block (--mode block: it
stops at the first line indented less than its first line).

options:
  --model M          a decoder (required)
  --tokenizer T      tokenizer name or file (default: the model's own)
  --file F           the source ('-' or no --file: standard input)
  --line N           1-based line the completion starts at (default: after the last line)
  --mode MODE        block (default) or line
  --max-tokens N     tokens generated at most (default 128)
  --max-lines N      lines at most in block mode (default 64)
  --json             one JSON object: file, line, mode, completion, lines, stop, promptTokens, completionTokens
  -h, --help         this help`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs `llmts complete`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('complete', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, file: { type: 'string' }, line: { type: 'string' }, mode: { type: 'string' },
    'max-tokens': { type: 'string' }, 'max-lines': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts complete needs --model', { where: '--model', hint: 'pass a decoder, e.g. runs/recipes/code-python/model from llmts recipe code-python' });
  const mode = (values.mode ?? 'block') as CompletionMode;
  if (mode !== 'block' && mode !== 'line') throw new LlmtsError('E_FLAG', `--mode must be block or line, got '${values.mode}'`, { where: '--mode', hint: 'e.g. --mode line' });
  const maxTokens = numberFlag(values['max-tokens'], '--max-tokens', 128, { int: true, min: 1 });
  const maxLines = numberFlag(values['max-lines'], '--max-lines', 64, { int: true, min: 1 });
  const fromStdin = values.file === undefined || values.file === '-';
  if (fromStdin && process.stdin.isTTY) throw new LlmtsError('E_USAGE', 'llmts complete needs --file or the source on standard input', { where: '--file', hint: 'e.g. --file my_module.py --line 12' });
  const where = fromStdin ? 'standard input' : values.file!;
  let source: string;
  if (fromStdin) {
    source = await readStdin();
  } else {
    try {
      source = readFileSync(values.file!, 'utf8');
    } catch (err) {
      throw new LlmtsError('E_USAGE', `cannot read ${values.file}`, { where: '--file', hint: 'check the path', cause: err });
    }
  }
  const total = source.split('\n').length - (source.endsWith('\n') || source === '' ? 1 : 0);
  const line = numberFlag(values.line, '--line', total + 1, { int: true, min: 1 });
  const before = sourceBefore(source.replace(/\r\n/g, '\n'), line, where);
  const m = loadTaskModel(values.model, { tokenizer: values.tokenizer });
  const c = complete(m, before, { mode, maxTokens, maxLines });
  if (values.json) {
    console.log(JSON.stringify({ file: where, line, mode, completion: c.text, lines: c.lines, stop: c.stop, promptTokens: c.promptTokens, completionTokens: c.completionTokens }));
  } else {
    console.log(c.text);
  }
  return 0;
}
