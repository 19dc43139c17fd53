import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenizeFiles } from '../../src/data/tokenize.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { loadCheckpoint, listCheckpoints } from '../../src/io/checkpoint.ts';
import { readMetrics } from '../../src/train/metrics.ts';
import { planRun, train } from '../../src/train/trainer.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-trainer-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const quiet = { log: () => {} };

/** Tokenizes `text` char-level into a fresh data folder. */
function charData(name: string, text: string): string {
  const file = join(root, `${name}.txt`);
  writeFileSync(file, text);
  const dir = join(root, `${name}-data`);
  tokenizeFiles([file], CharTokenizer.fromText(text), dir);
  return dir;
}

const shakespeare = readFileSync(new URL('../../data/tinyshakespeare/input.txt', import.meta.url), 'utf8').slice(0, 200_000);
const shData = charData('shakespeare', shakespeare);

test('a tiny model overfits a short repeated text (loss near zero)', async () => {
  const data = charData('repeat', 'the cat sat on the mat. '.repeat(60));
  const r = await train(planRun({ overrides: { preset: 'tiny', data, out: join(root, 'overfit'), maxSteps: 150, lr: 1e-2, minLr: 1e-3, warmupSteps: 10, batchSize: 4, blockSize: 24, evalInterval: 0, progress: false } }), quiet);
  assert.equal(r.stopped, 'done');
  assert.ok(r.losses[0]! > 2, `first loss ${r.losses[0]}`);
  const last = r.losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
  assert.ok(last < 0.15, `last losses ${last}`);
  assert.ok(r.valLoss! < 0.3, `val loss ${r.valLoss}`);
});

test('loss falls on real text; checkpoints, metrics.jsonl, loss.html and train_config.json are written; keep-last-K', async () => {
  const out = join(root, 'real');
  const r = await train(planRun({ overrides: { preset: 'tiny', data: shData, out, maxSteps: 80, ckptInterval: 20, keepLast: 2, evalInterval: 40, logInterval: 5, progress: false } }), quiet);
  assert.ok(r.losses[0]! > 4, `first loss ${r.losses[0]}`); // ~ln(vocab)
  assert.ok(r.losses[79]! < r.losses[0]! - 0.8, `loss ${r.losses[0]} -> ${r.losses[79]}`);
  assert.ok(r.valLoss! < 3.4, `val loss ${r.valLoss}`);
  assert.deepEqual(listCheckpoints(out).map((c) => c.step), [60, 80]);
  assert.deepEqual(readdirSync(join(out, 'checkpoints', 'step-80')).sort(),
    ['config.json', 'model.safetensors', 'optimizer.safetensors', 'tokenizer.json', 'trainer_state.json']);
  const m = readMetrics(out);
  assert.equal(m.filter((x) => x.kind === 'train').length, 16);
  // every evalInterval steps (evalIters batches), then the whole split at the end (batches -1)
  assert.deepEqual(m.filter((x) => x.kind === 'eval').map((x) => [x.step, x.batches]), [[40, 5], [80, 5], [80, -1]]);
  assert.match(readFileSync(join(out, 'loss.html'), 'utf8'), /final val loss \d\.\d{4}[^]*<svg[^]*<polyline/);
  assert.equal(JSON.parse(readFileSync(join(out, 'train_config.json'), 'utf8')).maxSteps, 80);
  // the checkpoint reproduces the trained model, by run directory or by checkpoint folder
  const ck = loadCheckpoint(out);
  assert.equal(ck.dir, join(out, 'checkpoints', 'step-80'));
  assert.equal(ck.trainerState!.step, 80);
  assert.deepEqual(ck.model.parameters()[0]!.data, r.model.parameters()[0]!.data);
  assert.equal(ck.tokenizer.decode(ck.tokenizer.encode('ROMEO:')), 'ROMEO:');
  assert.ok(ck.model.stateDict().has('transformer.h.1.attn.c_attn.weight'));
});

test('bad checkpoint files give errors naming the file', async () => {
  const src = join(root, 'real', 'checkpoints', 'step-80');
  const copy = (name: string): string => {
    const d = join(root, `bad-${name}`);
    cpSync(src, d, { recursive: true });
    return d;
  };
  const truncated = copy('truncated');
  const w = join(truncated, 'model.safetensors');
  truncateSync(w, statSync(w).size - 100);
  assert.throws(() => loadCheckpoint(truncated), (e: Error) => e.message.includes(w) && /truncated|holds only/.test(e.message));
  const noTok = copy('notok');
  rmSync(join(noTok, 'tokenizer.json'));
  assert.throws(() => loadCheckpoint(noTok), new RegExp(`${esc(join(noTok, 'tokenizer.json'))} is missing`));
  const badCfg = copy('badcfg');
  writeFileSync(join(badCfg, 'config.json'), '{"format": "llmts-checkpoint", "vers');
  assert.throws(() => loadCheckpoint(badCfg), new RegExp(`${esc(join(badCfg, 'config.json'))} is not valid JSON`));
  const wrongShape = copy('shape');
  const cfg = JSON.parse(readFileSync(join(wrongShape, 'config.json'), 'utf8'));
  cfg.llmts.model.nEmbd = 64;
  cfg.llmts.model.intermediateSize = 256;
  Object.assign(cfg, { n_embd: 64, n_inner: 256 }); // the HF fields agree with the block (a disagreement is refused earlier)
  writeFileSync(join(wrongShape, 'config.json'), JSON.stringify(cfg));
  assert.throws(() => loadCheckpoint(wrongShape), new RegExp(`${esc(join(wrongShape, 'model.safetensors'))} does not match`));
  const badState = copy('state');
  writeFileSync(join(badState, 'trainer_state.json'), '{}');
  assert.throws(() => loadCheckpoint(badState), /trainer_state\.json lacks step, seed or config/);
  assert.throws(() => loadCheckpoint(join(root, 'nothing-here')), /nothing-here does not exist/);
});

test('a non-finite loss stops the run before the update, keeping the last good checkpoint', async () => {
  const out = join(root, 'nan');
  const r = await train(planRun({ overrides: { preset: 'tiny', data: shData, out, maxSteps: 40, lr: 1e6, minLr: 0, warmupSteps: 0, gradClip: 0, ckptInterval: 2, logInterval: 1, progress: false } }), quiet);
  assert.equal(r.stopped, 'non-finite');
  assert.ok(r.step < 40);
  const kept = listCheckpoints(out).map((c) => c.step);
  assert.ok(kept.length > 0 && kept.every((s) => s <= r.step), `${kept} vs ${r.step}`);
  const ck = loadCheckpoint(out);
  assert.ok(ck.model.parameters().every((p) => p.data.every(Number.isFinite)), 'the kept checkpoint has finite weights');
  const bad = readMetrics(out).find((x) => x.error);
  assert.ok(bad && bad.step === r.step + 1, JSON.stringify(bad));
});

test('an existing run is not overwritten without --resume', () => {
  assert.throws(() => planRun({ overrides: { preset: 'tiny', data: shData, out: join(root, 'real') } }), /already holds 2 checkpoint\(s\) \(newest step 80\).*--resume/);
  assert.throws(() => planRun({ overrides: { preset: 'tiny', out: join(root, 'fresh'), resume: 'true' } }), /has no checkpoints\/step-N folder/);
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

test('periodic evaluation gives its buffers back to the pool: the training steps after it allocate nothing new', async () => {
  const { clearPool, poolStats, resetPoolStats } = await import('../../src/tensor/pool.ts');
  const run = async (evalInterval: number) => {
    clearPool();
    resetPoolStats();
    await train(planRun({ overrides: { preset: 'tiny', data: shData, out: join(root, `pool-eval-${evalInterval}`), maxSteps: 24, evalInterval, evalIters: 3, ckptInterval: 0, logInterval: 100, progress: false } }), quiet);
    return poolStats().allocatedBytes;
  };
  const noEval = await run(0), withEval = await run(4); // 6 evaluations of 3 batches each
  // the final whole-split evaluation runs in both; the 18 periodic batches must add nothing
  assert.ok(withEval <= noEval * 1.05, `pool allocated ${withEval} bytes with periodic evaluation vs ${noEval} without`);
});
