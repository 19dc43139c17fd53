/**
 * `llmts recipe`: train a task model in one command (src/recipes/registry.ts), print its
 * evaluation beside a baseline and how to use it.
 *
 *   llmts recipe --list
 *   llmts recipe sentiment [--out DIR] [--minutes N] [--seed S] [recipe flags]
 */
import { join } from 'node:path';
import { listRecipes, loadRecipe, formatRecipeResult, type Recipe } from '../recipes/registry.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags, type FlagOptions } from './flags.ts';

const HELP = `usage: llmts recipe <name> [--out DIR] [--minutes N] [--seed S] [recipe flags]
       llmts recipe --list

Trains the task model of recipe <name> on its bundled or named data with the right preset,
prints its evaluation (beside a baseline computed in the same run) and how to use it.

options:
  --list         the recipes, one line each
  --out DIR      where the model goes (default runs/recipes/<name>)
  --minutes N    about how many minutes of training (default: the recipe's own)
  --seed S       seed of everything random (default 1)
  -h, --help     this help; llmts recipe <name> --help adds the recipe's own flags`;

const COMMON = {
  list: { type: 'boolean' }, out: { type: 'string' }, minutes: { type: 'string' }, seed: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagOptions;

/** The recipe's help: the common flags and its own. */
function recipeHelp(recipe: Recipe): string {
  const own = Object.entries(recipe.options ?? {}).map(([k, v]) => `  --${`${k} V`.padEnd(13)}${v}`);
  return [`usage: llmts recipe ${recipe.name} [--out DIR] [--minutes N] [--seed S]${own.length > 0 ? ' [recipe flags]' : ''}`, '',
    recipe.summary, `(default ${recipe.defaultMinutes} min of training)`, '', HELP.split('\n').slice(6).join('\n'),
    ...(own.length > 0 ? ['', 'recipe flags:', ...own] : [])].join('\n');
}

/** Runs `llmts recipe`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const name = argv.find((a) => !a.startsWith('-'));
  if (name === undefined) {
    const { values } = parseFlags('recipe', argv, COMMON);
    if (values.list) {
      const recipes = await listRecipes();
      for (const r of recipes) console.log(`${r.name.padEnd(18)} ${r.summary} (${r.defaultMinutes} min)`);
      return 0;
    }
    console.log(HELP);
    return values.help ? 0 : 1;
  }
  const recipe = await loadRecipe(name);
  const own: FlagOptions = Object.fromEntries(Object.keys(recipe.options ?? {}).map((k) => [k, { type: 'string' }]));
  const { values, positionals } = parseFlags('recipe', argv, { ...own, ...COMMON }, { allowPositionals: true });
  if (positionals.length > 1) {
    throw new LlmtsError('E_FLAG', `unexpected argument '${positionals[1]}': llmts recipe takes one recipe name`, { where: 'llmts recipe', hint: 'run `llmts recipe --list` for the names' });
  }
  if (values.help) {
    console.log(recipeHelp(recipe));
    return 0;
  }
  const minutes = numberFlag(values.minutes, '--minutes', recipe.defaultMinutes, { min: 0, minExclusive: true });
  const seed = numberFlag(values.seed, '--seed', 1, { int: true, min: 0 });
  const out = typeof values.out === 'string' ? values.out : join('runs', 'recipes', recipe.name);
  const flags: Record<string, string | undefined> = {};
  for (const k of Object.keys(recipe.options ?? {})) {
    const v = (values as Record<string, unknown>)[k];
    flags[k] = typeof v === 'string' ? v : undefined;
  }
  const result = await recipe.run({ out, minutes, seed, log: (line) => console.log(line), flags });
  console.log('');
  console.log(formatRecipeResult(recipe, result).join('\n'));
  return 0;
}
