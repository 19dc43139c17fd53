/**
 * `llmts train-tree` and `llmts sentiment` end to end on a tiny hand-written tree set
 * (never SST: it has no licence): train, save, load, the sentence label and every
 * phrase's label; the errors a user can cause are one `llmts: error E_...` line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llmts as runCli } from '../cli-run.ts';

const llmts = (...args: string[]) => runCli([...args], { timeoutMs: 180_000 });
const root = mkdtempSync(join(tmpdir(), 'llmts-tree-cli-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const TREES = [
  '(3 (2 a) (3 good))', '(1 (2 a) (1 bad))', '(4 (2 a) (4 great))', '(0 (2 an) (0 awful))',
  '(3 (3 good) (2 film))', '(1 (1 bad) (2 film))', '(4 (4 great) (2 film))', '(0 (0 awful) (2 film))',
].join('\n') + '\n';
writeFileSync(join(root, 'train.txt'), TREES);
writeFileSync(join(root, 'dev.txt'), TREES);
const model = join(root, 'model');

function oneErrorLine(r: ReturnType<typeof llmts>, code: string, re: RegExp): void {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`^llmts: error ${code}: `));
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('llmts train-tree learns a tiny tree set, prints the dev table beside naive Bayes and saves the model', () => {
  const r = llmts('train-tree', '--data', root, '--out', model, '--epochs', '60', '--batch-size', '4', '--lr', '0.05', '--embed', '8',
    '--hidden', '8', '--dropout', '0', '--min-count', '1', '--weight-decay', '0');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /epoch 60\/60 \| dev root fine 100\.0% \| binary 100\.0% \| phrases 100\.0%/);
  assert.match(r.stdout, /tree-lstm +\| 100\.0% +\| 100\.0% +\| 100\.0%\nnaive Bayes \(unigrams\) +\| \d+\.\d% +\| \d+\.\d% +\| \d+\.\d%\n\(8 roots; 8 not neutral/);
  for (const f of ['model.safetensors', 'config.json', 'vocab.txt']) assert.ok(existsSync(join(model, f)), f);
});

test('llmts sentiment: the sentence label, its probabilities and (--tree) every phrase\'s label', () => {
  const j = llmts('sentiment', '--model', model, '--ptb', '(0 (0 a) (0 great))', '--tree', '--json');
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { label: string; id: number; probabilities: Record<string, number>; tree: string; phrases: { text: string; id: number; depth: number }[] };
  assert.equal(out.id, 4);
  assert.equal(out.label, 'very positive');
  const total = Object.values(out.probabilities).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1) < 1e-5, `probabilities sum to ${total}`);
  assert.ok(out.probabilities['very positive']! > 0.5);
  assert.equal(out.tree, '(4 (2 a) (4 great))');
  assert.deepEqual(out.phrases.map((p) => [p.text, p.id, p.depth]), [['a great', 4, 0], ['a', 2, 1], ['great', 4, 1]]);

  const t = llmts('sentiment', '--model', model, '--text', 'an awful film', '--tree');
  assert.equal(t.code, 0, t.stderr);
  const lines = t.stdout.split('\n');
  assert.match(lines[0]!, /^(very negative \(0\)|negative \(1\)) {2}an awful film$/, 'composed right-branching: (an (awful film))');
  assert.match(t.stdout, /\nphrases:\n {2}\d \S.* an awful film\n {4}2 neutral +an\n {4}\d .* awful film\n {6}0 very negative +awful\n {6}2 neutral +film\n/);
});

test('llmts sentiment and train-tree: user errors are one line naming the file, flag or line', () => {
  oneErrorLine(llmts('sentiment', '--model', join(root, 'nope'), '--text', 'good'), 'E_MODEL_NOT_FOUND', /no model at .*nope/);
  oneErrorLine(llmts('sentiment', '--model', model, '--ptb', '(1 (2 a) (3 good)'), 'E_TREE', /unclosed '\(' .*\(at --ptb:1:18\)/);
  oneErrorLine(llmts('sentiment', '--model', model, '--ptb', '(1 (2 a) (3 good) (2 film))'), 'E_TREE', /exactly two children/);
  oneErrorLine(llmts('sentiment', '--model', model), 'E_USAGE', /one of --text and --ptb/);
  oneErrorLine(llmts('train', '--preset', 'shakespeare-char', '--arch=tree-lstm', '--maxSteps=30', '--out', join(root, 'run')), 'E_CONFIG', /llmts train does not train tree-lstm.*llmts train-tree/);
  oneErrorLine(llmts('train-tree', '--data', join(root, 'missing')), 'E_INPUT', /cannot read tree file .*missing[/\\]train\.txt/);
  const bad = join(root, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'train.txt'), TREES + '(3 (2 a) (9 good))\n');
  writeFileSync(join(bad, 'dev.txt'), TREES);
  oneErrorLine(llmts('train-tree', '--data', bad), 'E_TREE', /label "9" is not an integer 0-4 \(at .*bad[/\\]train\.txt:9:11\)/);
});
