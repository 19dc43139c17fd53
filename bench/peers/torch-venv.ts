/**
 * The Python venv with torch that the PyTorch peers of the benches run in
 * (bench/peers/torch_train_step.py for `npm run bench -- train-step`):
 * `LLMTS_BENCH_VENV`, else /tmp/llmts-bench-venv. Benches run the peer when the venv has a
 * python that imports torch, and otherwise print `torchVenvHint()`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the benches look for the venv. */
export function torchVenvDir(): string {
  return process.env.LLMTS_BENCH_VENV || '/tmp/llmts-bench-venv';
}

/** The venv's python and its torch version, or null with the reason when it cannot run torch. */
export function findTorch(): { python: string; version: string } | { python: null; reason: string } {
  const dir = torchVenvDir();
  const python = join(dir, 'bin', 'python');
  if (!existsSync(python)) return { python: null, reason: `no venv at ${dir}` };
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return { python: null, reason: `${python} cannot import torch` };
  return { python, version: r.stdout.trim() };
}

/** How to make the venv (printed when a bench skips its PyTorch peer). */
export function torchVenvHint(): string {
  const dir = torchVenvDir();
  return `python3 -m venv ${dir} && ${dir}/bin/pip install --retries 0 torch numpy `
    + '(pip\'s configured mirror is offline here; or point LLMTS_BENCH_VENV at a venv that has torch)';
}
