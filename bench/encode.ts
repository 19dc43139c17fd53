/**
 * `npm run bench -- encode [--model bert-mini|bert-small|bert-tiny] [--batch 32] [--len 64]
 * [--iters 10] [--torch off]`: batch encoding throughput (sentences/s) of a BERT encoder
 * (the preset's shape, random weights, no head): one forward of a padded batch of `--batch`
 * sentences of 16..`--len` tokens with their attention mask, in eval mode without a graph,
 * after 2 warm-up batches. The peer is transformers' BertModel on the same weights (saved
 * by llm.ts as an HF directory), the same ids and mask, threads and repeats
 * (bench/peers/torch_encode.py), run in the torch venv of bench/peers/torch-venv.ts
 * (LLMTS_BENCH_VENV, default /tmp/llmts-bench-venv; it needs torch and transformers).
 * Both print a checksum of the last hidden states at the real tokens (sum of h[c] * (c % 7 - 3);
 * LayerNorm makes a plain sum zero), which must agree.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend } from '../src/backend/index.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { asEncoder } from '../src/models/encoder/index.ts';
import { createModel, getPreset, parseModelConfig } from '../src/models/index.ts';
import { noGrad, tidy } from '../src/tensor/index.ts';
import { loadTokenizer } from '../src/tokenizer/load.ts';
import { Rng } from '../src/util/rng.ts';
import { findTorch, torchVenvHint } from './peers/torch-venv.ts';

/** Runs the bench; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { model: { type: 'string' }, batch: { type: 'string' }, len: { type: 'string' }, iters: { type: 'string' }, torch: { type: 'string' } },
  });
  const preset = values.model ?? 'bert-mini';
  const B = Number(values.batch ?? 32), maxLen = Number(values.len ?? 64), iters = Number(values.iters ?? 10);
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
  let checksum = 0;
  const once = (): void => noGrad(() => tidy(() => {
    const h = model.encode({ ids, B, T, attentionMask: mask }).hidden.data; // (B, T, C)
    checksum = 0;
    for (let i = 0; i < B * T; i++) if (mask[i]) for (let c = 0; c < C; c++) checksum += h[i * C + c]! * ((c % 7) - 3);
  }));
  for (let w = 0; w < 2; w++) once();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) once();
  const sec = (performance.now() - t0) / 1000;
  const ours = (B * iters) / sec;
  const threads = backend().getThreads();
  console.log(`encode: ${preset} (${config.nLayer} layers, ${config.nEmbd} wide, vocab ${config.vocabSize}), batch ${B}, lengths 16..${maxLen} (padded to ${T}), ${iters} batches`);
  console.log(`  llm.ts   (${backend().name}, ${threads} threads): ${ours.toFixed(1)} sentences/s, ${(1000 * sec / iters).toFixed(1)} ms/batch, checksum ${checksum.toFixed(3)}`);
  const torch = values.torch === 'off' ? null : findTorch();
  if (torch && 'reason' in torch) {
    console.log(`  PyTorch peer: skipped (${torch.reason}); to run it: ${torchVenvHint().replace('torch numpy', 'torch numpy transformers')}`);
    return;
  }
  if (!torch) return;
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-encode-'));
  try {
    saveCheckpoint(join(dir, 'model'), { model, tokenizer: loadTokenizer('bert-base-uncased') });
    writeFileSync(join(dir, 'batch.json'), JSON.stringify({ B, T, ids: Array.from(ids), mask: Array.from(mask) }));
    const script = fileURLToPath(new URL('./peers/torch_encode.py', import.meta.url));
    const r = spawnSync(torch.python, [script, '--dir', join(dir, 'model'), '--batch', join(dir, 'batch.json'), '--warmup', '2', '--iters', String(iters), '--threads', String(threads)], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    const line = r.stdout?.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      console.log(`  PyTorch peer failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}; it needs torch and transformers: ${torchVenvHint().replace('torch numpy', 'torch numpy transformers')}`);
      return;
    }
    const p = JSON.parse(line) as { sentencesPerSec: number; msPerBatch: number; checksum: number; torch: string; transformers: string };
    console.log(`  PyTorch ${p.torch} + transformers ${p.transformers} BertModel (${threads} threads): ${p.sentencesPerSec.toFixed(1)} sentences/s, ${p.msPerBatch.toFixed(1)} ms/batch, checksum ${p.checksum.toFixed(3)}`);
    console.log(`  ratio llm.ts / PyTorch: ${(ours / p.sentencesPerSec).toFixed(2)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
