/**
 * `npm run bench -- tasks [--only a,b] [--sst2 DIR] [--minutes N] [--out DIR]`: the table of
 * tasks (issue 18): for each task the command that makes its model, the model, the data,
 * the metric, the baseline computed in the same run and the figure. Each task runs its
 * recipe (src/recipes/registry.ts) as `llmts recipe <name>` does, so the figures are the
 * recipe's own evaluation:
 * - sentiment: UCI 5-fold accuracy beside naive Bayes (target >= 85%; with --sst2 the
 *   classifier first learns SST-2's 67k phrases, read where they lie);
 * - code: next-line exact match on held-apart stdlib modules beside an order-5 n-gram
 *   (target >= 1.5x), HumanEval pass@1 (sandboxed python3; ~0 expected at this size);
 * - translation / summarisation: the translate-en-fr / summarize-scitldr recipes, when
 *   registered;
 * - retrieval: `runRetrievalBench` of bench/retrieval.ts (the embed recipe's encoder; BM25,
 *   dense and hybrid), when that file exists.
 * A task whose recipe or bench is missing prints "not available" instead of failing.
 * `--only` picks tasks by name (sentiment, code, translation, summarisation, retrieval);
 * `--minutes` overrides every recipe's training minutes; `--out` keeps the models there
 * (default: a temporary folder, removed at the end).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { numberFlag } from '../src/cli/flags.ts';
import { loadRecipe, recipeNames, type RecipeEvalRow } from '../src/recipes/registry.ts';
import { LlmtsError } from '../src/util/errors.ts';

/** One task of the table. */
interface TaskSpec {
  name: string;
  /** The recipe that makes its model (null: a bench function instead). */
  recipe: string | null;
  data: string;
  target: string;
}

const TASKS: TaskSpec[] = [
  { name: 'sentiment', recipe: 'sentiment', data: 'UCI sentiment 2,400 sentences, 5 folds (+ SST-2 train with --sst2)', target: 'accuracy >= 0.85' },
  { name: 'code', recipe: 'code-python', data: 'Python stdlib source, 5% of modules held apart; HumanEval 164', target: 'exact match >= 1.5x n-gram; pass@1 reported' },
  { name: 'translation', recipe: 'translate-en-fr', data: 'Tatoeba en-fr', target: "the seq2seq issue's BLEU / chrF" },
  { name: 'summarisation', recipe: 'summarize-scitldr', data: 'SciTLDR-A', target: "the seq2seq issue's ROUGE" },
  { name: 'retrieval', recipe: null, data: 'en->fr 1,000 candidates; SciTLDR TLDR->abstract', target: 'en->fr R@1 >= 0.80; SciTLDR hybrid >= BM25' },
];

/** One printed row. */
interface Row {
  task: string;
  command: string;
  model: string;
  data: string;
  metric: string;
  baseline: string;
  figure: string;
}

const fmt = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(3));

/** The shape bench/retrieval.ts exports (read at run time: the file may not exist). */
interface RetrievalModule {
  runRetrievalBench: (o: { minutes?: number; out?: string; log?: (l: string) => void }) => Promise<{ model: string; trainSeconds: number | null;
    reports: { name: string; recallAt1: Record<string, number | undefined> }[] }>;
}

/** Runs one recipe and turns its evaluation rows into table rows. */
async function recipeRows(t: TaskSpec, o: { out: string; minutes?: number; sst2?: string }): Promise<Row[]> {
  const recipe = await loadRecipe(t.recipe!);
  const flags: Record<string, string | undefined> = {};
  if (o.sst2 !== undefined && recipe.options && 'sst2' in recipe.options) flags.sst2 = o.sst2;
  const minutes = o.minutes ?? recipe.defaultMinutes;
  const t0 = performance.now();
  const res = await recipe.run({ out: join(o.out, recipe.name), minutes, seed: 1, log: (l) => console.log(`[${t.name}] ${l}`), flags });
  const secs = (performance.now() - t0) / 1000;
  const command = `llmts recipe ${recipe.name}${flags.sst2 ? ` --sst2 ${flags.sst2}` : ''} --minutes ${minutes}`;
  const model = `${res.modelDir} (${secs.toFixed(0)} s with evaluation)`;
  return res.evaluation.map((e: RecipeEvalRow) => ({
    task: t.name, command, model, data: t.data, metric: e.metric,
    baseline: e.baseline === undefined ? '-' : `${e.baseline} ${fmt(e.baselineValue)}`,
    figure: fmt(e.value) + (e.baselineValue ? ` (${(e.value / e.baselineValue).toFixed(2)}x)` : ''),
  }));
}

/** The retrieval rows, from bench/retrieval.ts when it exists. */
async function retrievalRows(t: TaskSpec, o: { out: string; minutes?: number }): Promise<Row[] | string> {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'retrieval.ts');
  if (!existsSync(file)) return 'bench/retrieval.ts is not there';
  const mod = (await import(pathToFileURL(file).href)) as Partial<RetrievalModule>;
  if (typeof mod.runRetrievalBench !== 'function') return 'bench/retrieval.ts exports no runRetrievalBench';
  const r = await mod.runRetrievalBench({ minutes: o.minutes, out: join(o.out, 'embed'), log: (l) => console.log(`[${t.name}] ${l}`) });
  const model = `${r.model}${r.trainSeconds === null ? '' : ` (trained in ${r.trainSeconds.toFixed(0)} s)`}`;
  return r.reports.map((x) => ({
    task: t.name, command: 'llmts recipe embed; llmts index build / search', model, data: x.name, metric: 'R@1 hybrid (dense)',
    baseline: `BM25 ${fmt(x.recallAt1.bm25)}`, figure: `${fmt(x.recallAt1.hybrid)} (${fmt(x.recallAt1.dense)})`,
  }));
}

/** Prints rows as a markdown table. */
function printTable(rows: Row[]): void {
  const cols: (keyof Row)[] = ['task', 'command', 'model', 'data', 'metric', 'baseline', 'figure'];
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => r[c].replace(/\|/g, '\\|')).join(' | ')} |`);
}

/** Runs the benchmark; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  let values: { only?: string; sst2?: string; minutes?: string; out?: string };
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { only: { type: 'string' }, sst2: { type: 'string' }, minutes: { type: 'string' }, out: { type: 'string' } } }));
  } catch (err) {
    throw new LlmtsError('E_FLAG', `bench tasks: ${(err as Error).message}`, { where: 'flags', hint: 'flags: --only a,b --sst2 DIR --minutes N --out DIR' });
  }
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.find((n) => !TASKS.some((t) => t.name === n));
  if (unknown) throw new LlmtsError('E_FLAG', `--only: no task '${unknown}'`, { where: '--only', hint: `pick from ${TASKS.map((t) => t.name).join(', ')}` });
  const minutes = values.minutes === undefined ? undefined : numberFlag(values.minutes, '--minutes', 1, { min: 0, minExclusive: true });
  const out = values.out ?? mkdtempSync(join(tmpdir(), 'llmts-bench-tasks-'));
  const rows: Row[] = [];
  try {
    for (const t of TASKS.filter((x) => !only || only.includes(x.name))) {
      let result: Row[] | string;
      if (t.recipe !== null) {
        result = recipeNames().includes(t.recipe) ? await recipeRows(t, { out, minutes, sst2: values.sst2 }) : `recipe ${t.recipe} is not registered`;
      } else {
        result = await retrievalRows(t, { out, minutes });
      }
      if (typeof result === 'string') {
        console.log(`[${t.name}] not available: ${result}`);
        rows.push({ task: t.name, command: '-', model: '-', data: t.data, metric: '-', baseline: '-', figure: `not available (${result})` });
      } else {
        rows.push(...result);
      }
      console.log(`[${t.name}] target: ${t.target}`);
    }
  } finally {
    if (values.out === undefined) rmSync(out, { recursive: true, force: true });
  }
  console.log('');
  printTable(rows);
}
