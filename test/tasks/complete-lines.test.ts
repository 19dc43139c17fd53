// Where a completion ends (src/tasks/complete-lines.ts) and what the model sees before it
// (sourceBefore, completionPrompt): text arriving in pieces, dedents, blank lines, limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indentOf, LineCollector } from '../../src/tasks/complete-lines.ts';
import { CompletionText, completionPrompt, sourceBefore } from '../../src/tasks/complete.ts';
import type { Tokenizer } from '../../src/tokenizer/types.ts';
import { LlmtsError } from '../../src/util/errors.ts';

/** Feeds `text` in pieces of `size` characters; returns the lines and the stop reason. */
function collect(mode: 'line' | 'block', text: string, size: number, end: 'max-tokens' | 'end' = 'end'): [string[], string | null] {
  const c = new LineCollector(mode, 5);
  let done = false;
  for (let i = 0; i < text.length && !done; i += size) done = c.push(text.slice(i, i + size));
  if (!done) c.end(end);
  return [c.lines(), c.stop];
}

test('line mode: the first line only, whatever the pieces', () => {
  for (const size of [1, 3, 100]) assert.deepEqual(collect('line', '    x = 1\n    y = 2\n', size), [['    x = 1'], 'line']);
  // no newline before the end: the unfinished line is the completion
  assert.deepEqual(collect('line', '    return x', 4, 'max-tokens'), [['    return x'], 'max-tokens']);
});

test('block mode: stops at the first line indented less than the first; that line is dropped', () => {
  const text = '    if x:\n        y = 2\n\n    z = 3\nreturn z\n    w = 4\n';
  for (const size of [1, 7, 100]) assert.deepEqual(collect('block', text, size), [['    if x:', '        y = 2', '', '    z = 3'], 'dedent']);
  // blank lines do not end a block; trailing ones are dropped
  assert.deepEqual(collect('block', '    a\n\n\nb\n', 2), [['    a'], 'dedent']);
  // an unfinished dedented last line is not kept either
  assert.deepEqual(collect('block', '    a\n    b\nc', 2, 'max-tokens'), [['    a', '    b'], 'dedent']);
  // at most maxLines lines (5 here)
  assert.deepEqual(collect('block', 'a\nb\nc\nd\ne\nf\n', 3), [['a', 'b', 'c', 'd', 'e'], 'max-lines']);
});

test('tabs count as 8 columns', () => {
  assert.equal(indentOf('\tx'), 8);
  assert.equal(indentOf('  \tx'), 8);
  assert.equal(indentOf('        \tx'), 16);
  assert.equal(indentOf('x'), 0);
});

test('CompletionText drops what the model writes before its first newline (the previous line is complete)', () => {
  const t = new CompletionText('line', 64, false);
  assert.equal(t.push(' # junk'), false);
  assert.equal(t.push('\n    retu'), false);
  assert.equal(t.push('rn 1\n'), true);
  assert.deepEqual(t.collector.lines(), ['    return 1']);
});

test('CompletionText with skipBlankLines: blank lines before the first line of code are dropped, its indentation kept', () => {
  const t = new CompletionText('line', 64, false, true);
  assert.equal(t.push(')\n'), false);
  assert.equal(t.push('\n  \n   '), false, 'only whitespace so far');
  assert.equal(t.push(' def f'), false);
  assert.equal(t.push('():\n'), true);
  assert.deepEqual(t.collector.lines(), ['    def f():']);
  const old = new CompletionText('line', 64, false);
  old.push(')\n\n    def f():\n');
  assert.deepEqual(old.collector.lines(), [], 'without it the blank line is the line');
});

test('completionPrompt: at a line start the prompt ends at the last character of code (no newline or line of spaces after it)', () => {
  const tok = { encode: (s: string) => Array.from(s, (c) => c.charCodeAt(0)), specialIds: { eos: 0 } } as unknown as Tokenizer;
  const text = (before: string) => String.fromCharCode(...completionPrompt(tok, before, 100).slice(1));
  assert.equal(text('x = 1\n'), 'x = 1');
  assert.equal(text('x = 1\n\n    \n'), 'x = 1');
  assert.equal(text('def f(a,'), 'def f(a,', 'mid-line: as it is');
  assert.equal(text('\n\n'), '');
});

test('sourceBefore: lines 1..N-1 with their newlines; N may be one past the end; outside is E_LINE', () => {
  const src = 'a\nb\nc\n';
  assert.equal(sourceBefore(src, 1), '');
  assert.equal(sourceBefore(src, 3), 'a\nb\n');
  assert.equal(sourceBefore(src, 4), 'a\nb\nc\n');
  assert.equal(sourceBefore('a\nb', 3), 'a\nb\n');
  for (const bad of [0, 5, 1.5]) {
    assert.throws(() => sourceBefore(src, bad, 'f.py'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_LINE' && /f\.py/.test(e.message) && /3 lines/.test(e.message));
  }
});
