/**
 * HumanEval (Chen et al. 2021): 164 Python functions to complete from their signature and
 * docstring, each checked by its unit tests. This file reads the problems and scores
 * completions: the program of one problem is its prompt, the completion, its tests and
 * `check(<entry point>)`, run only through the sandbox (humaneval-sandbox.ts). pass@1 here
 * is one greedy completion per problem: the fraction that passes.
 *
 * @example
 * const problems = readHumanEval('data/humaneval/HumanEval.jsonl.gz');
 * const r = await scoreHumanEval(problems, (p) => myCompletion(p.prompt), { python: 'python3' });
 * r.passAt1; // 0 for a model this small
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { LlmtsError } from '../util/errors.ts';
import { runPythonSandboxed, type SandboxOptions, type SandboxOutcome } from './humaneval-sandbox.ts';

/** The bundled copy (MIT, data/humaneval/SOURCE.txt). */
export const HUMANEVAL_DEFAULT = 'data/humaneval/HumanEval.jsonl.gz';

/** One problem. */
export interface HumanEvalProblem {
  taskId: string;
  /** Imports, the signature and the docstring: what the model continues. */
  prompt: string;
  /** The tests: defines `check(candidate)`. */
  test: string;
  entryPoint: string;
  canonicalSolution: string;
}

/** Reads HumanEval problems from .jsonl or .jsonl.gz; E_DATA naming the line of a bad record. */
export function readHumanEval(file: string): HumanEvalProblem[] {
  if (!existsSync(file)) throw new LlmtsError('E_DATA', `no HumanEval file ${file}`, { where: '--humaneval', hint: `pass HumanEval.jsonl(.gz), e.g. ${HUMANEVAL_DEFAULT}` });
  let raw = readFileSync(file);
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(raw);
    } catch (err) {
      throw new LlmtsError('E_DATA', `${file} is not a readable gzip file`, { where: file, hint: 'pass HumanEval.jsonl.gz as downloaded, or the unpacked .jsonl', cause: err });
    }
  }
  const out: HumanEvalProblem[] = [];
  raw.toString('utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new LlmtsError('E_DATA', 'the line is not JSON', { where, hint: 'one JSON object per line' });
    }
    const r = (typeof rec === 'object' && rec !== null ? rec : {}) as Record<string, unknown>;
    for (const k of ['task_id', 'prompt', 'test', 'entry_point']) {
      if (typeof r[k] !== 'string' || r[k] === '') throw new LlmtsError('E_DATA', `"${k}" must be a non-empty string`, { where, hint: 'HumanEval records have task_id, prompt, test, entry_point (and canonical_solution)' });
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(r.entry_point as string)) throw new LlmtsError('E_DATA', `"entry_point" ${JSON.stringify(r.entry_point)} is not a Python name`, { where, hint: 'the name of the function to check' });
    out.push({ taskId: r.task_id as string, prompt: r.prompt as string, test: r.test as string, entryPoint: r.entry_point as string,
      canonicalSolution: typeof r.canonical_solution === 'string' ? r.canonical_solution : '' });
  });
  return out;
}

/** The program that checks `completion` of `p`: prompt + completion, the tests, and the call of check. */
export function humanEvalProgram(p: HumanEvalProblem, completion: string): string {
  return `${p.prompt}${completion}\n\n${p.test}\n\ncheck(${p.entryPoint})\n`;
}

/** One problem's outcome. */
export interface HumanEvalOutcome {
  taskId: string;
  completion: string;
  outcome: SandboxOutcome;
}

/** What `scoreHumanEval` returns. */
export interface HumanEvalResult {
  /** Fraction of problems whose completion passed its tests. */
  passAt1: number;
  passed: number;
  n: number;
  outcomes: HumanEvalOutcome[];
  /** How the sandbox kept the tests off the network ('namespace': a network namespace without interfaces; 'socket-blocked': Python's socket module disabled). */
  network: 'namespace' | 'socket-blocked';
}

/**
 * Completes every problem with `completer` and runs the tests in the sandbox, one at a
 * time; `log` gets one line per 20 problems.
 */
export async function scoreHumanEval(problems: readonly HumanEvalProblem[], completer: (p: HumanEvalProblem) => string,
  o: SandboxOptions & { log?: (line: string) => void }): Promise<HumanEvalResult> {
  const outcomes: HumanEvalOutcome[] = [];
  let passed = 0;
  let network: HumanEvalResult['network'] = 'namespace';
  for (const [i, p] of problems.entries()) {
    const completion = completer(p);
    const outcome = await runPythonSandboxed(humanEvalProgram(p, completion), o);
    if (outcome.status === 'passed') passed++;
    if (outcome.network === 'socket-blocked') network = 'socket-blocked';
    outcomes.push({ taskId: p.taskId, completion, outcome });
    if ((i + 1) % 20 === 0) o.log?.(`  HumanEval ${i + 1}/${problems.length}: ${passed} passed`);
  }
  return { passAt1: problems.length > 0 ? passed / problems.length : 0, passed, n: problems.length, outcomes, network };
}
