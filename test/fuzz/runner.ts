/**
 * Runs fuzz targets (targets.ts) in worker processes, so that an input that hangs (past
 * `inputTimeoutMs`) or kills the process (a fatal out-of-memory) is a finding that names
 * its index instead of a stuck or dead test run; a fresh worker then goes on after that
 * input. Workers that end a target cleanly run the next one. Used by test/fuzz/fuzz.test.ts (a fixed number of inputs per parser) and by
 * `npm run bench -- fuzz` (a time budget per parser).
 *
 * Input `index` of a target under `seed` is made from `new Rng(hash32(seed, index))`, so
 * it can be made again alone: `npm run bench -- fuzz --parser NAME --seed S --index I`.
 *
 * @example
 * const [r] = await runFuzz(['vocab.txt'], { seed: 1, inputs: 200 });
 * r.findings;  // [] when every input loaded or threw an LlmtsError
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { FuzzTarget } from './target.ts';

/** An input that made the parser throw something other than an expected error. */
export interface FuzzFinding {
  parser: string;
  seed: number;
  index: number;
  /** Constructor name (TypeError, RangeError, ...), 'Timeout', 'WorkerError' or 'SetupError' (index -1). */
  type: string;
  message: string;
  /** The first frames of the stack. */
  stack: string;
  /** The seed input and mutations that made the input. */
  log: string[];
}

/** What one target did. */
export interface FuzzReport {
  parser: string;
  inputs: number;
  /** Inputs that loaded (or were read) without an error. */
  ok: number;
  /** Expected errors by type ('LlmtsError E_HF_JSON', 'ApiError 400', ...). */
  expected: Record<string, number>;
  /** Findings by type ('TypeError', 'Timeout', ...), every occurrence counted. */
  unexpected: Record<string, number>;
  /** The first finding of each distinct (type, first stack frame), in input order. */
  findings: FuzzFinding[];
  /** Time spent running inputs (worker start-up and seed set-up not counted). */
  seconds: number;
}

export interface FuzzOptions {
  seed: number;
  /** Inputs per target (default: the target's `testInputs`). */
  inputs?: number;
  /** With `seconds`, run each target for this long instead of a fixed number of inputs. */
  seconds?: number;
  /** One input taking longer than this is a 'Timeout' finding. Default 10 s. */
  inputTimeoutMs?: number;
  /** Targets run at once (one worker process each). Default 2. */
  concurrency?: number;
  /** Run only this index (to reproduce a finding); its log is printed by the worker. */
  only?: number;
  /** URL of the module whose `FUZZ_TARGETS` to run (default: targets.ts; the runner's own test passes broken ones). */
  targets?: string;
}

const DEFAULT_TARGETS = new URL('./targets.ts', import.meta.url).href;

/** The targets of a module (`FUZZ_TARGETS`). */
export async function loadTargets(url = DEFAULT_TARGETS): Promise<readonly FuzzTarget[]> {
  return ((await import(url)) as { FUZZ_TARGETS: readonly FuzzTarget[] }).FUZZ_TARGETS;
}

/** Messages from worker.ts. */
export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'result'; index: number; outcome: 'ok' | 'expected' | 'unexpected'; type: string; message?: string; stack?: string; log?: string[] }
  | { kind: 'done'; next: number };

/** Scratch folders go to memory (/dev/shm) where there is one: the targets write a file per input. */
const SCRATCH = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** Starts a worker process (a process, not a thread: a fatal out-of-memory abort must not take the runner down). */
function startWorker(verbose: boolean): ChildProcess {
  return fork(new URL('./worker.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
    serialization: 'advanced',
    stdio: ['ignore', verbose ? 'inherit' : 'ignore', 'pipe', 'ipc'],
  });
}

/**
 * Workers that finished a target cleanly wait here for the next one (starting one costs
 * about a CPU second). Idle workers are unref'd, so they never keep the runner alive;
 * they exit when it does (worker.ts: on disconnect).
 */
const idle: ChildProcess[] = [];

function acquireWorker(verbose: boolean): ChildProcess {
  let w: ChildProcess | undefined;
  while (!verbose && (w = idle.pop()) !== undefined) {
    if (w.exitCode === null && w.signalCode === null && w.connected) {
      w.ref();
      w.channel?.ref();
      (w.stderr as Socket).ref();
      return w;
    }
  }
  return startWorker(verbose);
}

function releaseWorker(w: ChildProcess, reuse: boolean): void {
  w.removeAllListeners('message');
  w.removeAllListeners('exit');
  w.stderr!.removeAllListeners('data');
  if (!reuse) {
    w.kill('SIGKILL');
    return;
  }
  w.unref();
  w.channel?.unref();
  (w.stderr as Socket).unref();
  idle.push(w);
}

/** The first stack frame in our code (not node: internals), which tells findings apart. */
function topFrame(stack: string): string {
  const frames = stack.split('\n').filter((l) => l.trim().startsWith('at '));
  return (frames.find((l) => !l.includes('node:')) ?? frames[0] ?? '').trim();
}

/** Runs one target from input `start` until `end` (or the deadline); restarts its worker after a hang or a crash. */
async function runTarget(parser: string, opts: FuzzOptions, onProgress?: (r: FuzzReport) => void): Promise<FuzzReport> {
  const targets = await loadTargets(opts.targets);
  const target = targets.find((t) => t.name === parser);
  if (!target) throw new Error(`no fuzz target ${JSON.stringify(parser)} (known: ${targets.map((t) => t.name).join(', ')})`);
  const report: FuzzReport = { parser, inputs: 0, ok: 0, expected: {}, unexpected: {}, findings: [], seconds: 0 };
  const seen = new Set<string>();
  // time left for inputs (worker start-up and set-up not counted)
  let budgetMs = opts.seconds !== undefined ? opts.seconds * 1000 : Infinity;
  const end = opts.only !== undefined ? opts.only + 1 : opts.seconds !== undefined ? Number.MAX_SAFE_INTEGER : opts.inputs ?? target.testInputs;
  let next = opts.only ?? 0;
  const timeoutMs = opts.inputTimeoutMs ?? 10_000;
  const record = (f: FuzzFinding): void => {
    report.unexpected[f.type] = (report.unexpected[f.type] ?? 0) + 1;
    const key = `${f.type} ${topFrame(f.stack)}`;
    if (!seen.has(key)) {
      seen.add(key);
      report.findings.push(f);
    }
  };
  while (next < end && budgetMs > 0) {
    const dir = mkdtempSync(join(SCRATCH, 'llmts-fuzz-'));
    const verbose = opts.only !== undefined;
    const w = acquireWorker(verbose);
    let stderr = '';
    w.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    w.send({ parser, targets: opts.targets ?? DEFAULT_TARGETS, seed: opts.seed, start: next, end, budgetMs: Number.isFinite(budgetMs) ? budgetMs : null, dir, verbose: opts.only !== undefined });
    next = await new Promise<number>((resolve) => {
      let settled = false;
      let ready = false;
      // the input being run: the one after the last result (inputs run in order)
      let current = next;
      let since = Date.now();
      let readyAt = 0;
      const finish = (n: number, clean = false): void => {
        if (settled) return;
        settled = true;
        if (ready) {
          budgetMs -= Date.now() - readyAt;
          report.seconds += (Date.now() - readyAt) / 1000;
        }
        clearInterval(watch);
        releaseWorker(w, clean && !verbose);
        rmSync(dir, { recursive: true, force: true });
        resolve(n);
      };
      const crash = (type: string, message: string, stack = ''): void => {
        if (!ready) {
          // the seeds could not be built: no input ran, and none will
          record({ parser, seed: opts.seed, index: -1, type: 'SetupError', message, stack, log: [] });
          finish(end);
          return;
        }
        report.inputs++;
        record({ parser, seed: opts.seed, index: current, type, message, stack, log: [] });
        finish(current + 1);
      };
      const watch = setInterval(() => {
        if (ready && Date.now() - since > timeoutMs) crash('Timeout', `one input ran over ${timeoutMs / 1000} s`);
      }, 100);
      w.on('message', (m: WorkerMessage) => {
        since = Date.now();
        if (m.kind === 'ready') {
          ready = true;
          readyAt = since;
        }
        if (m.kind === 'done') finish(m.next, true);
        if (m.kind !== 'result') return;
        current = m.index + 1;
        report.inputs++;
        if (m.outcome === 'ok') report.ok++;
        else if (m.outcome === 'expected') report.expected[m.type] = (report.expected[m.type] ?? 0) + 1;
        else record({ parser, seed: opts.seed, index: m.index, type: m.type, message: m.message ?? '', stack: m.stack ?? '', log: m.log ?? [] });
        if (report.inputs % 500 === 0) onProgress?.(report);
      });
      w.on('exit', (code, signal) => {
        if (!settled) crash('WorkerError', `the worker process died (${signal ?? `exit code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`, stderr);
      });
    });
  }
  return report;
}

/** Runs the named targets, `concurrency` at a time; reports in the order of `parsers`. */
export async function runFuzz(parsers: readonly string[], opts: FuzzOptions, onProgress?: (r: FuzzReport) => void): Promise<FuzzReport[]> {
  const out: FuzzReport[] = new Array<FuzzReport>(parsers.length);
  let i = 0;
  const lane = async (): Promise<void> => {
    while (i < parsers.length) {
      const k = i++;
      out[k] = await runTarget(parsers[k]!, opts, onProgress);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, lane));
  return out;
}

/** A finding in a few lines: parser, seed/index, exception, stack top, how the input was made. */
export function describeFinding(f: FuzzFinding): string {
  const frames = f.stack.split('\n').filter((l) => l.trim().startsWith('at ')).slice(0, 3).map((l) => `    ${l.trim()}`);
  return [`${f.parser}: seed ${f.seed} index ${f.index}: ${f.type}: ${f.message.slice(0, 300)}`, ...frames,
    ...(f.log.length > 0 ? [`    input: ${f.log.join('; ').slice(0, 400)}`] : [])].join('\n');
}
