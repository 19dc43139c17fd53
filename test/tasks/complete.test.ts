// Code completion end to end on a tiny decoder that has learnt two small functions by
// heart: complete() gives the next line and the block up to the dedent, `llmts complete`
// reads --file / stdin, prints text or --json, and refuses a bad line or mode.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGramModel } from '../../src/eval/ngram.ts';
import { nextLinePositions, splitByModule } from '../../src/recipes/code-python-data.ts';
import { nextLineExactMatch } from '../../src/recipes/code-python-eval.ts';
import { codeTokenizer, fileIds, recipe, trainCodeModel } from '../../src/recipes/code-python.ts';
import { complete } from '../../src/tasks/complete.ts';
import { loadTaskModel } from '../../src/tasks/model-kind.ts';
import { llmts } from '../cli-run.ts';

const ADD = 'def add(a, b):\n    total = a + b\n    return total\n\n\n';
const SNIPPET = `${ADD}def sub(x, y):\n    diff = x - y\n    return diff\n`;
let dir = '';
let modelDir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llmts-test-complete-'));
  modelDir = join(dir, 'model');
  const files = [{ path: 'a.py', text: SNIPPET }, { path: 'b.py', text: SNIPPET + SNIPPET }];
  const tokenizer = await codeTokenizer(files, 300);
  const ids = fileIds(tokenizer, files);
  await trainCodeModel(tokenizer, ids, ids, { vocab: 300, layers: 2, heads: 2, width: 64, block: 64, batch: 8, steps: 200, lr: 3e-3, seed: 1, positions: 0 }, modelDir, () => {});
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('complete: the next line, and the block up to the dedent', () => {
  const m = loadTaskModel(modelDir);
  const line = complete(m, 'def add(a, b):\n', { mode: 'line' });
  assert.deepEqual(line.lines, ['    total = a + b']);
  assert.equal(line.stop, 'line');
  const block = complete(m, `${ADD}def sub(x, y):\n`, { mode: 'block' });
  assert.deepEqual(block.lines, ['    diff = x - y', '    return diff']);
  assert.equal(block.stop, 'dedent');
  assert.ok(block.promptTokens > 1 && block.completionTokens > 0);
  const inside = complete(m, 'def add(a, b):\n    total = a + b\n', { mode: 'block' });
  assert.deepEqual(inside.lines, ['    return total']);
  // a line of spaces before the cursor: the prompt stops at the code (it ended in '\n    ' and the model wrote the next function's line)
  assert.deepEqual(complete(m, 'def add(a, b):\n    total = a + b\n    \n', { mode: 'line' }).lines, ['    return total']);
  assert.deepEqual(complete(m, ADD, { mode: 'line' }).lines, ['def sub(x, y):'], 'after blank lines: the next line of code');
});

test('llmts complete: --file --line, stdin, --json; a bad line or mode is one error line', () => {
  const f = join(dir, 'f.py');
  writeFileSync(f, 'def add(a, b):\n    total = a + b\n    return total\n');
  const text = llmts(['complete', '--model', modelDir, '--file', f, '--line', '2']);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout, '    total = a + b\n    return total\n');
  const json = llmts(['complete', '--model', modelDir, '--json', '--mode', 'line'], { input: `${ADD}def sub(x, y):\n` });
  assert.equal(json.code, 0, json.stderr);
  const j = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.deepEqual({ file: j.file, line: j.line, mode: j.mode, completion: j.completion, stop: j.stop }, { file: 'standard input', line: 7, mode: 'line', completion: '    diff = x - y', stop: 'line' });
  const bad = llmts(['complete', '--model', modelDir, '--file', f, '--line', '9']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^llmts: error E_LINE: line 9 is outside .*f\.py \(3 lines/m);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
  const mode = llmts(['complete', '--model', modelDir, '--file', f, '--mode', 'word']);
  assert.match(mode.stderr, /E_FLAG: --mode must be block or line/);
});

test('nextLineExactMatch: the memorised snippet is completed line by line; the n-gram model beside it on the same prompts', () => {
  const m = loadTaskModel(modelDir);
  assert.equal(m.kind, 'decoder');
  if (m.kind !== 'decoder') return;
  const ng = new NGramModel(5);
  for (const ids of fileIds(m.tokenizer, [{ path: 'a.py', text: SNIPPET }])) ng.train(ids);
  const positions = nextLinePositions([{ path: 'a.py', text: SNIPPET }], 10, 1);
  const r = nextLineExactMatch(m, ng, positions);
  assert.equal(r.n, positions.length);
  assert.equal(r.outcomes.length, positions.length);
  assert.ok(r.model >= 0.8, `model ${r.model}: ${JSON.stringify(r.outcomes.map((o) => [o.position.target, o.model]))}`);
  assert.ok(r.ngram >= 0 && r.ngram <= 1);
});

test('the code-python recipe\'s evaluate: a saved model on a folder of modules, the held-apart ones by path hash, beside the n-gram', async () => {
  const stdlib = join(dir, 'stdlib');
  mkdirSync(stdlib);
  const files = Array.from({ length: 40 }, (_, i) => ({ path: `m${i}.py`, text: SNIPPET }));
  for (const f of files) writeFileSync(join(stdlib, f.path), f.text);
  const { train, heldApart } = splitByModule(files, 5);
  assert.ok(heldApart.length > 0 && train.length > 0, `${heldApart.length} held apart`);
  const rows = await recipe.evaluate!({ modelDir, log: () => {}, flags: { stdlib, humaneval: join(dir, 'no-humaneval.jsonl') } });
  const m = loadTaskModel(modelDir);
  assert.ok(m.kind === 'decoder');
  const ng = new NGramModel(5);
  for (const ids of fileIds(m.tokenizer, train)) ng.train(ids);
  const want = nextLineExactMatch(m, ng, nextLinePositions(heldApart, 300, 1));
  assert.deepEqual(rows, [{ metric: `next-line exact match (${want.n} held-apart lines)`, value: want.model, baseline: 'order-5 n-gram, same tokens', baselineValue: want.ngram }]);
  assert.ok(want.model >= 0.8 && want.n > 0, `model ${want.model} on ${want.n} lines`);
});
