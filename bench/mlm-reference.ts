/**
 * `npm run bench -- mlm-reference [--data DIR] [--preset bert-mini] [--steps 200] [--warmup 50]
 * [--out DIR] [--precision fp32|bf16]`: is llm.ts's masked-LM training the same as transformers'?
 * It builds the preset's encoder as `llmts train` does (same seed and init; blockSize windows
 * throughout, the short-window phase off), saves that initial model as an
 * HF directory, dumps the first `--steps` masked batches of the trainer's batch source (same seed,
 * same masks) and llm.ts's loss and gradients on the first one; then trains with `llmts train`'s
 * loop (`--steps` steps, warmup then cosine) and runs bench/peers/torch_mlm_reference.py:
 * transformers' BertForMaskedLM loading that initial model, the gradients of the first batch
 * compared, then torch.optim.AdamW with the same groups, betas, clipping and schedule on the same
 * batches. Prints both loss curves (means of 10 steps) and the largest relative gradient
 * difference. Data: a token folder (`--data`), else the bundled TinyStories head with
 * bert-base-uncased prepared under --out. The peer runs in bench/peers/torch-venv.ts's venv
 * (it needs torch and transformers).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend } from '../src/backend/index.ts';
import { numberFlag } from '../src/cli/flags.ts';
import { TokenLoader } from '../src/data/loader.ts';
import { loadTokenData } from '../src/data/tokenize.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { toHfTensors } from '../src/io/hf-format.ts';
import { saveSafetensors, type SafetensorsTensor } from '../src/io/safetensors.ts';
import { createModel } from '../src/models/registry.ts';
import { prepareBundledData } from '../src/train/bundled.ts';
import { maskedLmRun } from '../src/train/masked-lm-run.ts';
import { initLocalAttention } from '../src/train/masked-lm-init.ts';
import { planRun, train } from '../src/train/trainer.ts';
import { LlmtsError } from '../src/util/errors.ts';
import { findTorch, torchVenvHint } from './peers/torch-venv.ts';

/** Runs the bench; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, options: {
      data: { type: 'string' }, preset: { type: 'string' }, steps: { type: 'string' }, warmup: { type: 'string' }, out: { type: 'string' }, precision: { type: 'string' },
    } }).values;
  } catch (err) {
    throw new LlmtsError('E_FLAG', `bench mlm-reference: ${(err as Error).message}`, { where: 'flags', hint: 'see the options in bench/mlm-reference.ts' });
  }
  const steps = numberFlag(v.steps, '--steps', 200, { int: true, min: 1 });
  const warmup = numberFlag(v.warmup, '--warmup', Math.min(50, steps), { int: true, min: 0 });
  const precision = v.precision ?? 'fp32';
  if (precision !== 'fp32' && precision !== 'bf16') throw new LlmtsError('E_FLAG', `--precision must be fp32 or bf16, got '${precision}'`, { where: '--precision', hint: 'fp32 compares like with like' });
  const out = resolve(v.out ?? 'runs/bench-mlm-reference');
  const torch = findTorch();
  if ('reason' in torch) throw new LlmtsError('E_FLAG', `the PyTorch reference cannot run: ${torch.reason}`, { where: 'LLMTS_BENCH_VENV', hint: torchVenvHint().replace('torch numpy', 'torch numpy transformers') });
  rmSync(join(out, 'run'), { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const dataDir = v.data ?? await prepareBundledData({ corpus: 'tinystories', tokenizer: 'bert-base-uncased', dir: join(out, 'data'), log: () => {} });
  const plan = planRun({ overrides: {
    preset: v.preset ?? 'bert-mini', data: dataDir, out: join(out, 'run'), maxSteps: String(steps), warmupSteps: String(warmup), precision,
    shortBlockSize: '0', // the same blockSize windows on both sides (the short-window phase only changes which batches come)
    evalInterval: '0', ckptInterval: '0', progress: 'false', dropout: '0',
  } });
  const c = plan.train;
  const data = loadTokenData(dataDir);
  const B = c.batchSize, T = c.blockSize;

  // the trainer's initial model and masked batches, and our gradients on the first batch
  const model = createModel({ ...plan.model, vocabSize: data.meta.vocabSize }, { seed: c.seed });
  if (c.attentionInit === 'local') initLocalAttention(model, { seed: c.seed }); // as the trainer does
  saveCheckpoint(join(out, 'init'), { model, tokenizer: data.tokenizer });
  const batches = maskedLmRun(data.tokenizer, c).batches(new TokenLoader(data.train, { seed: c.seed, batchSize: B, blockSize: T, where: dataDir }));
  const ids = new Int32Array(steps * B * T), targets = new Int32Array(steps * B * T); // (steps, B, T)
  for (let s = 0; s < steps; s++) {
    const b = batches.batch(s, 0);
    ids.set(b.ids, s * B * T);
    targets.set(b.targets, s * B * T);
  }
  writeFileSync(join(out, 'ids.bin'), ids);
  writeFileSync(join(out, 'targets.bin'), targets);
  writeFileSync(join(out, 'meta.json'), JSON.stringify({ N: steps, B, T, lr: c.lr, minLr: c.minLr, warmupSteps: c.warmupSteps, maxSteps: c.maxSteps, weightDecay: c.weightDecay, beta1: c.beta1, beta2: c.beta2, gradClip: c.gradClip }));
  model.train();
  const first = model.forward(ids.subarray(0, B * T), B, T, targets.subarray(0, B * T));
  const loss0 = first.loss!.item();
  first.loss!.backward();
  const grads = new Map(model.namedParameters().map(([n, p]) => [n, { shape: [...p.shape], data: p.grad! }]));
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, t] of toHfTensors(model.config, grads)) tensors[name] = { dtype: 'F32', shape: [...t.shape], data: t.data };
  saveSafetensors(join(out, 'grads0.safetensors'), tensors);

  // both trainings
  const threads = backend().getThreads();
  console.log(`mlm-reference: ${c.preset}, ${steps} steps of ${B} x ${T}, lr ${c.lr} (warmup ${c.warmupSteps}, cosine to ${c.minLr}), ${precision}, ${threads} thread(s), data ${dataDir}`);
  const ours = await train(plan, { log: () => {} });
  const script = fileURLToPath(new URL('./peers/torch_mlm_reference.py', import.meta.url));
  const r = spawnSync(torch.python, [script, '--dir', out, '--steps', String(steps), '--threads', String(threads)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new LlmtsError('E_FLAG', `the PyTorch reference failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}`, { where: script, hint: 'it needs torch and transformers in the venv' });
  const ref = JSON.parse(line) as { loss0: number; worstGrad: [number, string]; losses: number[] };
  console.log(`first batch: loss ${loss0.toFixed(6)} (llm.ts) vs ${ref.loss0.toFixed(6)} (transformers); largest relative gradient difference ${ref.worstGrad[0].toExponential(2)} (${ref.worstGrad[1]})`);
  console.log('| steps | llm.ts mean loss | transformers mean loss |');
  console.log('|---|---|---|');
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  for (let s = 0; s < steps; s += 10) {
    const e = Math.min(steps, s + 10);
    console.log(`| ${s + 1}-${e} | ${mean(ours.losses.slice(s, e)).toFixed(4)} | ${mean(ref.losses.slice(s, e)).toFixed(4)} |`);
  }
}
