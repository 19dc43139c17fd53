/**
 * `npm run bench -- finetune [--steps N] [--data FILE] [--batch-size B] [--block-size T]`:
 * LoRA against full fine-tuning on the same chat SFT run: the llama2.c stories260K model
 * (bundled), instruct-rasbt records (../shared/data/instruct-rasbt/instruction-data.json
 * when present, else the 48 records of test/fixtures/sft-rasbt), ChatML, the
 * assistant-only mask, the same split, seed, steps and batches. Each run is its own
 * process, so its peak RSS is its own. Printed per run: trainable parameters, peak RSS,
 * tok/s (positions fed, padding included) and the held-out masked loss (mean over the
 * validation answers' tokens). Target (issue 13): LoRA's held-out loss within 5% of full.
 * The transfer-learning benchmark of the issue (`bench -- transfer`) is not this one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/io/load-model.ts';
import { ChatTemplate } from '../src/infer/chat-template.ts';
import { renderForTraining } from '../src/infer/chat-mask.ts';
import { finetune } from '../src/train/finetune.ts';
import { prepareFinetuneData } from '../src/train/finetune-data.ts';
import { prepareFinetuneModel } from '../src/train/finetune-model.ts';

const MODEL = 'data/llama2c-stories260k/stories260K.bin', TOKENIZER = 'data/llama2c-stories260k/tok512.bin';
const SHARED = '../shared/data/instruct-rasbt/instruction-data.json', FIXTURE = 'test/fixtures/sft-rasbt/instruction-sample.json';

function flag(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}

interface RunResult { mode: string; trainable: number; total: number; tokPerSec: number; valLoss: number; maxRssMb: number; seconds: number }

/** One run in this process (the child side). */
async function child(argv: string[]): Promise<void> {
  const mode = flag(argv, 'child', 'full'), steps = Number(flag(argv, 'steps', '300'));
  const B = Number(flag(argv, 'batch-size', '8')), T = Number(flag(argv, 'block-size', '256'));
  const { model, tokenizer } = loadModel(MODEL, TOKENIZER);
  const chatml = ChatTemplate.chatml();
  const prepared = await prepareFinetuneData({
    task: 'sft', files: [flag(argv, 'data', FIXTURE)], tokenizer, blockSize: T, valFraction: 0.1, seed: 1337,
    render: (m, where) => renderForTraining(chatml, tokenizer, m, { where }),
  });
  const lora = mode === 'lora' ? { r: 8, alpha: 16, dropout: 0, rsLora: false, targets: 'all-linear' as const } : null;
  const lr = lora ? 1e-2 : 1e-3; // LoRA takes a larger rate (peft examples: 10x)
  const ft = prepareFinetuneModel(model, { task: 'sft', lora, seed: 1337, lr, beta1: 0.9, beta2: 0.999, weightDecay: 0 });
  const out = mkdtempSync(join(tmpdir(), `llmts-bench-ft-${mode}-`));
  try {
    const r = await finetune(ft, prepared.data, {
      out, seed: 1337, maxSteps: steps, gradAccum: 1, gradClip: 1, lr, minLr: lr / 10, warmupSteps: Math.min(20, steps / 10), logInterval: 1000,
      evalInterval: 0, ckptInterval: 0, batchSize: B, blockSize: T, evalIters: 1, keepLast: 1, patience: 0, padId: 0, progress: false, options: {},
    }, { tokenizer, baseModel: MODEL, log: () => {} });
    const res: RunResult = {
      mode, trainable: ft.trainable.numTrainableParameters(), total: ft.trainable.numParameters(), tokPerSec: (steps * B * T) / r.trainSeconds,
      valLoss: r.valLoss!, maxRssMb: process.resourceUsage().maxRSS / 1024, seconds: r.trainSeconds,
    };
    console.log(JSON.stringify(res));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Runs the benchmark; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--child')) return child(argv);
  const data = flag(argv, 'data', existsSync(SHARED) ? SHARED : FIXTURE);
  const pass = ['steps', 'batch-size', 'block-size'].flatMap((k) => (argv.includes(`--${k}`) ? [`--${k}`, flag(argv, k, '')] : []));
  console.log(`finetune bench: SFT of stories260K on ${data} (ChatML, assistant-only loss), LoRA (r 8, alpha 16, all-linear) vs full`);
  const results: RunResult[] = [];
  for (const mode of ['full', 'lora']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./run.ts', import.meta.url)), 'finetune', '--child', mode, '--data', data, ...pass], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as RunResult);
  }
  console.log('| run | trainable params | peak RSS | tok/s | held-out masked loss | train time |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.mode} | ${r.trainable.toLocaleString('en-US')} of ${r.total.toLocaleString('en-US')} | ${r.maxRssMb.toFixed(0)} MB | ${r.tokPerSec.toFixed(0)} | ${r.valLoss.toFixed(4)} | ${r.seconds.toFixed(1)} s |`);
  }
  const [full, lora] = results as [RunResult, RunResult];
  console.log(`LoRA held-out loss / full: ${(lora.valLoss / full.valLoss).toFixed(3)} (target <= 1.05)`);
}
