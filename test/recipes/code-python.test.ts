// The code-python recipe's data (src/recipes/code-python-data.ts: which files, the split by
// module, the evaluation positions) and the n-gram side of the next-line evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGramModel } from '../../src/eval/ngram.ts';
import { findStdlib, nextLinePositions, readPythonFiles, splitByModule, type SourceFile } from '../../src/recipes/code-python-data.ts';
import { ngramNextLine, sameLine } from '../../src/recipes/code-python-eval.ts';
import { codeTokenizer, fileIds } from '../../src/recipes/code-python.ts';
import { LlmtsError } from '../../src/util/errors.ts';

test('readPythonFiles: .py files in path order, skipping tests, encodings, pydoc_data, __pycache__ and site-packages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-test-stdlib-'));
  try {
    for (const d of ['pkg', 'test', 'pkg/tests', 'encodings', 'pydoc_data', '__pycache__', 'site-packages']) mkdirSync(join(dir, d), { recursive: true });
    for (const f of ['b.py', 'a.py', 'pkg/m.py', 'test/t.py', 'pkg/tests/t.py', 'encodings/cp1.py', 'pydoc_data/topics.py', 'site-packages/x.py', 'notes.txt']) writeFileSync(join(dir, f), 'x = 1\r\n');
    writeFileSync(join(dir, 'empty.py'), '');
    const files = readPythonFiles(dir);
    assert.deepEqual(files.map((f) => f.path), ['a.py', 'b.py', join('pkg', 'm.py')]);
    assert.equal(files[0]!.text, 'x = 1\n');
    assert.throws(() => readPythonFiles(join(dir, 'test', 'nothing')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('splitByModule: by a hash of the path, the same whatever the order; no file on both sides', () => {
  const files: SourceFile[] = Array.from({ length: 200 }, (_, i) => ({ path: `m${i}.py`, text: '' }));
  const a = splitByModule(files, 10);
  const b = splitByModule([...files].reverse(), 10);
  assert.deepEqual(a.heldApart.map((f) => f.path).sort(), b.heldApart.map((f) => f.path).sort());
  assert.equal(a.train.length + a.heldApart.length, 200);
  assert.ok(a.heldApart.length > 5 && a.heldApart.length < 40, `${a.heldApart.length} held apart`);
  assert.ok(a.heldApart.every((f) => !a.train.includes(f)));
});

test('the real stdlib is found and read (python3 is on PATH in CI)', () => {
  const dir = findStdlib();
  const files = readPythonFiles(dir);
  assert.ok(files.some((f) => f.path === 'os.py'));
  assert.ok(!files.some((f) => f.path.startsWith(`test${'/'}`)));
  assert.throws(() => findStdlib('no-such-python-llmts'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_PYTHON');
});

test('nextLinePositions: seeded non-blank lines from line 3 on, with the source before them', () => {
  const files: SourceFile[] = [{ path: 'a.py', text: 'import os\n\ndef f():\n    return 1\n\n\nx = f()\n' }];
  const ps = nextLinePositions(files, 10, 1);
  assert.deepEqual(ps.map((p) => p.line).sort(), [3, 4, 7]);
  for (const p of ps) {
    const lines = files[0]!.text.split('\n');
    assert.equal(p.target, lines[p.line - 1]);
    assert.equal(p.before, lines.slice(0, p.line - 1).map((l) => `${l}\n`).join(''));
  }
  assert.deepEqual(nextLinePositions(files, 10, 1), ps);
  assert.equal(nextLinePositions(files, 2, 1).length, 2);
});

test('the n-gram next line: greedy from the same prompt ids, one line, compared without trailing spaces', async () => {
  const files: SourceFile[] = [{ path: 'a.py', text: 'def f(a):\n    return a + 1\n\n\ndef g(b):\n    return b * 2\n' }];
  const tokenizer = await codeTokenizer(files, 280);
  const ng = new NGramModel(5);
  for (const ids of fileIds(tokenizer, files)) ng.train(ids);
  assert.equal(ngramNextLine(ng, tokenizer, 'def g(b):\n'), '    return b * 2');
  assert.equal(ngramNextLine(ng, tokenizer, 'x = 1\ndef f(a):\n'), '    return a + 1');
  assert.ok(sameLine('    x = 1  ', '    x = 1'));
  assert.ok(!sameLine('x = 1', '    x = 1'));
});
