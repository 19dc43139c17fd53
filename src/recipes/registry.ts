/**
 * Recipes: one command that trains a task model on bundled or named data with the right
 * preset, evaluates it and says how to use it (`llmts recipe <name> [--out DIR] [--minutes N]`).
 *
 * Adding a recipe (one file per recipe in src/recipes/):
 *   1. write `src/recipes/<name>.ts` exporting `recipe: Recipe` (below);
 *   2. add one line to `LOADERS` here: `'<name>': () => import('./<name>.ts'),`.
 * A recipe file imports only the types from this file (`import type`), so there is no
 * import cycle; its module is loaded only when that recipe is listed or run.
 *
 * The contract:
 * - `run({ out, minutes, seed, log, flags })` trains into `out` (a directory the recipe
 *   creates; the model directory it returns is `out` or a folder inside it), spends about
 *   `minutes` (default `defaultMinutes`) of training time, is deterministic for a `seed`
 *   (default 1), reports progress through `log` (one line each, no newline), and returns
 *   a `RecipeResult`: the model directory, the evaluation rows (each beside its baseline
 *   where the recipe computes one in the same run) and the how-to-use lines (commands).
 * - `flags` holds the recipe's own string flags, declared in `options` (e.g. the
 *   sentiment recipe's `--sst2 DIR`); `llmts recipe <name> --help` lists them.
 * - Errors a user can cause (missing data, a bad flag) are `LlmtsError`s.
 *
 * @example
 * const recipe = await loadRecipe('sentiment');
 * const result = await recipe.run({ out: 'runs/sentiment', minutes: 5, log: console.log });
 * console.log(formatRecipeResult(recipe, result).join('\n'));
 */
import { LlmtsError } from '../util/errors.ts';

/** One evaluation figure of a recipe's model, beside its baseline when there is one. */
export interface RecipeEvalRow {
  /** What was measured, e.g. 'UCI 5-fold accuracy'. */
  metric: string;
  /** The trained model's figure. */
  value: number;
  /** The baseline's name, e.g. 'naive Bayes' (computed in the same run). */
  baseline?: string;
  /** The baseline's figure on the same metric and data. */
  baselineValue?: number;
}

/** What a recipe returns: where the model is, how well it does, and how to use it. */
export interface RecipeResult {
  /** The directory of the trained model (loads wherever the how-to-use commands take --model). */
  modelDir: string;
  /** Evaluation rows, printed as a table at the end of the run. */
  evaluation: RecipeEvalRow[];
  /** How to use the model: ready-to-run command lines (the model directory filled in). */
  usage: string[];
}

/** What `Recipe.run` is given. */
export interface RecipeRunOptions {
  /** The output directory (created by the recipe). */
  out: string;
  /** About how many minutes of training (default: the recipe's `defaultMinutes`). */
  minutes?: number;
  /** The seed of everything random (default 1). */
  seed?: number;
  /** Progress: one line at a time. */
  log: (line: string) => void;
  /** The recipe's own flags (declared in `Recipe.options`), by name without `--`. */
  flags?: Record<string, string | undefined>;
}

/** A recipe: trains, evaluates and describes one task model. */
export interface Recipe {
  /** The name on the command line, e.g. 'sentiment'. */
  name: string;
  /** One line for `llmts recipe --list`. */
  summary: string;
  /** Training minutes when `--minutes` is not given. */
  defaultMinutes: number;
  /** The recipe's own string flags: name (without `--`) -> one help line. */
  options?: Record<string, string>;
  /** Trains, evaluates, and returns the model directory, evaluation and usage. */
  run(opts: RecipeRunOptions): Promise<RecipeResult>;
  /** Evaluates a model this recipe made earlier (`modelDir`), as `run` does at its end (recipes whose evaluation needs no training). */
  evaluate?(opts: RecipeEvalOptions): Promise<RecipeEvalRow[]>;
}

/** What `Recipe.evaluate` is given. */
export interface RecipeEvalOptions {
  modelDir: string;
  seed?: number;
  log: (line: string) => void;
  flags?: Record<string, string | undefined>;
}

/** The recipe files, by name; each module exports `recipe`. Add one line per recipe. */
const LOADERS: Record<string, () => Promise<{ recipe: Recipe }>> = {
  sentiment: () => import('./sentiment.ts'),
  'code-python': () => import('./code-python.ts'),
  embed: () => import('./embed.ts'),
  'translate-en-fr': () => import('./translate-en-fr.ts'),
  'summarize-scitldr': () => import('./summarize-scitldr.ts'),
};

/** The names of the registered recipes, in registration order. */
export function recipeNames(): string[] {
  return Object.keys(LOADERS);
}

/** Loads the recipe `name`; E_RECIPE (listing the known names) when there is none. */
export async function loadRecipe(name: string): Promise<Recipe> {
  const load = Object.hasOwn(LOADERS, name) ? LOADERS[name] : undefined;
  if (!load) {
    throw new LlmtsError('E_RECIPE', `no recipe named '${name}'`, {
      where: 'llmts recipe', hint: `pick one of: ${recipeNames().join(', ') || '(none registered)'} (llmts recipe --list)`,
    });
  }
  const { recipe } = await load();
  return recipe;
}

/** Every registered recipe, loaded (for `--list`). */
export async function listRecipes(): Promise<Recipe[]> {
  return Promise.all(recipeNames().map((n) => loadRecipe(n)));
}

/** A figure as printed: integers as they are, others to 4 significant digits. */
function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

/**
 * The end-of-run report of a recipe as lines: the evaluation table (metric, model,
 * baseline) and the how-to-use commands.
 */
export function formatRecipeResult(recipe: Recipe, result: RecipeResult): string[] {
  const lines = [`recipe ${recipe.name}: model in ${result.modelDir}`, '', 'evaluation:'];
  const rows = result.evaluation.map((r) => [r.metric, formatValue(r.value), r.baseline === undefined ? '' : `${r.baseline} ${r.baselineValue === undefined ? 'n/a' : formatValue(r.baselineValue)}`]);
  const header = ['metric', 'model', 'baseline (same run)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const row = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`;
  lines.push(row(header));
  for (const r of rows) lines.push(row(r));
  lines.push('', 'use it:');
  for (const u of result.usage) lines.push(`  ${u}`);
  return lines;
}
