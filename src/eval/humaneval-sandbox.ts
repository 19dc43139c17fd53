/**
 * Runs a Python program written by a model, as HumanEval's tests need, in a python3
 * subprocess kept as tight as a plain process allows:
 * - no network: inside a fresh network namespace with no interfaces (`unshare -rn`) where
 *   the kernel allows it; otherwise Python's socket module is disabled before the program
 *   runs (weaker: the outcome says which);
 * - limits (setrlimit, before the program runs): address space (default 512 MiB), CPU
 *   seconds, files written (1 MiB), no core dumps, no new processes (RLIMIT_NPROC 0 for a
 *   non-root user); os.system / fork / exec / kill, subprocess and shutil's deleting and
 *   moving functions are removed (as human-eval's reliability_guard does);
 * - a fresh temporary working directory (removed after), an environment of PATH, HOME
 *   (that directory) and PYTHONHASHSEED only, `python3 -I` (no user site, no PYTHON* env);
 * - a wall-clock timeout (default 10 s) that kills the whole process group.
 * This is not a container: the program can still read files the user can read. Run
 * HumanEval only with models you trained yourself.
 *
 * @example
 * const r = await runPythonSandboxed('assert 1 + 1 == 2\n', { python: 'python3' });
 * r.status; // 'passed'
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlmtsError } from '../util/errors.ts';

/** Options of one run. */
export interface SandboxOptions {
  /** The interpreter (default python3). */
  python?: string;
  /** Wall-clock limit in milliseconds (default 10,000). */
  timeoutMs?: number;
  /** Address-space limit in MiB (default 512). */
  memoryMb?: number;
}

/** How a run ended: passed (exit 0), failed (an exception, a limit hit), or timeout (killed). */
export interface SandboxOutcome {
  status: 'passed' | 'failed' | 'timeout';
  /** The last lines of stderr (the exception), at most 1,000 characters. */
  detail: string;
  network: 'namespace' | 'socket-blocked';
}

/** Runs before the program: limits, no network, no processes; then executes stdin as __main__. */
const PREAMBLE = `
import os, sys, resource
mem = int(sys.argv[1]) * 1024 * 1024
cpu = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if os.getuid() != 0:
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
src = sys.stdin.read()
import socket
def _no_network(*a, **k):
    raise OSError('network access is disabled in the llm.ts sandbox')
socket.socket = _no_network
socket.create_connection = _no_network
socket.socketpair = _no_network
import shutil, subprocess, builtins
for name in ['system', 'fork', 'forkpty', 'kill', 'killpg', 'execv', 'execve', 'execvp', 'execvpe', 'execl', 'execlp', 'spawnv', 'spawnve',
             'popen', 'putenv', 'remove', 'removedirs', 'rmdir', 'unlink', 'rename', 'renames', 'truncate', 'chmod', 'chown', 'setuid']:
    if hasattr(os, name):
        setattr(os, name, None)
subprocess.Popen = None
shutil.rmtree = None
shutil.move = None
shutil.chown = None
builtins.exit = None
builtins.quit = None
sys.argv = ['program.py']
exec(compile(src, 'program.py', 'exec'), {'__name__': '__main__'})
`;

let namespaceProbe: boolean | undefined;

/** Whether `unshare -rn` works here (probed once per process). */
function canUnshare(python: string): boolean {
  if (namespaceProbe === undefined) {
    const r = spawnSync('unshare', ['-rn', python, '-c', 'pass'], { stdio: 'ignore', timeout: 10_000 });
    namespaceProbe = r.status === 0;
  }
  return namespaceProbe;
}

/** Runs `program` (Python source) in the sandbox; see the module comment. */
export function runPythonSandboxed(program: string, o: SandboxOptions = {}): Promise<SandboxOutcome> {
  const python = o.python ?? 'python3';
  const timeoutMs = o.timeoutMs ?? 10_000;
  const memoryMb = o.memoryMb ?? 512;
  const network: SandboxOutcome['network'] = canUnshare(python) ? 'namespace' : 'socket-blocked';
  const args = ['-I', '-B', '-c', PREAMBLE, String(memoryMb), String(Math.max(1, Math.ceil(timeoutMs / 1000)))];
  const [cmd, argv] = network === 'namespace' ? ['unshare', ['-rn', python, ...args]] : [python, args];
  const cwd = mkdtempSync(join(tmpdir(), 'llmts-sandbox-'));
  return new Promise<SandboxOutcome>((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, PYTHONHASHSEED: '0' }, stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    child.stdin.on('error', () => {}); // the program may exit before reading all of stdin
    child.stdin.end(program);
    child.on('error', (err) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      reject(new LlmtsError('E_PYTHON', `could not start ${cmd}`, { where: '--python', hint: 'install python3 or pass --python PATH', cause: err }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      const detail = stderr.trim().split('\n').slice(-5).join('\n').slice(-1000);
      resolve({ status: timedOut ? 'timeout' : code === 0 ? 'passed' : 'failed', detail, network });
    });
  });
}
