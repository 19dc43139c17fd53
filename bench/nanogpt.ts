/**
 * `npm run bench -- nanogpt [--precision fp32|bf16|both] [--torch off]`: wall time of
 * nanoGPT's CPU Shakespeare-char recipe (README of karpathy/nanoGPT: 4 layers, 4 heads,
 * 128 wide, block 64, batch 12, 2000 iterations, lr 1e-3, no dropout) here and in nanoGPT
 * itself, run unmodified on PyTorch (issue 19: target <= 0.5x nanoGPT's wall time to val
 * loss 1.88).
 *
 * Ours: `llmts train --preset shakespeare-char` in a child process (dist/ when built, else
 * tsx), once per precision. nanoGPT: bench/peers/nanogpt/ (model.py, train.py,
 * configurator.py and the char-level prepare.py at commit 3adf61e, MIT) copied into a
 * temporary directory with the bundled tinyshakespeare as its input.txt, run with the
 * venv of bench/peers/torch-venv.ts:
 *   python train.py config/train_shakespeare_char.py --device=cpu --compile=False
 *     --eval_iters=20 --log_interval=1 --block_size=64 --batch_size=12 --n_layer=4
 *     --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0
 * Both evaluate every 250 steps on 20 val batches; the time to 1.88 is the wall time (from
 * the process start, so start-up and data preparation count) at the first evaluation
 * with val loss <= 1.88. The whole run's wall time and its last val loss are printed too
 * (ours also ends with an evaluation over the whole val split).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LlmtsError } from '../src/util/errors.ts';
import { findTorch, torchVenvHint } from './peers/torch-venv.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_LOSS = 1.88;

/** What one training run printed, timed. */
interface RunResult {
  label: string;
  wallS: number;
  /** Seconds from start to the first evaluation with val loss <= 1.88 (null: never). */
  toTargetS: number | null;
  /** The last val loss printed. */
  lastVal: number | null;
  ok: boolean;
}

/** Runs a command, timing each line that reports a val loss (`val loss X`). */
function timedRun(label: string, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let toTargetS: number | null = null;
    let lastVal: number | null = null;
    let pending = '';
    let tail = '';
    const onData = (chunk: Buffer): void => {
      const text = pending + chunk.toString('utf8');
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail = (tail + line + '\n').slice(-2000);
        const m = /val loss ([0-9.]+)/.exec(line);
        if (!m) continue;
        lastVal = Number(m[1]);
        if (toTargetS === null && lastVal <= TARGET_LOSS) toTargetS = (performance.now() - t0) / 1000;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      const wallS = (performance.now() - t0) / 1000;
      if (code !== 0) console.error(`${label}: exited with ${code}; last output:\n${tail}`);
      resolve({ label, wallS, toTargetS, lastVal, ok: code === 0 });
    });
  });
}

/** Our recipe in a child process, in a fresh run directory. */
async function runOurs(precision: string, work: string): Promise<RunResult> {
  const out = join(work, `ours-${precision}`);
  const built = join(root, 'dist', 'cli', 'main.js');
  const [cmd, pre] = existsSync(built) ? [process.execPath, [built]] : [process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts')]];
  return timedRun(`llm.ts ${precision}`, cmd, [...pre, 'train', '--preset', 'shakespeare-char', `--precision=${precision}`, '--out', out], root);
}

/** nanoGPT's own train.py on the same text. */
async function runNanoGpt(python: string, work: string): Promise<RunResult> {
  const dir = join(work, 'nanogpt');
  cpSync(join(root, 'bench', 'peers', 'nanogpt'), dir, { recursive: true });
  const dataDir = join(dir, 'data', 'shakespeare_char');
  cpSync(join(root, 'data', 'tinyshakespeare', 'input.txt'), join(dataDir, 'input.txt'));
  // prepare.py imports requests only to download input.txt, which is already there.
  const stub = join(dir, 'stub');
  mkdirSync(stub);
  writeFileSync(join(stub, 'requests.py'), '# stand-in: input.txt is present, nothing is downloaded\n');
  const env = { ...process.env, PYTHONPATH: stub };
  const t0 = performance.now();
  const prep = await timedRun('nanoGPT prepare', python, ['prepare.py'], dataDir, env);
  const prepS = (performance.now() - t0) / 1000;
  if (!prep.ok) return { ...prep, label: 'nanoGPT (PyTorch)' };
  const r = await timedRun('nanoGPT (PyTorch)', python, [
    'train.py', 'config/train_shakespeare_char.py', '--device=cpu', '--compile=False', '--eval_iters=20', '--log_interval=1',
    '--block_size=64', '--batch_size=12', '--n_layer=4', '--n_head=4', '--n_embd=128', '--max_iters=2000',
    '--lr_decay_iters=2000', '--dropout=0.0', `--out_dir=${join(dir, 'out')}`,
  ], dir, env);
  // Data preparation counts, as ours prepares its data inside `llmts train`.
  return { ...r, wallS: r.wallS + prepS, toTargetS: r.toTargetS === null ? null : r.toTargetS + prepS };
}

function fmt(s: number | null): string {
  return s === null ? 'not reached' : `${s.toFixed(1)} s`;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { precision: { type: 'string', default: 'both' }, torch: { type: 'string', default: 'on' } } });
  const precisions = values.precision === 'both' ? ['fp32', 'bf16'] : [values.precision!];
  for (const p of precisions) {
    if (p !== 'fp32' && p !== 'bf16') throw new LlmtsError('E_FLAG', `--precision '${p}' is not fp32, bf16 or both`, { where: '--precision', hint: 'write --precision fp32, bf16 or both' });
  }
  console.log(`nanoGPT Shakespeare-char CPU recipe, time to val loss ${TARGET_LOSS} (CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores)`);
  const work = mkdtempSync(join(tmpdir(), 'llmts-bench-nanogpt-'));
  try {
    const results: RunResult[] = [];
    for (const p of precisions) results.push(await runOurs(p, work));
    let peer: RunResult | null = null;
    if (values.torch !== 'off') {
      const torch = findTorch();
      if (torch.python === null) console.log(`nanoGPT peer skipped (${torch.reason}); make the venv with:\n  ${torchVenvHint()}`);
      else {
        console.log(`nanoGPT peer: PyTorch ${torch.version}, fp32 (nanoGPT uses no autocast on CPU)`);
        peer = await runNanoGpt(torch.python, work);
        results.push(peer);
      }
    }
    console.log('');
    console.log(`| run | time to val <= ${TARGET_LOSS} | whole run | last val loss | vs nanoGPT (time to ${TARGET_LOSS}) |`);
    console.log('|---|---|---|---|---|');
    for (const r of results) {
      const ratio = peer && peer.toTargetS && r.toTargetS && r !== peer ? `${(r.toTargetS / peer.toTargetS).toFixed(2)}x (target <= 0.5x)` : '';
      console.log(`| ${r.label} | ${fmt(r.toTargetS)} | ${r.wallS.toFixed(1)} s | ${r.lastVal?.toFixed(4) ?? '?'} | ${ratio} |`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
