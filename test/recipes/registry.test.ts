// The recipe registry: unknown names are one E_RECIPE error listing the known ones, and
// the end-of-run report puts each figure beside its baseline and prints the usage lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRecipeResult, loadRecipe, recipeNames, type Recipe } from '../../src/recipes/registry.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { llmts, type CliResult } from '../cli-run.ts';

test('an unknown recipe is E_RECIPE naming it and the registered ones', async () => {
  await assert.rejects(loadRecipe('no-such-recipe'), (err: unknown) => {
    assert.ok(err instanceof LlmtsError);
    assert.equal(err.code, 'E_RECIPE');
    assert.match(err.message, /no recipe named 'no-such-recipe'/);
    for (const n of recipeNames()) assert.ok(err.message.includes(n), `hint lists ${n}`);
    return true;
  });
  // Object prototype names are not recipes
  await assert.rejects(loadRecipe('toString'), /E_RECIPE|no recipe named/);
});

test('every registered recipe loads and has a name matching its key, a summary and default minutes', async () => {
  for (const n of recipeNames()) {
    const r = await loadRecipe(n);
    assert.equal(r.name, n);
    assert.ok(r.summary.length > 0);
    assert.ok(r.defaultMinutes > 0);
  }
});

test('formatRecipeResult: the evaluation table beside the baseline, then the usage lines', () => {
  const recipe: Recipe = { name: 'toy', summary: 'a toy', defaultMinutes: 1, run: () => Promise.reject(new Error('not run')) };
  const lines = formatRecipeResult(recipe, {
    modelDir: '/tmp/m',
    evaluation: [{ metric: 'accuracy', value: 0.875, baseline: 'naive Bayes', baselineValue: 0.8 }, { metric: 'pass@1', value: 0 }],
    usage: ['llmts sentiment --model /tmp/m --text "good"'],
  });
  assert.equal(lines[0], 'recipe toy: model in /tmp/m');
  const table = lines.join('\n');
  assert.match(table, /accuracy\s+0\.8750\s+naive Bayes 0\.8000/);
  assert.match(table, /pass@1\s+0\n/);
  assert.equal(lines.at(-1), '  llmts sentiment --model /tmp/m --text "good"');
});

/** Runs `llmts recipe ...` from the sources. */
function recipe(args: string[]): CliResult {
  return llmts(['recipe', ...args]);
}

test('llmts recipe: --list, a recipe\'s --help with its own flags, and user errors as one line', () => {
  const list = recipe(['--list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^sentiment\s+.+\(10 min\)$/m);
  assert.match(list.stdout, /^code-python\s+.+\(15 min\)$/m);
  const help = recipe(['sentiment', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--sst2 V/);
  const cases: [string[], RegExp][] = [
    [['nope'], /^llmts: error E_RECIPE: no recipe named 'nope'.*sentiment, code-python/],
    [['sentiment', '--minutes', '0'], /^llmts: error E_FLAG: --minutes must be a number > 0, got '0'/],
    [['sentiment', '--uci', 'no/such/dir'], /^llmts: error E_DATA: no UCI sentiment file no\/such\/dir\/amazon_cells_labelled\.txt/],
    [['sentiment', 'code-python'], /^llmts: error E_FLAG: unexpected argument 'code-python'/],
  ];
  for (const [args, re] of cases) {
    const r = recipe(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr.trim(), re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
