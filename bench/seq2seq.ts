/**
 * `npm run bench -- seq2seq [--batch 8] [--beams 4] [--max-length 32] [--iters 3] [--steps 5]
 * [--torch off] [--tasks off|only] [--translate-model M] [--summarize-model M] [--eval-limit N]`:
 * first the task tables (bench/seq2seq-tasks.ts: held-apart BLEU/chrF and dev ROUGE of
 * trained models beside baselines computed in the same run), then speed, with a BART of the
 * translate-en-fr shape (3 + 3 layers, 256 wide, 4 heads, MLP 1024, vocab 8000; random
 * weights, matrices at std 0.1):
 * - beam-search decoding in sentences/s: `--batch` padded sources of 12..24 ids, `--beams`
 *   beams, every output exactly `--max-length` ids (min_length = max_length, so both sides do
 *   the same work), after one warm-up batch;
 * - training in tokens/s (source + target positions): forward, backward and AdamW of a
 *   teacher-forced batch of 16 pairs (S = T = 24), after one warm-up step; then the same
 *   with bf16 matrix products (what the presets train with; not compared: the peer is fp32).
 * The peer is transformers' BartForConditionalGeneration on the same weights (saved by llm.ts
 * as an HF directory), inputs and threads (bench/peers/torch_seq2seq.py), in the torch venv of
 * bench/peers/torch-venv.ts; the beam outputs of both sides are compared id for id.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend, setBackend, withPrecision } from '../src/backend/index.ts';
import { generateSeq2Seq } from '../src/infer/seq2seq-generate.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { asSeq2Seq, bartConfig, createModel } from '../src/models/index.ts';
import { AdamW } from '../src/optim/index.ts';
import { CharTokenizer } from '../src/tokenizer/char.ts';
import { seq2seqBatch, seq2seqObjective } from '../src/train/objectives/seq2seq.ts';
import { lowpIsa } from '../src/train/precision.ts';
import { Rng } from '../src/util/rng.ts';
import { findTorch, torchVenvHint } from './peers/torch-venv.ts';
import { taskTables } from './seq2seq-tasks.ts';

/** Runs the bench; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      batch: { type: 'string' }, beams: { type: 'string' }, 'max-length': { type: 'string' }, iters: { type: 'string' }, steps: { type: 'string' }, torch: { type: 'string' },
      tasks: { type: 'string' }, 'translate-model': { type: 'string' }, 'summarize-model': { type: 'string' }, 'eval-limit': { type: 'string' },
    },
  });
  if (values.tasks !== 'off') {
    taskTables({ translateModel: values['translate-model'], summarizeModel: values['summarize-model'], limit: values['eval-limit'] ? Number(values['eval-limit']) : undefined });
    if (values.tasks === 'only') return;
  }
  const B = Number(values.batch ?? 8), numBeams = Number(values.beams ?? 4), maxLength = Number(values['max-length'] ?? 32);
  const iters = Number(values.iters ?? 3), steps = Number(values.steps ?? 5);
  const config = bartConfig({ vocabSize: 8000, blockSize: 128, nLayer: 3, nHead: 4, nEmbd: 256, intermediateSize: 1024 });
  const model = asSeq2Seq(createModel(config, { seed: 1 }), 'bench');
  // init std 0.02 leaves the logits near uniform and beams in near ties that float rounding decides;
  // matrices at std 0.1 make the two sides' beams comparable id for id
  for (const [, p] of model.namedParameters()) if (p.ndim === 2) for (let i = 0; i < p.size; i++) p.data[i]! *= 5;
  const rng = new Rng(3);
  const word = () => 4 + rng.int(config.vocabSize - 4);
  const sources = Array.from({ length: B }, () => [0, ...Array.from({ length: 10 + rng.int(13) }, word), 2]);
  const opts = { numBeams, maxLength, minLength: maxLength };
  const torch = values.torch === 'off' ? null : findTorch();
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-seq2seq-'));
  saveCheckpoint(join(dir, 'model'), { model, tokenizer: CharTokenizer.fromText('abc') }); // the peer's weights: before our training steps change them
  model.eval();
  generateSeq2Seq(model, sources, opts);
  const t0 = performance.now();
  let outs = generateSeq2Seq(model, sources, opts);
  for (let i = 1; i < iters; i++) outs = generateSeq2Seq(model, sources, opts);
  const genSec = (performance.now() - t0) / 1000 / iters;
  const pairs = Array.from({ length: 16 }, () => ({ source: Array.from({ length: 24 }, word), target: Array.from({ length: 23 }, word) }));
  const batch = seq2seqBatch(pairs, { S: 24, T: 24, padId: 1, startId: 2, endId: 2 });
  model.train();
  const objective = seq2seqObjective();
  const opt = new AdamW(model.trainableParameters().map(([, p]) => p), { lr: 1e-4, weightDecay: 0 });
  const step = (): number => {
    model.zeroGrad();
    const { loss } = objective.loss(model, batch);
    loss.backward();
    opt.step();
    return loss.item();
  };
  const timeSteps = (): number => {
    step();
    const t = performance.now();
    for (let i = 0; i < steps; i++) step();
    return (performance.now() - t) / 1000 / steps;
  };
  const trainSec = timeSteps();
  // the presets train with bf16 matrix products (AMX); timed on the same model after the fp32 steps
  const fp32 = backend();
  setBackend(withPrecision(fp32, 'bf16'));
  let bf16Sec: number;
  try {
    bf16Sec = timeSteps();
  } finally {
    setBackend(fp32);
  }
  const threads = backend().getThreads();
  const ours = { sentencesPerSec: B / genSec, tokensPerSec: (16 * 48) / trainSec };
  console.log(`seq2seq: bart 3 + 3 layers, 256 wide, vocab 8000; beam ${numBeams} over ${B} sources, ${maxLength} ids each; training 16 pairs, S = T = 24`);
  console.log(`  llm.ts   (${backend().name}, ${threads} threads): beam ${ours.sentencesPerSec.toFixed(2)} sentences/s (${(1000 * genSec).toFixed(0)} ms/batch), training ${ours.tokensPerSec.toFixed(0)} tok/s (${(1000 * trainSec).toFixed(0)} ms/step); bf16 matrix products (${lowpIsa()}, as the presets train): ${((16 * 48) / bf16Sec).toFixed(0)} tok/s (${(1000 * bf16Sec).toFixed(0)} ms/step)`);
  try {
    if (torch && 'reason' in torch) {
      console.log(`  PyTorch peer: skipped (${torch.reason}); to run it: ${torchVenvHint().replace('torch numpy', 'torch numpy transformers')}`);
      return;
    }
    if (!torch) return;
    const S = Math.max(...sources.map((s) => s.length));
    writeFileSync(join(dir, 'batch.json'), JSON.stringify({
      sources: sources.map((s) => [...s, ...Array<number>(S - s.length).fill(1)]), sourceMask: sources.map((s) => [...s.map(() => 1), ...Array<number>(S - s.length).fill(0)]),
      numBeams, maxLength,
      train: { rows: 16, S: 24, T: 24, source: [...batch.source], sourceMask: [...batch.sourceMask], decoderIds: [...batch.decoderIds], labels: [...batch.labels] },
    }));
    const script = fileURLToPath(new URL('./peers/torch_seq2seq.py', import.meta.url));
    const r = spawnSync(torch.python, [script, '--dir', join(dir, 'model'), '--batch', join(dir, 'batch.json'), '--iters', String(iters), '--steps', String(steps), '--threads', String(threads)], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    const line = r.stdout?.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      console.log(`  PyTorch peer failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}; it needs torch and transformers: ${torchVenvHint().replace('torch numpy', 'torch numpy transformers')}`);
      return;
    }
    const p = JSON.parse(line) as { sentencesPerSec: number; msPerBatch: number; tokensPerSec: number; msPerStep: number; ids: number[][]; torch: string; transformers: string };
    const same = outs.filter((o, i) => JSON.stringify(o.ids) === JSON.stringify(p.ids[i])).length;
    console.log(`  PyTorch ${p.torch} + transformers ${p.transformers} (${threads} threads): beam ${p.sentencesPerSec.toFixed(2)} sentences/s (${p.msPerBatch.toFixed(0)} ms/batch), training ${p.tokensPerSec.toFixed(0)} tok/s (${p.msPerStep.toFixed(0)} ms/step)`);
    console.log(`  ratio llm.ts / PyTorch: beam ${(ours.sentencesPerSec / p.sentencesPerSec).toFixed(2)}x, training ${(ours.tokensPerSec / p.tokensPerSec).toFixed(2)}x; beam outputs equal: ${same} / ${B}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
