/**
 * The texts a task command reads: `--text` values, then the lines of `--file` (one input
 * per non-empty line; `-` is standard input), and standard input when neither is given and
 * it is not a terminal (`cat reviews.txt | llmts classify --model M`). Files are read
 * whole: a missing or unreadable one is an E_USAGE error naming it.
 *
 * @example
 * await readTaskInputs({ texts: ['a cat'], file: 'more.txt' }); // ['a cat', ...lines of more.txt]
 */
import { readFileSync } from 'node:fs';
import { LlmtsError } from '../util/errors.ts';

/** Where the texts come from. */
export interface TaskInputSource {
  texts?: readonly string[];
  /** A UTF-8 file, one input per non-empty line; '-' for standard input. */
  file?: string;
  /** Standard input (default process.stdin): read when `file` is '-', or when nothing else is given and it is not a terminal. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** The non-empty lines of a text (CRLF or LF). */
export function inputLines(body: string): string[] {
  return body.split(/\r?\n/).filter((l) => l.trim() !== '');
}

async function readStream(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** The inputs in order (see the module comment); possibly none: the caller says what it needs. */
export async function readTaskInputs(src: TaskInputSource): Promise<string[]> {
  const out = [...(src.texts ?? [])];
  const stdin = src.stdin ?? process.stdin;
  if (src.file === '-') {
    out.push(...inputLines(await readStream(stdin)));
  } else if (src.file !== undefined) {
    let body: string;
    try {
      body = readFileSync(src.file, 'utf8');
    } catch (err) {
      throw new LlmtsError('E_USAGE', `cannot read ${src.file}`, { where: '--file', hint: 'check the path', cause: err });
    }
    out.push(...inputLines(body));
  } else if (out.length === 0 && stdin.isTTY !== true) {
    out.push(...inputLines(await readStream(stdin)));
  }
  return out;
}
