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
 *
 * `--model TASK=DIR` (repeatable) measures a model made earlier instead of training one:
 * code (the code-python recipe's model directory: `Recipe.evaluate`), retrieval (an
 * encoder: `runRetrievalBench({ model })`), translation / summarisation (a run directory
 * of `llmts train --preset translate-en-fr | summarize-scitldr`: its eval.json, written by
 * the preset's final evaluation; without one the row says so). Sentiment's figure is
 * 5-fold training, so it takes no model.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  runRetrievalBench: (o: { model?: string; minutes?: number; out?: string; log?: (l: string) => void }) => Promise<{ model: string; trainSeconds: number | null;
    reports: { name: string; denseWeight: number; recallAt1: Record<string, number | undefined> }[] }>;
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
  return res.evaluation.map((e: RecipeEvalRow) => tableRow(t, command, model, e));
}

/** Rows of a recipe's model made earlier (`Recipe.evaluate`). */
async function evaluatedRows(t: TaskSpec, modelDir: string): Promise<Row[] | string> {
  const recipe = await loadRecipe(t.recipe!);
  if (!recipe.evaluate) return `recipe ${recipe.name} cannot evaluate a model made earlier`;
  if (!existsSync(modelDir)) return `${modelDir} does not exist`;
  const t0 = performance.now();
  const rows = await recipe.evaluate({ modelDir, seed: 1, log: (l) => console.log(`[${t.name}] ${l}`) });
  const model = `${modelDir} (evaluated in ${((performance.now() - t0) / 1000).toFixed(0)} s)`;
  return rows.map((e) => tableRow(t, `llmts recipe ${recipe.name} (model made earlier)`, model, e));
}

/** eval.json keys of the seq2seq presets' final evaluation (src/train/seq2seq-recipes.ts), as the recipes report them: metric, model key, baseline, baseline key. */
const SEQ2SEQ_ROWS: Record<string, [string, string, string, string][]> = {
  translation: [
    ['sacreBLEU, held-apart 1,000 English sources, beam 4', 'bleuBeam', 'greedy', 'bleuGreedy'],
    ['chrF, held-apart, beam 4', 'chrfBeam', 'greedy', 'chrfGreedy'],
  ],
  summarisation: [
    ['dev ROUGE-1, extractive scorer', 'extractiveRouge1', 'Lead-1', 'lead1Rouge1'],
    ['dev ROUGE-2, extract-then-rewrite', 'abstractiveRouge2', 'Lead-1', 'lead1Rouge2'],
    ['dev ROUGE-L, extract-then-rewrite', 'abstractiveRougeL', 'Lead-1', 'lead1RougeL'],
  ],
};

/** Rows of a seq2seq run directory's eval.json (see the module comment). */
function seq2seqRunRows(t: TaskSpec, runDir: string): Row[] | string {
  const file = join(runDir, 'eval.json');
  if (!existsSync(file)) return `${file} does not exist (the run has not finished its final evaluation)`;
  let scores: Record<string, unknown>;
  try {
    scores = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new LlmtsError('E_DATA', `${file} is not JSON: ${(err as Error).message}`, { where: file, hint: 'the eval.json of a finished llmts train --preset run' });
  }
  const num = (k: string): number | undefined => (typeof scores[k] === 'number' ? scores[k] as number : undefined);
  const model = `${runDir} (step ${num('step') ?? '?'}, ${num('trainSeconds') ?? '?'} s training)`;
  return SEQ2SEQ_ROWS[t.name]!.map(([metric, key, baseline, baseKey]) => tableRow(t, `llmts train --preset ${t.recipe}`, model,
    { metric, value: num(key) ?? Number.NaN, baseline, baselineValue: num(baseKey) }));
}

/** One table row of an evaluation row. */
function tableRow(t: TaskSpec, command: string, model: string, e: RecipeEvalRow): Row {
  return {
    task: t.name, command, model, data: t.data, metric: e.metric,
    baseline: e.baseline === undefined ? '-' : `${e.baseline} ${fmt(e.baselineValue)}`,
    figure: fmt(e.value) + (e.baselineValue ? ` (${(e.value / e.baselineValue).toFixed(2)}x)` : ''),
  };
}

/** The retrieval rows, from bench/retrieval.ts when it exists. */
async function retrievalRows(t: TaskSpec, o: { out: string; minutes?: number; model?: string }): Promise<Row[] | string> {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'retrieval.ts');
  if (!existsSync(file)) return 'bench/retrieval.ts is not there';
  const mod = (await import(pathToFileURL(file).href)) as Partial<RetrievalModule>;
  if (typeof mod.runRetrievalBench !== 'function') return 'bench/retrieval.ts exports no runRetrievalBench';
  const r = await mod.runRetrievalBench({ model: o.model, minutes: o.minutes, out: join(o.out, 'embed'), log: (l) => console.log(`[${t.name}] ${l}`) });
  const model = `${r.model}${r.trainSeconds === null ? '' : ` (trained in ${r.trainSeconds.toFixed(0)} s)`}`;
  return r.reports.map((x) => ({
    task: t.name, command: 'llmts recipe embed; llmts index build / search', model, data: x.name, metric: `R@1 hybrid, dense weight ${x.denseWeight} (dense alone)`,
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
  let values: { only?: string; sst2?: string; minutes?: string; out?: string; model?: string[] };
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { only: { type: 'string' }, sst2: { type: 'string' }, minutes: { type: 'string' }, out: { type: 'string' }, model: { type: 'string', multiple: true } } }));
  } catch (err) {
    throw new LlmtsError('E_FLAG', `bench tasks: ${(err as Error).message}`, { where: 'flags', hint: 'flags: --only a,b --sst2 DIR --minutes N --out DIR --model TASK=DIR' });
  }
  const models = new Map<string, string>();
  for (const m of values.model ?? []) {
    const eq = m.indexOf('=');
    const task = m.slice(0, eq), dir = m.slice(eq + 1);
    if (eq <= 0 || dir === '' || !TASKS.some((t) => t.name === task) || task === 'sentiment') {
      throw new LlmtsError('E_FLAG', `--model ${m}: expected TASK=DIR with TASK one of code, translation, summarisation, retrieval`, { where: '--model', hint: 'e.g. --model code=runs/code-python/model (sentiment is 5-fold training: it takes no model)' });
    }
    models.set(task, dir);
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
      const given = models.get(t.name);
      if (t.recipe === null) {
        result = await retrievalRows(t, { out, minutes, model: given });
      } else if (!recipeNames().includes(t.recipe)) {
        result = `recipe ${t.recipe} is not registered`;
      } else if (given === undefined) {
        result = await recipeRows(t, { out, minutes, sst2: values.sst2 });
      } else {
        result = SEQ2SEQ_ROWS[t.name] ? seq2seqRunRows(t, given) : await evaluatedRows(t, given);
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
