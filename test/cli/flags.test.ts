import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { numberFlag, parseFlags } from '../../src/cli/flags.ts';
import { LlmtsError } from '../../src/util/errors.ts';

test('numberFlag: the default when absent, the number when it follows the rule', () => {
  assert.equal(numberFlag(undefined, '--steps', 100, { int: true, min: 1 }), 100);
  assert.equal(numberFlag(undefined, '--port', undefined, { int: true, min: 0 }), undefined);
  assert.equal(numberFlag('250', '--steps', 100, { int: true, min: 1 }), 250);
  assert.equal(numberFlag('0', '--seed', 1, { int: true, min: 0 }), 0);
  assert.equal(numberFlag('1e-3', '--lr', 0.1, { min: 0 }), 0.001);
  assert.equal(numberFlag('-0.5', '--temperature', 1), -0.5);
  assert.equal(numberFlag('1', '--threshold', 0.8, { min: 0, max: 1, minExclusive: true }), 1);
});

test('numberFlag: a clear E_FLAG error naming the flag, the rule and the value', () => {
  const cases: [string, string, Parameters<typeof numberFlag>[3], RegExp][] = [
    ['many', '--steps', { int: true, min: 1 }, /^--steps must be an integer >= 1, got 'many' \(at /],
    ['1.5', '--steps', { int: true, min: 1 }, /^--steps must be an integer >= 1, got '1.5' \(at /],
    ['0', '--steps', { int: true, min: 1 }, /must be an integer >= 1, got '0'/],
    ['', '--lr', { min: 0 }, /^--lr must be a number >= 0, got '' \(at /],
    [' ', '--lr', {}, /^--lr must be a number, got ' ' \(at /],
    ['Infinity', '--lr', {}, /must be a number, got 'Infinity'/],
    ['1', '--val-ratio', { min: 0, max: 1, maxExclusive: true }, /^--val-ratio must be a number in \[0, 1\), got '1' \(at /],
    ['0', '--threshold', { min: 0, max: 1, minExclusive: true }, /^--threshold must be a number in \(0, 1\], got '0' \(at /],
    ['3', '--top-p', { max: 1 }, /^--top-p must be a number <= 1, got '3' \(at /],
  ];
  for (const [v, flag, rule, re] of cases) {
    assert.throws(() => numberFlag(v, flag, 0.5, rule), (e: unknown) => {
      assert.ok(e instanceof LlmtsError);
      assert.equal(e.code, 'E_FLAG');
      assert.match(e.message, re);
      assert.equal(e.where, flag);
      assert.match(e.hint ?? '', new RegExp(`^e\\.g\\. ${flag} `));
      return true;
    }, `${flag} ${v}`);
  }
});

test('parseFlags: typed values; a negative number after a string flag is its value; -- ends the flags', () => {
  const options = { 'max-tokens': { type: 'string' }, stats: { type: 'boolean' }, stop: { type: 'string', multiple: true } } as const;
  const r = parseFlags('generate', ['--max-tokens', '-3', '--stats', '--stop', '-.5', '--stop', 'x'], options);
  assert.deepEqual({ ...r.values }, { 'max-tokens': '-3', stats: true, stop: ['-.5', 'x'] });
  const p = parseFlags('data prepare', ['--stats', 'a.txt', '--', '--max-tokens', '-3'], options, { allowPositionals: true });
  assert.deepEqual(p.positionals, ['a.txt', '--max-tokens', '-3']);
  assert.deepEqual({ ...p.values }, { stats: true });
});

test('parseFlags: what parseArgs refuses is one E_FLAG line naming the command and its --help', () => {
  const options = { 'max-tokens': { type: 'string' }, stats: { type: 'boolean' } } as const;
  const cases: [string[], RegExp][] = [
    [['--max-tokns', '5'], /^unknown flag '--max-tokns' \(did you mean --max-tokens\?\) \(at llmts generate\) - fix: run `llmts generate --help` for its flags$/],
    [['--zzz'], /^unknown flag '--zzz' \(at llmts generate\)/],
    [['--max-tokens'], /^flag '--max-tokens <value>' argument missing \(at llmts generate\)/],
    [['--stats=1'], /^flag '--stats' does not take an argument \(at llmts generate\)/],
    [['--max-tokens', '--stats'], /^flag '--max-tokens' argument is ambiguous \(at llmts generate\)/],
    [['a.txt'], /^unexpected argument 'a\.txt': this command takes only --flags \(at llmts generate\)/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseFlags('generate', argv, options), (e: unknown) => {
      assert.ok(e instanceof LlmtsError, String(e));
      assert.equal(e.code, 'E_FLAG');
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, re);
      return true;
    }, argv.join(' '));
  }
});
