/**
 * The web UI of `llmts serve`: a chat page (`/`), a tab per task route (`/tasks`: summarize,
 * translate, classify with attention highlights where the model gives them, embed), a
 * training dashboard (`/dashboard`), their
 * static files from the repository's `web/` folder, the charting library's browser build, and
 * two small JSON routes that the dashboard reads:
 *
 * - `GET /api/runs`: the run directories under `runsDir` that hold a metrics.jsonl, newest first
 *   (`{ runsDir, runs: [{ name, step, loss, valLoss, records, modified, finished, active }] }`).
 * - `GET /api/runs/:name/metrics`: that run's records and its resolved config
 *   (`{ name, records, config, modified, finished, active }`); a name that is not a plain folder name is a 400.
 *
 * No answer holds an absolute server path: `runsDir` and every path in a config or a record
 * are shown relative to the working directory, or by their last name (redact-paths.ts).
 * The pages and their files are public routes; with an API key (auth.ts) the JSON routes
 * need it like /v1, and the pages send the key the user typed (web/api-key.js).
 *
 * The pages are plain HTML + ES modules (no build step); they talk to `/v1/chat/completions`
 * and `/v1/tasks/*` like any other client.
 *
 * @example
 * const app = Fastify();
 * await registerUi(app, { runsDir: 'runs' });
 * await app.listen({ port: 8080 });   // open http://localhost:8080/
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { MetricRecord } from '../io/metrics-file.ts';
import { ApiError } from './errors.ts';
import { MetricsTails } from './metrics-tail.ts';
import { publicPath, redactPaths } from './redact-paths.ts';

/** Options of {@link registerUi}. */
export interface UiOptions {
  /** Folder whose sub-folders are training runs (default: `runs` in the working directory). */
  runsDir?: string;
}

/** One run of `GET /api/runs`. */
export interface RunSummary {
  name: string;
  /** Last step that has a record (0 when metrics.jsonl is empty). */
  step: number;
  /** Training loss of the last train record, null when none. */
  loss: number | null;
  /** Validation loss of the last eval record, null when none. */
  valLoss: number | null;
  records: number;
  /** metrics.jsonl modification time, ISO 8601. */
  modified: string;
  /** The trainer wrote its final record (the whole-split evaluation, or a non-finite-loss error). */
  finished: boolean;
  /** Not finished and metrics.jsonl was written within the last {@link ACTIVE_MS} ms: the run is training. */
  active: boolean;
}

/** True when the last records say the run ended: the final eval over the whole split (batches -1) or an error record. */
export function runFinished(recs: readonly MetricRecord[]): boolean {
  const last = recs[recs.length - 1];
  if (!last) return false;
  return (last.kind === 'eval' && last.batches === -1) || typeof last.error === 'string';
}

/** A run whose metrics.jsonl changed this recently counts as training (the dashboard then polls it). */
export const ACTIVE_MS = 60_000;

const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const RUN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(js|css|svg|html)$/;
const MIME: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  html: 'text/html; charset=utf-8',
};

/** Path of chart.js's self-contained browser build (UMD, defines `window.Chart`). */
function chartJsPath(): string {
  const main = createRequire(import.meta.url).resolve('chart.js'); // .../chart.js/dist/chart.cjs
  return join(dirname(main), 'chart.umd.js');
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(404).type('application/json').send(new ApiError(404, message, { type: 'not_found_error' }).body());
}

async function sendFile(reply: FastifyReply, path: string, type: string): Promise<FastifyReply> {
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch {
    return notFound(reply, `not found: ${basename(path)}`);
  }
  return reply.type(type).header('cache-control', 'no-cache').send(body);
}

function lastNumber(recs: readonly MetricRecord[], kind: 'train' | 'eval', key: string): number | null {
  for (let i = recs.length - 1; i >= 0; i--) {
    const v = recs[i]!;
    if (v.kind === kind && typeof v[key] === 'number') return v[key] as number;
  }
  return null;
}

/** Reads the run's resolved config: train_config.json (written by the trainer), else config.json. */
async function readRunConfig(dir: string): Promise<Record<string, unknown> | null> {
  for (const name of ['train_config.json', 'config.json']) {
    try {
      const parsed: unknown = JSON.parse(await readFile(join(dir, name), 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // missing or being rewritten: try the next one
    }
  }
  return null;
}

/** metrics.jsonl of every run, read incrementally between polls. */
const tails = new MetricsTails();

/** A run directory's records and state, or null when it has no metrics.jsonl. */
async function readRun(dir: string): Promise<{ records: MetricRecord[]; modified: string; finished: boolean; active: boolean } | null> {
  const run = await tails.read(join(dir, 'metrics.jsonl'));
  if (!run) return null;
  const { records, mtime } = run;
  const finished = runFinished(records);
  return { records, modified: mtime.toISOString(), finished, active: !finished && Date.now() - mtime.getTime() < ACTIVE_MS };
}

/** Lists the runs under `runsDir` that have a metrics.jsonl, most recently modified first. */
export async function listRuns(runsDir: string): Promise<RunSummary[]> {
  if (!existsSync(runsDir) || !(await stat(runsDir)).isDirectory()) return [];
  const out: RunSummary[] = [];
  for (const entry of await readdir(runsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !RUN_NAME.test(entry.name)) continue;
    const run = await readRun(join(runsDir, entry.name));
    if (!run) continue;
    const recs = run.records;
    out.push({
      name: entry.name,
      step: recs.reduce((m, r) => Math.max(m, r.step), 0),
      loss: lastNumber(recs, 'train', 'loss'),
      valLoss: lastNumber(recs, 'eval', 'valLoss'),
      records: recs.length,
      modified: run.modified,
      finished: run.finished,
      active: run.active,
    });
  }
  return out.sort((a, b) => b.modified.localeCompare(a.modified) || a.name.localeCompare(b.name));
}

/**
 * Adds the UI routes to a fastify app: `/`, `/tasks`, `/dashboard`, `/ui/<file>` (web/), `/ui/vendor/chart.umd.js`,
 * `GET /api/runs` and `GET /api/runs/:name/metrics`. The pages and their files are public; the JSON
 * routes are guarded by the server's API key, when it has one.
 */
export async function registerUi(app: FastifyInstance, opts: UiOptions = {}): Promise<void> {
  const runsDir = resolve(opts.runsDir ?? 'runs');
  const chartJs = chartJsPath();

  const page = { config: { public: true } }; // static files: no data in them, open without the API key
  app.get('/', page, (_req, reply) => sendFile(reply, join(WEB_DIR, 'index.html'), MIME.html!));
  app.get('/dashboard', page, (_req, reply) => sendFile(reply, join(WEB_DIR, 'dashboard.html'), MIME.html!));
  app.get('/tasks', page, (_req, reply) => sendFile(reply, join(WEB_DIR, 'tasks.html'), MIME.html!));
  app.get('/ui/vendor/chart.umd.js', page, (_req, reply) => sendFile(reply, chartJs, MIME.js!));
  app.get<{ Params: { file: string } }>('/ui/:file', page, (req, reply) => {
    const file = req.params.file;
    const m = ASSET_NAME.exec(file);
    if (!m) return notFound(reply, `no asset ${JSON.stringify(file)}`);
    return sendFile(reply, join(WEB_DIR, file), MIME[m[1]!]!);
  });

  app.get('/api/runs', async () => ({ runsDir: publicPath(runsDir), runs: await listRuns(runsDir) }));

  app.get<{ Params: { name: string } }>('/api/runs/:name/metrics', async (req, reply) => {
    const name = req.params.name;
    if (!RUN_NAME.test(name)) {
      const message = `bad run name ${JSON.stringify(name)}: use the name of a folder directly under the runs directory (letters, digits, '.', '_', '-')`;
      return reply.code(400).send(new ApiError(400, message, { param: 'name' }).body());
    }
    const dir = join(runsDir, name);
    const run = await readRun(dir);
    if (!run) return notFound(reply, `no run ${JSON.stringify(name)} with a metrics.jsonl in the runs directory (${publicPath(runsDir)})`);
    return {
      name, records: redactPaths(run.records), config: redactPaths(await readRunConfig(dir)), modified: run.modified, finished: run.finished, active: run.active,
    };
  });
}
