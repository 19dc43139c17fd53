/**
 * `npm run bench -- encode [--model bert-mini|bert-small|bert-tiny] [--batch 32] [--len 64]
 * [--iters 10] [--precision fp32|bf16|both] [--torch off]`: batch encoding throughput
 * (sentences/s) of a BERT encoder (the preset's shape, random weights, no head): one forward
 * of a padded batch of `--batch` sentences of 16..`--len` tokens with their attention mask,
 * in eval mode without a graph, after 2 warm-up batches. llm.ts runs its inference path
 * (src/models/encoder/inference.ts) twice: with `skipPadding` (padded positions are not
 * computed; the headline) and computing every position as transformers does (the same
 * work). The peer is transformers' BertModel on the same weights (saved by llm.ts as an HF
 * directory), the same ids and mask, threads and repeats (bench/peers/torch_encode.py), run
 * in the torch venv of bench/peers/torch-venv.ts (LLMTS_BENCH_VENV, default
 * /tmp/llmts-bench-venv; it needs torch and transformers).
 * `--precision bf16` (or `both`) times bf16 matrix products with fp32 sums (llm.ts:
 * `withPrecision(backend, 'bf16')`, AMX where the CPU has it; the peer: the same model
 * under torch.autocast('cpu', dtype=torch.bfloat16)), reported beside fp32, never mixed
 * with it. Each line gives wall and CPU ms per batch (CPU time is far less disturbed by
 * other load at one thread). Both sides print a checksum of the last hidden states at the
 * real tokens (sum of h[c] * (c % 7 - 3); LayerNorm makes a plain sum zero), which must
 * agree in fp32.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend, setBackend, withPrecision, type Precision } from '../src/backend/index.ts';
import { numberFlag } from '../src/cli/flags.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { asEncoder } from '../src/models/encoder/index.ts';
import { createModel, getPreset, parseModelConfig } from '../src/models/index.ts';
import { noGrad, tidy } from '../src/tensor/index.ts';
import { loadTokenizer } from '../src/tokenizer/load.ts';
import { LlmtsError } from '../src/util/errors.ts';
import { Rng } from '../src/util/rng.ts';
import { findTorch, torchVenvHint } from './peers/torch-venv.ts';

interface Timing { sentencesPerSec: number; msPerBatch: number; cpuMsPerBatch: number; checksum: number }

const fmt = (t: Timing): string =>
  `${t.sentencesPerSec.toFixed(1)} sentences/s, ${t.msPerBatch.toFixed(1)} ms/batch (CPU ${t.cpuMsPerBatch.toFixed(1)} ms), checksum ${t.checksum.toFixed(3)}`;

/** Runs the bench; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, batch: { type: 'string' }, len: { type: 'string' }, iters: { type: 'string' },
      precision: { type: 'string' }, torch: { type: 'string' },
    },
  });
  const preset = values.model ?? 'bert-mini';
  const B = numberFlag(values.batch, '--batch', 32, { int: true, min: 1 });
  const maxLen = numberFlag(values.len, '--len', 64, { int: true, min: 16 });
  const iters = numberFlag(values.iters, '--iters', 10, { int: true, min: 1 });
  const precisionFlag = values.precision ?? 'fp32';
  if (!['fp32', 'bf16', 'both'].includes(precisionFlag)) {
    throw new LlmtsError('E_FLAG', `--precision must be fp32, bf16 or both, got '${precisionFlag}'`, { where: '--precision', hint: 'use --precision both to time fp32 and bf16 side by side' });
  }
  const precisions: Precision[] = precisionFlag === 'both' ? ['fp32', 'bf16'] : [precisionFlag as Precision];
  const config = parseModelConfig({ ...getPreset(preset).model, head: 'none', pooler: false });
  const model = asEncoder(createModel(config, { seed: 1 }), 'bench');
  model.eval();
  // a padded batch: lengths 16..maxLen, [CLS] ... [SEP], random word ids, padding 0
  const rng = new Rng(3);
  const lengths = Array.from({ length: B }, () => 16 + rng.int(Math.max(1, maxLen - 15)));
  const T = Math.max(...lengths);
  const ids = new Int32Array(B * T), mask = new Float32Array(B * T);
  lengths.forEach((n, b) => {
    for (let t = 0; t < n; t++) {
      ids[b * T + t] = t === 0 ? 101 : t === n - 1 ? 102 : 1000 + rng.int(config.vocabSize - 1000);
      mask[b * T + t] = 1;
    }
  });
  const C = model.hiddenSize;
  const real = lengths.reduce((a, n) => a + n, 0);
  const fp32 = backend();
  const threads = fp32.getThreads();

  const timeOurs = (skipPadding: boolean): Timing => {
    let checksum = 0;
    const once = (): void => noGrad(() => tidy(() => {
      const h = model.encode({ ids, B, T, attentionMask: mask, skipPadding }).hidden.data; // (B, T, C)
      checksum = 0;
      for (let i = 0; i < B * T; i++) if (mask[i]) for (let c = 0; c < C; c++) checksum += h[i * C + c]! * ((c % 7) - 3);
    }));
    for (let w = 0; w < 2; w++) once();
    const c0 = process.cpuUsage(), t0 = performance.now();
    for (let i = 0; i < iters; i++) once();
    const sec = (performance.now() - t0) / 1000, cpu = process.cpuUsage(c0);
    return { sentencesPerSec: (B * iters) / sec, msPerBatch: (1000 * sec) / iters, cpuMsPerBatch: (cpu.user + cpu.system) / 1000 / iters, checksum };
  };

  console.log(`encode: ${preset} (${config.nLayer} layers, ${config.nEmbd} wide, vocab ${config.vocabSize}), batch ${B}, lengths 16..${maxLen} (padded to ${T}: ${real} of ${B * T} positions real), ${iters} batches, ${threads} threads`);
  const ours = new Map<Precision, { skip: Timing; all: Timing }>();
  for (const p of precisions) {
    setBackend(withPrecision(fp32, p));
    try {
      ours.set(p, { skip: timeOurs(true), all: timeOurs(false) });
    } finally {
      setBackend(fp32);
    }
    const o = ours.get(p)!;
    const what = p === 'fp32' ? 'fp32' : 'bf16 matrix products';
    console.log(`  llm.ts ${what}, padding skipped  (${fp32.name}): ${fmt(o.skip)}`);
    console.log(`  llm.ts ${what}, padding computed (${fp32.name}): ${fmt(o.all)}`);
  }
  const torch = values.torch === 'off' ? null : findTorch();
  const hint = (): string => torchVenvHint().replace('torch numpy', 'torch numpy transformers');
  if (torch && 'reason' in torch) {
    console.log(`  PyTorch peer: skipped (${torch.reason}); to run it: ${hint()}`);
    return;
  }
  if (!torch) return;
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-encode-'));
  try {
    saveCheckpoint(join(dir, 'model'), { model, tokenizer: loadTokenizer('bert-base-uncased') });
    writeFileSync(join(dir, 'batch.json'), JSON.stringify({ B, T, ids: Array.from(ids), mask: Array.from(mask) }));
    const script = fileURLToPath(new URL('./peers/torch_encode.py', import.meta.url));
    for (const p of precisions) {
      const r = spawnSync(torch.python, [script, '--dir', join(dir, 'model'), '--batch', join(dir, 'batch.json'), '--warmup', '2', '--iters', String(iters), '--threads', String(threads), '--precision', p], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(threads) },
      });
      const line = r.stdout?.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || !line.startsWith('{')) {
        console.log(`  PyTorch peer (${p}) failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}; it needs torch and transformers: ${hint()}`);
        continue;
      }
      const peer = JSON.parse(line) as Timing & { torch: string; transformers: string };
      const o = ours.get(p)!;
      const what = p === 'fp32' ? 'fp32' : "bf16 (torch.autocast('cpu', bfloat16))";
      console.log(`  PyTorch ${peer.torch} + transformers ${peer.transformers} BertModel, ${what}: ${fmt(peer)}`);
      const ratio = (t: Timing): string => `${(t.sentencesPerSec / peer.sentencesPerSec).toFixed(2)}x (CPU ${(peer.cpuMsPerBatch / t.cpuMsPerBatch).toFixed(2)}x)`;
      console.log(`  ratio llm.ts / PyTorch, ${p}: ${ratio(o.skip)} padding skipped; ${ratio(o.all)} padding computed`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
