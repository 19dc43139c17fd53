/**
 * A pool of pipeline workers (worker.ts). `run` sends a batch to the least busy worker
 * and resolves with its result; callers await results in submission order, so the
 * main thread sees documents in input order whatever the thread count. With one
 * thread the work runs inline on the calling thread, without workers.
 *
 * @example
 * const pool = await DocPool.start(settings, 2);
 * const r = await pool.run({ seq: 0, texts, html });
 * await pool.close();
 */
import { Worker } from 'node:worker_threads';
import { LlmtsError } from '../util/errors.ts';
import { DocProcessor, type AnyBatch, type BatchResult, type LinesResult, type ProcessSettings } from './process.ts';

interface Pending {
  resolve: (r: BatchResult & LinesResult) => void;
  reject: (e: Error) => void;
  worker: number;
}

/**
 * V8's young generation of each worker, in MB. A worker's garbage is per batch (a few MB
 * of strings) and dies young; V8's default lets the young generation grow to 48 MB per
 * isolate, which here only raised peak RSS (50 MB corpus, 2 threads: 339 -> 268 MB with
 * 8), with the same CPU time.
 */
const WORKER_YOUNG_GEN_MB = 8;

/** Starts worker.ts: the compiled .js next to this file, or the .ts source through tsx's loader. */
function startWorker(workerData: unknown): Worker {
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GEN_MB };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData, resourceLimits });
  const url = new URL('./worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData, resourceLimits });
}

/**
 * Runs `work` on this thread once pending events have had their turn (setImmediate): a
 * batch processed inline otherwise follows the last one without the event loop running,
 * so a Ctrl-C / SIGTERM handler waited for a whole file chunk (seconds on a busy machine).
 */
function afterEvents<T>(work: () => T): Promise<T> {
  return new Promise((resolve, reject) => setImmediate(() => {
    try { resolve(work()); } catch (err) { reject(err as Error); }
  }));
}

export class DocPool {
  private readonly pending = new Map<number, Pending>();
  private readonly busy: number[];
  private inline: DocProcessor | null = null;

  private constructor(private readonly workers: Worker[]) {
    this.busy = workers.map(() => 0);
  }

  /** Starts `threads` workers (inline processing when threads <= 1). */
  static async start(settings: ProcessSettings, threads: number): Promise<DocPool> {
    if (threads <= 1) {
      const pool = new DocPool([]);
      pool.inline = new DocProcessor(settings);
      return pool;
    }
    const workers = Array.from({ length: threads }, () => startWorker(settings));
    const pool = new DocPool(workers);
    await Promise.all(workers.map((w, k) => new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(new LlmtsError('E_WORKER', `data worker ${k} failed to start: ${e.message}`, { where: 'src/data/worker.ts', cause: e }));
      w.once('error', onError);
      w.once('message', () => { w.off('error', onError); resolve(); });
    })));
    workers.forEach((w, k) => {
      w.on('message', (msg: (BatchResult & LinesResult) | { seq: number; error: string }) => {
        const p = pool.pending.get(msg.seq);
        if (!p) return;
        pool.pending.delete(msg.seq);
        pool.busy[p.worker]!--;
        if ('error' in msg) p.reject(new Error(`data worker ${k}: ${msg.error}`));
        else p.resolve(msg);
      });
      w.on('error', (e) => {
        for (const [seq, p] of pool.pending) if (p.worker === k) { pool.pending.delete(seq); p.reject(e); }
      });
    });
    return pool;
  }

  get threads(): number {
    return Math.max(1, this.workers.length);
  }

  private send(b: AnyBatch, lines: boolean): Promise<BatchResult & LinesResult> {
    let k = 0;
    for (let i = 1; i < this.busy.length; i++) if (this.busy[i]! < this.busy[k]!) k = i;
    this.busy[k]!++;
    return new Promise((resolve, reject) => {
      this.pending.set(b.seq, { resolve, reject, worker: k });
      // a JSON lines batch's bytes (and spare buffers) move to the worker without a copy
      const transfer = [...('raw' in b ? [b.raw.buffer as ArrayBuffer] : []), ...(b.spares ?? [])];
      this.workers[k]!.postMessage(lines ? { ...b, lines: true } : b, transfer);
    });
  }

  /** Cleans, filters and hashes one batch. */
  run(b: AnyBatch): Promise<BatchResult> {
    const inline = this.inline;
    if (inline) return afterEvents(() => inline.processBatch(b));
    return this.send(b, false);
  }

  /** Pass one of boilerplate removal: line hashes of one batch. */
  lines(b: AnyBatch): Promise<LinesResult> {
    const inline = this.inline;
    if (inline) return afterEvents(() => inline.lineKeysBatch(b));
    return this.send(b, true);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
