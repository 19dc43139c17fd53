import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backend } from '../../src/backend/index.ts';
import { NativeBackend } from '../../src/backend/native.ts';
import { tokenizeFiles } from '../../src/data/tokenize.ts';
import { listCheckpoints } from '../../src/io/checkpoint.ts';
import { parseTrainArgs } from '../../src/cli/train.ts';
import { lowpIsa } from '../../src/train/precision.ts';
import { planRun, train } from '../../src/train/trainer.ts';
import { CharTokenizer } from '../../src/tokenizer/char.ts';
import { LlmtsError } from '../../src/util/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-precision-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const text = readFileSync(new URL('../../data/tinyshakespeare/input.txt', import.meta.url), 'utf8').slice(0, 100_000);
writeFileSync(join(root, 'text.txt'), text);
const data = join(root, 'data');
tokenizeFiles([join(root, 'text.txt')], CharTokenizer.fromText(text), data);

const MAX = 60;
const run = (out: string, extra: Record<string, unknown> = {}) =>
  planRun({ overrides: { preset: 'tiny', data, out: join(root, out), maxSteps: MAX, batchSize: 4, evalInterval: 0, logInterval: 1, progress: false, ...extra } });

test('--precision bf16 trains with loss tracking fp32; weights and checkpoints stay fp32; the backend is put back', async () => {
  const before = backend();
  const lines: string[] = [];
  const fp = await train(run('fp32'), { log: () => {} });
  const bf = await train(run('bf16', { precision: 'bf16' }), { log: (l) => lines.push(l) });
  assert.equal(backend(), before, 'the backend is restored after the run');
  assert.ok(lines.some((l) => /backend [a-z]+\+bf16/.test(l)), 'the run reports its bf16 backend');
  assert.equal(lines.some((l) => /bf16 training may be slower here/.test(l)), lowpIsa() !== 'amx');
  assert.equal(fp.losses.length, MAX);
  assert.notDeepEqual(bf.losses, fp.losses, 'bf16 products differ from fp32 ones');
  const diffs = fp.losses.map((l, i) => Math.abs(l - bf.losses[i]!));
  assert.ok(Math.max(...diffs) < 0.05, `largest step loss difference ${Math.max(...diffs)}`);
  assert.ok(bf.losses[MAX - 1]! < bf.losses[0]! - 0.8, `bf16 loss falls: ${bf.losses[0]} -> ${bf.losses[MAX - 1]}`);
  assert.ok(Math.abs(bf.valLoss! - fp.valLoss!) < 0.03, `val loss ${bf.valLoss} vs ${fp.valLoss}`);
  // checkpoints hold fp32 weights and record the precision
  const ck = listCheckpoints(join(root, 'bf16')).at(-1)!.dir;
  const st = readFileSync(join(ck, 'model.safetensors'));
  const header = JSON.parse(st.subarray(8, 8 + Number(st.readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype?: string }>;
  const dtypes = new Set(Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, v]) => v.dtype));
  assert.deepEqual([...dtypes], ['F32']);
  const state = JSON.parse(readFileSync(join(ck, 'trainer_state.json'), 'utf8')) as { config: { precision: string } };
  assert.equal(state.config.precision, 'bf16');
});

test('resume keeps precision bf16: an interrupted bf16 run resumed gives the uninterrupted losses bit for bit', async () => {
  const whole = await train(run('whole', { precision: 'bf16', ckptInterval: 10 }), { log: () => {} });
  const ac = new AbortController();
  const first = await train(run('cut', { precision: 'bf16', ckptInterval: 10 }), {
    log: (l) => { if (l.startsWith('step 25/')) ac.abort(); }, signal: ac.signal,
  });
  assert.equal(first.stopped, 'interrupted');
  const plan = planRun({ overrides: { out: join(root, 'cut'), resume: true, progress: false } });
  assert.equal(plan.train.precision, 'bf16', 'the precision comes from the checkpoint');
  const rest = await train(plan, { log: () => {} });
  assert.deepEqual([...first.losses, ...rest.losses], whole.losses);
  // overriding it on resume is allowed and takes effect
  assert.equal(planRun({ overrides: { out: join(root, 'cut'), resume: true, precision: 'fp32' } }).train.precision, 'fp32');
});

test('precision on the command line: --precision bf16 and --precision=bf16; other values are E_CONFIG naming the key', () => {
  for (const argv of [['--precision', 'bf16'], ['--precision=bf16']]) {
    const { overrides } = parseTrainArgs(['--preset=tiny', ...argv]);
    assert.equal(planRun({ overrides: { ...overrides, out: join(root, 'cli') } }).train.precision, 'bf16');
  }
  assert.equal(planRun({ overrides: { preset: 'tiny', out: join(root, 'cli') } }).train.precision, 'fp32', 'fp32 by default');
  assert.throws(() => planRun({ overrides: { preset: 'tiny', out: join(root, 'cli'), precision: 'fp16' } }),
    (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG' && /precision/.test(e.message) && /fp32, bf16|fp32 \| bf16|one of/.test(e.message));
});

test('without AMX the run says in one line that bf16 may be slower', { skip: !(backend() instanceof NativeBackend) && 'native backend only' }, async () => {
  const be = backend() as NativeBackend;
  const isa = be.lowpInfo().isa;
  assert.ok(be.setLowpIsa('scalar'));
  try {
    const lines: string[] = [];
    await train(run('scalar', { precision: 'bf16', maxSteps: 2, warmupSteps: 0 }), { log: (l) => lines.push(l) });
    assert.deepEqual(lines.filter((l) => /may be slower/.test(l)), ['precision bf16: this CPU has no AMX (bf16 kernels: scalar), so bf16 training may be slower here than fp32']);
  } finally {
    be.setLowpIsa(isa);
  }
});
