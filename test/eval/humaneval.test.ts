// HumanEval's reader and sandbox (src/eval/humaneval*.ts) on made-up problems: a correct
// completion passes, a wrong one fails, an endless loop is a timeout, and the program can
// reach neither the network nor a subprocess nor the test's working directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { humanEvalProgram, readHumanEval, scoreHumanEval, type HumanEvalProblem } from '../../src/eval/humaneval.ts';
import { runPythonSandboxed } from '../../src/eval/humaneval-sandbox.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const ADD: HumanEvalProblem = {
  taskId: 'Toy/0', entryPoint: 'add', canonicalSolution: '    return a + b\n',
  prompt: 'def add(a, b):\n    """Sum of a and b."""\n',
  test: 'def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n',
};

test('a correct completion passes, a wrong one fails, an endless loop times out', async () => {
  const r = await scoreHumanEval([ADD, { ...ADD, taskId: 'Toy/1' }, { ...ADD, taskId: 'Toy/2' }], (p) => ({
    'Toy/0': '    return a + b\n', 'Toy/1': '    return a - b\n', 'Toy/2': '    while True:\n        pass\n',
  })[p.taskId]!, { timeoutMs: 3000 });
  assert.deepEqual(r.outcomes.map((o) => o.outcome.status), ['passed', 'failed', 'timeout']);
  assert.match(r.outcomes[1]!.outcome.detail, /AssertionError/);
  assert.equal(r.passed, 1);
  assert.equal(r.passAt1, 1 / 3);
});

test('the program is the prompt, the completion, the tests and check(entry point)', () => {
  assert.equal(humanEvalProgram(ADD, '    return 0\n'), `${ADD.prompt}    return 0\n\n\n${ADD.test}\n\ncheck(add)\n`);
});

test('the sandbox: no network, no subprocess, no file deletion, its own temporary directory', async () => {
  const net = await runPythonSandboxed('import socket\ns = socket.create_connection(("127.0.0.1", 9))\n');
  assert.equal(net.status, 'failed');
  assert.match(net.detail, /OSError|Network is unreachable|network access is disabled/);
  const sub = await runPythonSandboxed('import subprocess\nsubprocess.run(["echo", "hi"])\n');
  assert.equal(sub.status, 'failed');
  const dir = mkdtempSync(join(tmpdir(), 'llmts-test-sandbox-'));
  try {
    writeFileSync(join(dir, 'keep.txt'), 'x');
    const rm = await runPythonSandboxed(`import os\nos.remove(${JSON.stringify(join(dir, 'keep.txt'))})\n`);
    assert.equal(rm.status, 'failed');
    assert.equal(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'x');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const cwd = await runPythonSandboxed(`import os\nassert os.path.basename(os.getcwd()).startswith('llmts-sandbox-'), os.getcwd()\nassert os.environ.get('HOME') == os.getcwd()\n`);
  assert.equal(cwd.status, 'passed', cwd.detail);
  const mem = await runPythonSandboxed('x = bytearray(2 * 1024 * 1024 * 1024)\n', { memoryMb: 256 });
  assert.equal(mem.status, 'failed');
  assert.match(mem.detail, /MemoryError/);
});

test('readHumanEval: .jsonl.gz and .jsonl; a record without entry_point is E_DATA naming the line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-test-humaneval-'));
  try {
    const rec = { task_id: 'Toy/0', prompt: ADD.prompt, test: ADD.test, entry_point: 'add', canonical_solution: ADD.canonicalSolution };
    writeFileSync(join(dir, 'p.jsonl.gz'), gzipSync(`${JSON.stringify(rec)}\n`));
    assert.deepEqual(readHumanEval(join(dir, 'p.jsonl.gz')), [ADD]);
    writeFileSync(join(dir, 'bad.jsonl'), `${JSON.stringify(rec)}\n${JSON.stringify({ ...rec, entry_point: undefined })}\n`);
    assert.throws(() => readHumanEval(join(dir, 'bad.jsonl')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA' && /bad\.jsonl:2/.test(e.message) && /entry_point/.test(e.message));
    assert.throws(() => readHumanEval(join(dir, 'none.jsonl')), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundled HumanEval: 164 problems, and the canonical solutions of the first three pass in the sandbox', async () => {
  const problems = readHumanEval('data/humaneval/HumanEval.jsonl.gz');
  assert.equal(problems.length, 164);
  const r = await scoreHumanEval(problems.slice(0, 3), (p) => p.canonicalSolution, {});
  assert.equal(r.passed, 3, r.outcomes.map((o) => o.outcome.detail).join('\n'));
});
