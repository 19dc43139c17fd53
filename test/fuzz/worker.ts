/**
 * The worker process of runner.ts: for each job (an IPC message) it sets up one target
 * in the job's scratch folder, then makes and runs inputs `start`, `start + 1`, ... until
 * `end` or the deadline, sending one result per input in order (so the runner knows
 * which input is running when none comes back), then 'done'.
 */
import { LlmtsError } from '../../src/util/errors.ts';
import { hash32, Rng } from '../../src/util/rng.ts';
import { loadTargets, type WorkerMessage } from './runner.ts';
import { isExpected } from './target.ts';

interface Job {
  parser: string;
  /** URL of the module holding the targets. */
  targets: string;
  seed: number;
  start: number;
  end: number;
  /** Milliseconds to run inputs for (after set-up), or null for no limit. */
  budgetMs: number | null;
  /** A scratch folder of this worker (made and removed by the runner). */
  dir: string;
  verbose: boolean;
}

/** 'LlmtsError E_CODE', 'ApiError 400' or the constructor name. */
function typeOf(err: unknown): string {
  if (err instanceof LlmtsError) return `LlmtsError ${err.code}`;
  if (err instanceof Error) {
    const status = (err as { status?: unknown }).status;
    return typeof status === 'number' ? `${err.name} ${status}` : err.constructor.name;
  }
  return `thrown ${typeof err}`;
}

async function main(job: Job): Promise<void> {
  const post = (m: WorkerMessage): void => void process.send!(m);
  const target = (await loadTargets(job.targets)).find((t) => t.name === job.parser)!;
  const make = await target.setup(job.dir);
  post({ kind: 'ready' });
  const deadline = job.budgetMs === null ? Infinity : Date.now() + job.budgetMs;
  let i = job.start;
  let yielded = Date.now();
  for (; i < job.end && Date.now() < deadline; i++) {
    if (Date.now() - yielded > 20) {
      await new Promise(setImmediate); // let the IPC messages go out
      yielded = Date.now();
    }
    const c = make(new Rng(hash32(job.seed, i)), i);
    if (job.verbose) console.log(`input ${i}: ${c.log.join('; ')}`);
    try {
      await c.run();
      post({ kind: 'result', index: i, outcome: 'ok', type: 'ok' });
    } catch (err) {
      const type = typeOf(err);
      if (job.verbose) console.log(err);
      if (isExpected(target, err)) post({ kind: 'result', index: i, outcome: 'expected', type });
      else {
        const e = err instanceof Error ? err : new Error(String(err));
        post({ kind: 'result', index: i, outcome: 'unexpected', type, message: e.message, stack: e.stack ?? '', log: c.log });
      }
    }
  }
  post({ kind: 'done', next: i });
}

// the runner is gone (killed, or it gave up on this worker): stop too
process.on('disconnect', () => process.exit(0));
// one job (a target's run) at a time; the runner sends the next after 'done'
process.on('message', (job: Job) => {
  void main(job);
});
