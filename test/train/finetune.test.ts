// llmts finetune end to end on a tiny GPT-2 (test/fixtures/hf-models): each task trains and
// writes a directory that loads back (a full model with --model, a peft adapter with
// --adapter, a classifier with its head); LoRA moves only adapters and the head; a run
// interrupted and resumed logs the losses of an uninterrupted one; classification metrics
// are computed on a toy set; bad data is one E_DATA line naming the file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classificationMetrics } from '../../src/eval/classification.ts';
import { ChatTemplate } from '../../src/infer/chat-template.ts';
import { renderForTraining } from '../../src/infer/chat-mask.ts';
import { loadAdapterClassifier, loadClassifier } from '../../src/io/classifier-dir.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { readMetrics } from '../../src/io/metrics-file.ts';
import { mergeLora } from '../../src/nn/lora.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { finetune, type FinetuneSettings } from '../../src/train/finetune.ts';
import { prepareFinetuneData } from '../../src/train/finetune-data.ts';
import { prepareFinetuneModel, type FinetuneTask, type LoraSettings } from '../../src/train/finetune-model.ts';
import { llmts } from '../cli-run.ts';

const BASE = 'test/fixtures/hf-models/hf-gpt2-float32';
const SFT = 'test/fixtures/sft-rasbt/instruction-sample.json';

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !/native kernels unavailable/.test(l));
}

/** A toy sentiment set: the label is the polarity of the adjective. */
function toyCsv(path: string, n: number): void {
  const pos = ['good', 'great', 'lovely', 'fine', 'nice'], neg = ['bad', 'awful', 'poor', 'ugly', 'sad'], nouns = ['food', 'movie', 'phone', 'place', 'story'];
  const lines = ['text,label'];
  for (let i = 0; i < n; i++) {
    const p = (i * 7919) % 2 === 0;
    lines.push(`"the ${nouns[i % 5]} was ${(p ? pos : neg)[(i * 31) % 5]}, ${nouns[(i * 3) % 5]}",${p ? 'pos' : 'neg'}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

function settings(out: string, o: Partial<FinetuneSettings> = {}): FinetuneSettings {
  return {
    out, seed: 7, maxSteps: 12, gradAccum: 1, gradClip: 1, lr: 5e-3, minLr: 5e-4, warmupSteps: 0, logInterval: 1, evalInterval: 0, ckptInterval: 0,
    batchSize: 4, blockSize: 64, evalIters: 2, keepLast: 2, patience: 0, padId: 0, progress: false, options: {}, ...o,
  };
}

async function run(task: FinetuneTask, out: string, o: { lora?: LoraSettings | null; data?: string[]; s?: Partial<FinetuneSettings>; signalAt?: number; resume?: string } = {}) {
  const { model, tokenizer } = loadModel(BASE);
  const chatml = ChatTemplate.chatml();
  const prepared = await prepareFinetuneData({
    task, files: o.data ?? [SFT], tokenizer, blockSize: o.s?.blockSize ?? 64, valFraction: 0.1, seed: 7,
    render: (m, where) => renderForTraining(chatml, tokenizer, m, { where }),
  });
  const ft = prepareFinetuneModel(model, { task, lora: o.lora ?? null, seed: 7, lr: 5e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0, labels: prepared.labels ?? undefined, padId: 0 });
  const ac = new AbortController();
  const lines: string[] = [];
  const r = await finetune(ft, prepared.data, settings(out, o.s), {
    tokenizer, baseModel: BASE, signal: ac.signal, resumeFrom: o.resume ?? null,
    log: (l) => { lines.push(l); if (o.signalAt !== undefined && l.startsWith(`step ${o.signalAt}/`)) ac.abort(); },
  });
  return { r, ft, lines, tokenizer };
}

test('sft through the spawned CLI: a full model directory that --model loads and generate runs; metrics, plot, checkpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-sft-'));
  try {
    const out = join(dir, 'sft');
    const r = llmts(['finetune', '--model', BASE, '--data', SFT, '--task', 'sft', '--out', out, '--steps', '8', '--batch-size', '4', '--lr', '3e-3', '--eval-interval', '4', '--log-interval', '1', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /chat template chatml, loss on assistant tokens/);
    assert.match(r.stdout, /final eval \| val loss \d+\.\d+ .*assistant tokens/);
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json', 'metrics.jsonl', 'loss.html', 'checkpoints/step-8/trainable.safetensors']) assert.ok(existsSync(join(out, f)), f);
    const recs = readMetrics(out);
    assert.equal(recs.filter((m) => m.kind === 'train').length, 8);
    assert.equal(recs.filter((m) => m.kind === 'eval').length, 3, 'steps 4 and 8, and the final evaluation');
    const base = loadModel(BASE).model, tuned = loadModel(out).model;
    const ids = Int32Array.from([5, 9, 200, 31]);
    const diff = noGrad(() => {
      const a = base.forward(ids, 1, 4).logits.data, b = tuned.forward(ids, 1, 4).logits.data;
      return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
    });
    assert.ok(diff > 1e-3, 'the written weights are the fine-tuned ones');
    const g = llmts(['generate', '--model', out, '--prompt', 'Hello', '--max-tokens', '4', '--temperature', '0']);
    assert.equal(g.code, 0, g.stderr);
    const again = llmts(['finetune', '--model', BASE, '--data', SFT, '--task', 'sft', '--out', out, '--steps', '8']);
    assert.match(errorLines(again.stderr)[0]!, /^llmts: error E_RUN_EXISTS: .*--resume/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LoRA sft trains only the adapters; the peft adapter directory gives the same model through --adapter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-lora-'));
  try {
    const before = new Map(loadModel(BASE).model.namedParameters().map(([n, p]) => [n, p.data.slice()]));
    const { r, ft, lines } = await run('sft', dir, { lora: { r: 4, alpha: 8, dropout: 0, rsLora: false }, s: { lr: 3e-2, minLr: 3e-2, evalInterval: 1 } });
    assert.equal(r.stopped, 'done');
    const first = Number(/val loss (\S+)/.exec(lines.find((l) => l.startsWith('eval step 1 '))!)![1]);
    assert.ok(r.valLoss! < first - 0.05, `val loss ${first} -> ${r.valLoss}`);
    const trainable = ft.trainable.trainableParameters().map(([n]) => n);
    assert.ok(trainable.length > 0 && trainable.every((n) => /\.lora_[AB]\.weight$/.test(n)), trainable.join(', '));
    for (const [n, p] of ft.trainable.namedParameters()) {
      if (n.includes('.lora_')) continue;
      assert.deepEqual(p.data, before.get(n.replace('.base_layer', '')), `${n} is frozen`);
    }
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(cfg.task_type, 'CAUSAL_LM');
    assert.deepEqual(cfg.target_modules, ['c_attn'], 'peft\'s default for gpt2');
    mergeLora(ft.trainable);
    const viaAdapter = loadModel(BASE, undefined, { adapter: dir }).model;
    const ids = Int32Array.from([5, 9, 200, 31, 7]);
    const [a, b] = noGrad(() => [ft.base.forward(ids, 1, 5).logits.data.slice(), viaAdapter.forward(ids, 1, 5).logits.data.slice()]);
    assert.ok(a.every((x, i) => Math.abs(x - b[i]!) <= 1e-5));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an interrupted run resumed from its checkpoint repeats the uninterrupted losses bit for bit (LoRA with dropout)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-resume-'));
  try {
    const lora = { r: 4, alpha: 8, dropout: 0.1, rsLora: false };
    const whole = await run('sft', join(dir, 'a'), { lora });
    const cut = await run('sft', join(dir, 'b'), { lora, signalAt: 5 });
    assert.equal(cut.r.stopped, 'interrupted');
    assert.equal(cut.r.output, null);
    const ckpt = join(dir, 'b', 'checkpoints', 'step-5');
    assert.ok(existsSync(join(ckpt, 'trainable.safetensors')));
    const rest = await run('sft', join(dir, 'b'), { lora, resume: ckpt });
    assert.deepEqual([...cut.r.losses, ...rest.r.losses], whole.r.losses);
    assert.equal(rest.r.valLoss, whole.r.valLoss);
    assert.deepEqual(readFileSync(join(dir, 'b', 'adapter_model.safetensors')), readFileSync(join(dir, 'a', 'adapter_model.safetensors')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('classify: a head learns a toy set, accuracy / F1 / confusion in the log and metrics; the classifier directory loads back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-clf-'));
  try {
    const data = join(dir, 'toy.csv');
    toyCsv(data, 200);
    const out = join(dir, 'clf');
    const { r, ft, lines } = await run('classify', out, { data: [data], s: { maxSteps: 40, batchSize: 16, blockSize: 16, lr: 3e-3 } });
    assert.ok(r.metrics && r.metrics.accuracy >= 0.85, `accuracy ${r.metrics?.accuracy}`);
    assert.ok(lines.some((l) => /final eval \| accuracy \d+\.\d+% \| macro F1/.test(l)));
    assert.ok(lines.some((l) => /final eval \| neg +\d+ +\d+/.test(l)), 'confusion matrix rows');
    const final = readMetrics(out).find((m) => m.batches === -1)!;
    assert.equal(final.accuracy, r.metrics!.accuracy);
    assert.deepEqual(JSON.parse(final.confusion as string), r.metrics!.confusion);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config.architectures, ['GPT2ForSequenceClassification']);
    assert.deepEqual(config.id2label, { 0: 'neg', 1: 'pos' });
    const loaded = loadClassifier(out);
    assert.deepEqual(loaded.head.labels, ['neg', 'pos']);
    ft.classifier!.eval();
    const rows = [loaded.tokenizer.encode('the food was great'), loaded.tokenizer.encode('the movie was sad, story')];
    const T = Math.max(...rows.map((x) => x.length)) + 1;
    const ids = new Int32Array(2 * T);
    rows.forEach((x, i) => ids.set(x, i * T));
    const [a, b] = noGrad(() => [ft.classifier!.forward({ ids, B: 2, T }).logits.data.slice(), loaded.model.forward({ ids, B: 2, T }).logits.data.slice()]);
    assert.deepEqual(b, a);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LoRA classify: adapters and the score head train (SEQ_CLS, modules_to_save score); the adapter directory rebuilds the classifier', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-clf-lora-'));
  try {
    const data = join(dir, 'toy.csv');
    toyCsv(data, 200);
    const out = join(dir, 'clf');
    const { r, ft } = await run('classify', out, { data: [data], lora: { r: 4, alpha: 16, dropout: 0, rsLora: false }, s: { maxSteps: 40, batchSize: 16, blockSize: 16, lr: 1e-2 } });
    assert.ok(r.metrics && r.metrics.accuracy >= 0.8, `accuracy ${r.metrics?.accuracy}`);
    const names = ft.trainable.trainableParameters().map(([n]) => n);
    assert.ok(names.includes('score.weight') && names.every((n) => n === 'score.weight' || /\.lora_[AB]\.weight$/.test(n)), names.join(', '));
    const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(cfg.task_type, 'SEQ_CLS');
    assert.deepEqual(cfg.modules_to_save, ['score']);
    const { model, head } = loadAdapterClassifier(loadModel(BASE).model, out);
    assert.deepEqual(head.labels, ['neg', 'pos']);
    ft.classifier!.eval();
    const ids = Int32Array.from([5, 9, 200, 31, 7, 8]);
    const [a, b] = noGrad(() => [ft.classifier!.forward({ ids, B: 2, T: 3 }).logits.data.slice(), model.forward({ ids, B: 2, T: 3 }).logits.data.slice()]);
    assert.ok(a.every((x, i) => Math.abs(x - b[i]!) <= 1e-5), `${a} vs ${b}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('early stopping: --patience stops after evaluations without a lower val loss and writes the best evaluated weights', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-patience-'));
  try {
    const out = join(dir, 'sft');
    const { r, lines, ft } = await run('sft', out, { s: { maxSteps: 40, lr: 0.3, minLr: 0.3, evalInterval: 1, patience: 2 } });
    assert.equal(r.stopped, 'early-stopped', lines.join('\n'));
    assert.ok(r.step < 40);
    const evals = lines.filter((l) => l.startsWith('eval step')).map((l) => Number(/val loss (\S+)/.exec(l)![1]));
    const best = Math.min(...evals);
    assert.ok(evals.slice(-2).every((v) => v >= best), 'the last two evaluations did not improve');
    assert.ok(Math.abs(r.valLoss! - best) < 1e-4, `final val loss ${r.valLoss} is the best evaluation's ${best} (${evals})`);
    assert.ok(lines.some((l) => /^early stop: val loss .* for 2 evaluations \(--patience 2\)/.test(l)));
    assert.ok(ft.trainable && existsSync(join(out, 'model.safetensors')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('classificationMetrics: accuracy, per-label F1, macro F1 and the confusion matrix', () => {
  const m = classificationMetrics([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0], 3);
  assert.deepEqual(m.confusion, [[1, 0, 1], [0, 1, 0], [0, 1, 2]]);
  assert.equal(m.accuracy, 4 / 6);
  assert.deepEqual(m.f1.map((x) => Number(x.toFixed(6))), [0.666667, 0.666667, 0.666667]);
  assert.ok(Math.abs(m.macroF1 - 2 / 3) < 1e-12);
});

test('lm: continued next-token training lowers the validation loss of held-out text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-lm-'));
  try {
    const text = join(dir, 'text.txt');
    writeFileSync(text, 'the cat sat on the mat. '.repeat(120));
    const { r, lines } = await run('lm', join(dir, 'lm'), { data: [text], s: { maxSteps: 15, blockSize: 32, evalInterval: 1, evalIters: 2 } });
    const vals = lines.filter((l) => l.startsWith('eval step')).map((l) => Number(/val loss (\S+)/.exec(l)![1]));
    assert.ok(r.valLoss! < 0.7 * vals[0]!, `val loss ${vals[0]} -> ${r.valLoss}`);
    assert.ok(existsSync(join(dir, 'lm', 'model.safetensors')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad data and flags are one E_ line naming the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-bad-'));
  try {
    const one = (args: string[], re: RegExp) => {
      const r = llmts(['finetune', '--model', BASE, '--out', join(dir, `o${Math.random()}`), ...args]);
      const ls = errorLines(r.stderr);
      assert.equal(ls.length, 1, r.stderr);
      assert.match(ls[0]!, re);
      assert.equal(r.code, 1);
    };
    const jsonl = join(dir, 'chat.jsonl');
    writeFileSync(jsonl, '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n\n{"messages": [{"role": "user"}]}\n');
    one(['--data', jsonl, '--task', 'sft'], /^llmts: error E_DATA: .*chat\.jsonl:3: messages\[0\] needs a string "role" and a string "content"/);
    writeFileSync(jsonl, '{"messages": [{"role": "user", "content": "a"}]}\n');
    one(['--data', jsonl, '--task', 'sft'], /^llmts: error E_DATA: .*chat\.jsonl:1: the conversation has no assistant turn/);
    writeFileSync(jsonl, '{"instruction": "x", "output": "y"}\nnot json\n');
    one(['--data', jsonl, '--task', 'sft'], /^llmts: error E_DATA: .*chat\.jsonl:2: not valid JSON/);
    const csv = join(dir, 'labels.csv');
    writeFileSync(csv, 'text,label\n"fine",pos\n"bad",\n');
    one(['--data', csv, '--task', 'classify'], /^llmts: error E_DATA: .*labels\.csv:3: the label is empty/);
    writeFileSync(csv, 'text,label\n"fine,pos\n');
    one(['--data', csv, '--task', 'classify'], /^llmts: error E_DATA: .*labels\.csv:2: unterminated quoted field/);
    one(['--data', join(dir, 'none.txt'), '--task', 'lm'], /^llmts: error E_DATA: no data file .*none\.txt/);
    one(['--data', csv, '--task', 'translate'], /^llmts: error E_FLAG: --task must be lm, sft or classify/);
    one(['--data', csv, '--task', 'lm', '--lora-r', '4'], /^llmts: error E_FLAG: --lora-r needs --lora/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
