// Runs the llmts CLI from source in a child process, as a user would: the one helper the CLI
// tests share (exit code, stdout, stderr; optional stdin, environment, working folder, time limit).
import { spawn, spawnSync } from 'node:child_process';

/** The repository root: `src/cli/main.ts` is resolved from here whatever the caller's cwd. */
export const REPO_ROOT = new URL('../', import.meta.url).pathname;

/** What a CLI run left: its exit code (null when a signal ended it), stdout and stderr. */
export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Options of one run; the time limit defaults to 120 s. */
export interface CliOptions {
  /** Text written to the child's stdin (stdin is closed empty when absent). */
  input?: string;
  /** Milliseconds before the child is killed and the run fails with an error naming the command. */
  timeoutMs?: number;
  /** Extra environment variables, added to this process's environment. */
  env?: Record<string, string>;
  /** Working folder of the child (default: the repository root). */
  cwd?: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

function argv(args: string[]): string[] {
  return ['--import', 'tsx', `${REPO_ROOT}src/cli/main.ts`, ...args];
}

function env(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  return extra === undefined ? process.env : { ...process.env, ...extra };
}

/**
 * Runs `llmts ARGS...` and waits for it (blocking). A run past the time limit is killed and throws,
 * so a hang fails the test with the command in the message instead of passing on a null code.
 *
 * @example
 * const r = llmts(['tokenizer', 'encode', '--help']);
 * assert.equal(r.code, 0);
 */
export function llmts(args: string[], o: CliOptions = {}): CliResult {
  const ms = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const r = spawnSync(process.execPath, argv(args), {
    input: o.input ?? '', encoding: 'utf8', timeout: ms, killSignal: 'SIGKILL', cwd: o.cwd ?? REPO_ROOT, env: env(o.env),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error !== undefined) {
    const why = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `did not end in ${ms / 1000} s` : `could not run (${r.error.message})`;
    throw new Error(`llmts ${args.join(' ')} ${why}; stdout: ${r.stdout} stderr: ${r.stderr}`);
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `llmts` without blocking the event loop: for tests that serve or listen in the same process
 * while the CLI runs (a port held open, a server to talk to).
 */
export function llmtsAsync(args: string[], o: CliOptions = {}): Promise<CliResult> {
  const ms = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv(args), { stdio: ['pipe', 'pipe', 'pipe'], cwd: o.cwd ?? REPO_ROOT, env: env(o.env) });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdin.end(o.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`llmts ${args.join(' ')} did not end in ${ms / 1000} s; stdout: ${stdout} stderr: ${stderr}`));
    }, ms);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
