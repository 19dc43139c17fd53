// The fuzz runner finds what it is for: a raw exception, an input that never ends and a
// process that dies are each one finding that names the parser, seed and index, and the
// inputs after them still run (fixtures/broken-targets.ts fail on purpose at input 2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from './runner.ts';

const targets = new URL('./fixtures/broken-targets.ts', import.meta.url).href;

test('fuzz runner: exceptions, hangs and dead workers are findings with their index; the other inputs still run', async () => {
  const reports = await runFuzz(['type error', 'endless loop', 'killed', 'well behaved'], { seed: 9, inputTimeoutMs: 1500, targets });
  const summary = reports.map((r) => ({
    parser: r.parser, inputs: r.inputs, ok: r.ok, expected: r.expected,
    findings: r.findings.map((f) => `${f.parser} seed ${f.seed} index ${f.index}: ${f.type}`),
  }));
  assert.deepEqual(summary, [
    { parser: 'type error', inputs: 5, ok: 2, expected: { 'LlmtsError E_FUZZ_FIXTURE': 2 }, findings: ['type error seed 9 index 2: TypeError'] },
    { parser: 'endless loop', inputs: 5, ok: 2, expected: { 'LlmtsError E_FUZZ_FIXTURE': 2 }, findings: ['endless loop seed 9 index 2: Timeout'] },
    { parser: 'killed', inputs: 5, ok: 2, expected: { 'LlmtsError E_FUZZ_FIXTURE': 2 }, findings: ['killed seed 9 index 2: WorkerError'] },
    { parser: 'well behaved', inputs: 5, ok: 3, expected: { 'LlmtsError E_FUZZ_FIXTURE': 2 }, findings: [] },
  ]);
  assert.match(reports[0]!.findings[0]!.stack, /broken-targets\.ts/);
  assert.deepEqual(reports[0]!.findings[0]!.log, ['input 2']);
});
