// The context flags of llmts generate / eval (src/cli/context-flags.ts) on stories260K
// (a llama2.c Llama, context 512): past the window, streams, RoPE scaling, flag errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llmts } from '../cli-run.ts';

const DIR = 'data/llama2c-stories260k';
const MODEL = ['--model', join(DIR, 'stories260K.bin'), '--tokenizer', join(DIR, 'tok512.bin')];

test('llmts generate runs past a 64-token window (it slides), or stops at it with --no-context-shift', () => {
  const past = llmts(['generate', ...MODEL, '--prompt', 'Once upon a time', '--temperature', '0', '--max-tokens', '150', '--context', '64', '--keep', '4', '--stats', '--no-echo']);
  assert.equal(past.code, 0, past.stderr);
  assert.match(past.stderr, /5 prompt \+ 150 new tokens .* finish: length/);
  const stop = llmts(['generate', ...MODEL, '--prompt', 'Once upon a time', '--temperature', '0', '--max-tokens', '150', '--context', '64', '--no-context-shift', '--stats', '--no-echo']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stderr, /5 prompt \+ 60 new tokens .* finish: length/);
  assert.ok(past.stdout.startsWith(stop.stdout.slice(0, -1)), 'the same text until the window is full');
  const bad = llmts(['generate', ...MODEL, '--prompt', 'Once', '--rope-scaling', 'ntk:4']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /E_FLAG.*--rope-scaling ntk:4: the type must be one of linear, dynamic, yarn/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
});

test('llmts eval --stream, --context and --rope-scaling', () => {
  const work = mkdtempSync(join(tmpdir(), 'llmts-window-cli-'));
  try {
    const file = join(work, 'story.txt');
    writeFileSync(file, 'Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. '.repeat(12));
    const stream = llmts(['eval', ...MODEL, '--file', file, '--context', '64', '--stream', '--json']);
    assert.equal(stream.code, 0, stream.stderr);
    const s = JSON.parse(stream.stdout) as { stream: boolean; window: number; shifts: number; perplexity: number; kvBytes: number };
    assert.equal(s.window, 64);
    assert.ok(s.shifts > 5 && s.perplexity > 1 && s.perplexity < 10, JSON.stringify(s));
    assert.equal(s.kvBytes, 2 * 5 * 4 * 64 * 8 * 4); // k and v, 5 layers, 4 kv heads, 64 positions, hs 8, fp32
    const plain = JSON.parse(llmts(['eval', ...MODEL, '--file', file, '--json']).stdout) as { perplexity: number; tokens: number };
    const yarn = llmts(['eval', ...MODEL, '--file', file, '--rope-scaling', 'yarn:2', '--json']);
    assert.equal(yarn.code, 0, yarn.stderr);
    const y = JSON.parse(yarn.stdout) as { perplexity: number; tokens: number };
    assert.equal(y.tokens, plain.tokens);
    assert.notEqual(y.perplexity, plain.perplexity, 'the scaling changes the positions');
    assert.ok(y.perplexity < 3 * plain.perplexity);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('llmts finetune --rope-scaling trains at the longer context and saves the scaling in the config', () => {
  const work = mkdtempSync(join(tmpdir(), 'llmts-window-ft-'));
  try {
    const file = join(work, 'd.txt');
    writeFileSync(file, 'Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. '.repeat(80));
    const r = llmts(['finetune', '--task', 'lm', ...MODEL, '--data', file, '--out', join(work, 'out'), '--rope-scaling', 'yarn:2', '--block-size', '600', '--steps', '1', '--batch-size', '1', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /batch 1 x 600/);
    const cfg = (JSON.parse(readFileSync(join(work, 'out', 'config.json'), 'utf8')) as { llmts: { model: Record<string, unknown> } }).llmts.model;
    assert.deepEqual([cfg.blockSize, cfg.ropeScaling, cfg.ropeFactor, cfg.ropeOriginalContext], [1024, 'yarn', 2, 512]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
