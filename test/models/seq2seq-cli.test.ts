/**
 * `llmts translate` / `llmts summarize` as a user runs them (spawned) on the tiny BART
 * fixture: the lines are transformers' generate outputs decoded (beam 4 and greedy, --text
 * and --file), and misuse is one E_ line with exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { llmts as runCli } from '../cli-run.ts';

const DIR = 'test/fixtures/hf-bart';
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  sources: string[]; generate: { settings: { num_beams: number; max_length: number }; single: { ids: number[] }[] }[];
};
const tok = loadTokenizer(join(DIR, 'model', 'tokenizer.json'));
const llmts = (...args: string[]) => runCli([...args], { timeoutMs: 120_000 });
const root = mkdtempSync(join(tmpdir(), 'llmts-translate-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** HF's output ids as text: without the start and end ids. */
const text = (ids: number[]) => tok.decode(ids.slice(1, ids[ids.length - 1] === 2 ? -1 : undefined), { skipSpecialTokens: true });

test('llmts translate --beams 4 prints transformers\' beam outputs, one JSON line per --text', () => {
  const beam = expected.generate.find((g) => g.settings.num_beams === 4 && g.settings.max_length === 20 && Object.keys(g.settings).length === 2)!;
  const r = llmts('translate', '--model', join(DIR, 'model'), ...expected.sources.flatMap((s) => ['--text', s]), '--beams', '4', '--max-length', '20', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as string), beam.single.map((s) => text(s.ids)));
});

test('llmts summarize --file decodes greedily by default, one line per non-empty input line', () => {
  const greedy = expected.generate.find((g) => g.settings.num_beams === 1)!;
  const file = join(root, 'docs.txt');
  writeFileSync(file, `${expected.sources.join('\n\n')}\n`);
  const r = llmts('summarize', '--model', join(DIR, 'model'), '--file', file, '--max-length', '20', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as string), greedy.single.map((s) => text(s.ids)));
});

test('misuse: no input, a bad flag, a decoder-only model: one E_ line, exit 1', () => {
  const cases: [string[], RegExp][] = [
    [['translate', '--model', join(DIR, 'model')], /E_USAGE: llmts translate needs --text or --file/],
    [['translate', '--model', join(DIR, 'model'), '--text', 'x', '--beams', '0'], /E_FLAG: --beams must be an integer >= 1/],
    [['summarize', '--model', 'test/fixtures/hf-bert/mlm', '--text', 'x'], /E_MODEL: llmts summarize: the model is a bert, not an encoder-decoder/],
  ];
  for (const [args, re] of cases) {
    const r = llmts(...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
