import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenLoader } from '../../src/data/loader.ts';
import { parseReplaySpecs, ReplayMixLoader } from '../../src/data/replay.ts';
import { tokenizeFiles } from '../../src/data/tokenize.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { lrAt } from '../../src/optim/index.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { readMetrics } from '../../src/train/metrics.ts';
import { planRun, train } from '../../src/train/trainer.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { llmts as runCli } from '../cli-run.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-continual-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

// two domains with one tokenizer (the characters of both), and a third folder with another tokenizer
const shakespeare = readFileSync(new URL('../../data/tinyshakespeare/input.txt', import.meta.url), 'utf8').slice(0, 40_000);
const stories = readFileSync(new URL('../../data/tinystories/tinystories_val_head.txt', import.meta.url), 'utf8').slice(0, 40_000);
const tok = CharTokenizer.fromText(shakespeare + stories);
function folder(name: string, text: string, t = tok): string {
  writeFileSync(join(root, `${name}.txt`), text);
  tokenizeFiles([join(root, `${name}.txt`)], t, join(root, name));
  return join(root, name);
}
const oldData = folder('old', shakespeare);
const newData = folder('new', stories);
const otherTok = folder('other', stories, CharTokenizer.fromText(stories));

const quiet = { log: () => {} };
const common = { preset: 'tiny', batchSize: '4', warmupSteps: '1', logInterval: '1', evalInterval: '0', evalIters: '1', progress: 'false', ckptInterval: '0' };
const base = join(root, 'base');
const baseRun = (async () => train(planRun({ overrides: { ...common, data: oldData, out: base, maxSteps: '6' } }), quiet))();

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LlmtsError, String(err));
    return err.code;
  }
  return 'no error';
}

test('--replay specs: FOLDER:FRACTION lists; fractions outside [0, 1) or summing to 1 are E_REPLAY', () => {
  assert.deepEqual(parseReplaySpecs('a/b:0.25,c:0.05'), [{ dir: 'a/b', fraction: 0.25 }, { dir: 'c', fraction: 0.05 }]);
  assert.deepEqual(parseReplaySpecs(''), []);
  for (const bad of ['a:1', 'a:-0.1', 'a:x', 'a', 'a:', ':0.2', 'a:0.6,b:0.4']) assert.equal(code(() => parseReplaySpecs(bad)), 'E_REPLAY', bad);
});

/** Loaders over token ids 0..9 (new) and 100..109 (old), so each row tells its source. */
function mixOf(fraction: number, gradAccum = 1): ReplayMixLoader {
  const ramp = (lo: number) => Uint16Array.from({ length: 500 }, (_, i) => lo + (i % 10));
  const main = new TokenLoader([ramp(0)], { seed: 7, batchSize: 12, blockSize: 8 });
  const old = new TokenLoader([ramp(100)], { seed: 8, batchSize: 12, blockSize: 8 });
  return new ReplayMixLoader(main, [{ loader: old, fraction }], { gradAccum });
}
const oldRows = (ids: Int32Array, T: number) => Array.from({ length: ids.length / T }, (_, r) => ids[r * T]! >= 100).filter(Boolean).length;

test('replay: exactly R * B rows of each batch come from the old data when R * B is whole, and R * B per batch in total otherwise', () => {
  const quarter = mixOf(0.25);
  for (let step = 0; step < 50; step++) {
    const b = quarter.batch(step, 0);
    assert.equal(oldRows(b.ids, b.T), 3, `step ${step}`);
    for (let r = 9; r < 12; r++) assert.ok(b.ids[r * b.T]! >= 100 && b.targets[r * b.T]! >= 100, 'replayed rows fill the end, targets too');
  }
  const five = mixOf(0.05, 2); // 0.6 rows per micro-batch
  let total = 0;
  for (let step = 0; step < 50; step++) {
    for (let micro = 0; micro < 2; micro++) {
      const b = five.batch(step, micro);
      const n = oldRows(b.ids, b.T);
      assert.ok(n === 0 || n === 1);
      total += n;
    }
  }
  assert.equal(total, 60); // 0.05 * 12 rows * 100 micro-batches
  assert.deepEqual(five.replayedRows(50), [60]);
});

test('replay batches are a pure function of (seed, step, micro)', () => {
  const a = mixOf(0.25), b = mixOf(0.25);
  const first = Array.from(a.batch(17, 0).ids);
  for (let s = 0; s < 5; s++) b.batch(s, 0);
  assert.deepEqual(Array.from(b.batch(17, 0).ids), first);
  assert.notDeepEqual(Array.from(a.batch(18, 0).ids), first);
});

test('--resumeFrom: starts from the checkpoint\'s weights with a fresh optimizer, step 0 and a re-warmed, re-decayed lr', async () => {
  await baseRun;
  const frozen = join(root, 'frozen');
  // lr 0: the weights stay those of the checkpoint, so they must equal it
  await train(planRun({ overrides: { ...common, data: newData, out: frozen, maxSteps: '3', resumeFrom: base, lr: '0', minLr: '0' } }), quiet);
  const a = loadCheckpoint(base).model.stateDict(), b = loadCheckpoint(frozen).model.stateDict();
  for (const [name, t] of a) assert.deepEqual(Array.from(b.get(name)!.data), Array.from(t.data), name);
  const opt = loadSafetensors(join(frozen, 'checkpoints', 'step-3', 'optimizer.safetensors'));
  assert.equal(opt.metadata?.step, '3'); // the base run's 6 AdamW steps are not carried over

  const cont = join(root, 'cont');
  await train(planRun({ overrides: { ...common, data: newData, out: cont, maxSteps: '10', resumeFrom: base, rewarmSteps: '4', lr: '2e-3', minLr: '1e-4' } }), quiet);
  const lrs = readMetrics(cont).filter((r) => r.kind === 'train').map((r) => r.lr as number);
  const expected = Array.from({ length: 10 }, (_, s) => lrAt({ maxLr: 2e-3, minLr: 1e-4, warmupSteps: 4, totalSteps: 10, decay: 'cosine' }, s));
  assert.deepEqual(lrs, expected);
  assert.equal(lrs[0], 5e-4);
  assert.equal(lrs[3], 2e-3);
  assert.ok(lrs[9]! < 3e-4);
});

test('a continual run with replay records what it replayed and resumes (--resume) exactly', async () => {
  await baseRun;
  const out = join(root, 'replayed');
  const o = { ...common, data: newData, out, maxSteps: '8', resumeFrom: base, replay: `${oldData}:0.25`, ckptInterval: '4', keepLast: '5' };
  await train(planRun({ overrides: o }), quiet);
  const full = readMetrics(out).filter((r) => r.kind === 'train').map((r) => r.loss);
  const state = JSON.parse(readFileSync(join(out, 'checkpoints', 'step-8', 'trainer_state.json'), 'utf8')) as { replayed: unknown; config: { replay: string; resumeFrom: string } };
  assert.deepEqual(state.replayed, [{ data: oldData, fraction: 0.25, rows: 8, tokens: 8 * 32 }]); // 1 of 4 rows, 8 steps, block 32
  assert.equal(state.config.resumeFrom, base);
  rmSync(join(out, 'checkpoints', 'step-8'), { recursive: true });
  await train(planRun({ overrides: { out, resume: 'true', progress: 'false' } }), quiet);
  assert.deepEqual(readMetrics(out).filter((r) => r.kind === 'train').map((r) => r.loss), full);
});

test('continual errors: another tokenizer, a missing checkpoint or folder, a bad fraction, a shape change', async () => {
  await baseRun;
  const run = async (o: Record<string, string>) => train(planRun({ overrides: { ...common, maxSteps: '2', out: join(root, `err-${Math.random()}`), ...o } }), quiet);
  const codeOf = async (p: Promise<unknown>) => p.then(() => 'no error', (err: unknown) => (err instanceof LlmtsError ? err.code : String(err)));
  assert.equal(await codeOf(run({ data: otherTok, resumeFrom: base })), 'E_TOKENIZER');
  assert.equal(await codeOf(run({ data: newData, resumeFrom: base, replay: `${otherTok}:0.2` })), 'E_TOKENIZER');
  assert.equal(await codeOf(run({ data: newData, resumeFrom: join(root, 'nope') })), 'E_NO_CHECKPOINT');
  assert.equal(await codeOf(run({ data: newData, resumeFrom: base, replay: `${join(root, 'nope')}:0.2` })), 'E_REPLAY');
  assert.equal(await codeOf(run({ data: newData, resumeFrom: base, replay: `${oldData}:1` })), 'E_REPLAY');
  assert.equal(await codeOf(run({ data: newData, resumeFrom: base, nEmbd: '64' })), 'E_CONFIG');
  assert.equal(await codeOf(run({ data: newData, resumeFrom: base, rewarmSteps: '-2' })), 'E_CONFIG');
});

test('llmts train --resume-from M --replay F:R --replay G:S (the CLI, spaced spelling) trains and records both sources; a bad R is one E_REPLAY line', async () => {
  await baseRun;
  const out = join(root, 'cli');
  const cli = (...a: string[]) => runCli(['train', ...a], { timeoutMs: 60_000 });
  const r = cli('--preset', 'tiny', '--data', newData, '--out', out, '--resume-from', base, '--replay', `${oldData}:0.25`, '--replay', `${oldData}:0.25`,
    '--max-steps=2', '--warmupSteps=1', '--batchSize=4', '--evalInterval=0', '--evalIters=1', '--progress=false');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /continual pretraining from/);
  assert.match(r.stdout, /replay: 25\.0% of rows from .*, 25\.0% of rows from/);
  const state = JSON.parse(readFileSync(join(out, 'checkpoints', 'step-2', 'trainer_state.json'), 'utf8')) as { replayed: { rows: number }[] };
  assert.deepEqual(state.replayed.map((s) => s.rows), [2, 2]);
  const bad = cli('--preset', 'tiny', '--data', newData, '--out', join(root, 'cli-bad'), '--resume-from', base, '--replay', `${oldData}:1.5`, '--progress=false');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /E_REPLAY/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /); // no stack trace
});
