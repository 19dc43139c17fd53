// LoRA with modules trained in full beside the adapters (peft's modules_to_save), e.g. the
// tied token embedding (GPT-2's wte, also its lm_head): the embedding trains, the adapter
// directory records and holds it (also as lm_head, with ensure_weight_tying, as peft 0.21
// writes a tied embed_tokens), and --adapter rebuilds the fine-tuned model (the tied output
// layer included); the CLI flag needs --lora. peft itself ties only modules named
// embed_tokens / lm_head: a Llama's embed_tokens adapter gives peft's logits (checked by hand,
// notes in the README), a GPT-2 wte one does not (peft unties its lm_head).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatTemplate } from '../../src/infer/chat-template.ts';
import { renderForTraining } from '../../src/infer/chat-mask.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.ts';
import { mergeLora } from '../../src/nn/lora.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { finetune } from '../../src/train/finetune.ts';
import { prepareFinetuneData } from '../../src/train/finetune-data.ts';
import { prepareFinetuneModel } from '../../src/train/finetune-model.ts';
import { llmts as runCli } from '../cli-run.ts';

const BASE = 'test/fixtures/hf-models/hf-gpt2-float32';
const SFT = 'test/fixtures/sft-rasbt/instruction-sample.json';

test('LoRA sft with modules_to_save wte: the tied embedding trains, is saved under its peft key, and --adapter gives the same logits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-mts-'));
  try {
    const { model, tokenizer } = loadModel(BASE);
    const wte0 = model.namedParameters().find(([n]) => n === 'transformer.wte.weight')![1].data.slice();
    const chatml = ChatTemplate.chatml();
    const prepared = await prepareFinetuneData({
      task: 'sft', files: [SFT], tokenizer, blockSize: 64, valFraction: 0.1, seed: 7, render: (m, where) => renderForTraining(chatml, tokenizer, m, { where }),
    });
    const lora = { r: 4, alpha: 8, dropout: 0, rsLora: false, modulesToSave: ['wte'] };
    const ft = prepareFinetuneModel(model, { task: 'sft', lora, seed: 7, lr: 1e-2, beta1: 0.9, beta2: 0.999, weightDecay: 0, padId: 0 });
    const trainable = ft.trainable.trainableParameters().map(([n]) => n);
    assert.ok(trainable.includes('transformer.wte.weight') && trainable.every((n) => n === 'transformer.wte.weight' || /\.lora_[AB]\.weight$/.test(n)), trainable.join(', '));
    await finetune(ft, prepared.data, {
      out: dir, seed: 7, maxSteps: 6, gradAccum: 1, gradClip: 1, lr: 1e-2, minLr: 1e-2, warmupSteps: 0, logInterval: 100, evalInterval: 0, ckptInterval: 0,
      batchSize: 4, blockSize: 64, evalIters: 1, keepLast: 1, patience: 0, padId: 0, progress: false, options: {},
    }, { tokenizer, baseModel: BASE, log: () => {} });
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg.modules_to_save, ['wte']);
    assert.equal(cfg.ensure_weight_tying, true, 'peft keeps a tied embedding tied only when told');
    const file = loadSafetensors(join(dir, 'adapter_model.safetensors')).tensors;
    const saved = file['base_model.model.transformer.wte.weight'], head = file['base_model.model.lm_head.weight'];
    assert.ok(saved && head, 'the embedding is in the adapter file, and as peft writes it, again as lm_head');
    assert.deepEqual(head.data, saved.data);
    const wte1 = ft.trainable.namedParameters().find(([n]) => n === 'transformer.wte.weight')![1].data;
    assert.ok(wte1.some((x, i) => Math.abs(x - wte0[i]!) > 1e-4), 'the embedding trained');
    mergeLora(ft.trainable);
    const viaAdapter = loadModel(BASE, undefined, { adapter: dir }).model;
    const ids = Int32Array.from([5, 9, 200, 31, 7]);
    const logits = (m: typeof viaAdapter) => noGrad(() => m.forward(ids, 1, 5).logits.data.slice());
    const [a, b, c] = [logits(ft.base), logits(viaAdapter), logits(loadModel(BASE).model)];
    assert.ok(a.every((x, i) => Math.abs(x - b[i]!) <= 1e-5), 'the adapter rebuilds the fine-tuned model');
    assert.ok(a.some((x, i) => Math.abs(x - c[i]!) > 1e-3), 'which differs from the base');
    // a file with only the lm_head copy (peft's modules_to_save ['lm_head'] with ensure_weight_tying) fills the tied embedding
    const only = join(dir, 'head-only');
    mkdirSync(only);
    copyFileSync(join(dir, 'adapter_config.json'), join(only, 'adapter_config.json'));
    const rest = Object.fromEntries(Object.entries(file).filter(([k]) => k !== 'base_model.model.transformer.wte.weight'));
    saveSafetensors(join(only, 'adapter_model.safetensors'), rest as Parameters<typeof saveSafetensors>[1]);
    const d = logits(loadModel(BASE, undefined, { adapter: only }).model);
    assert.ok(a.every((x, i) => Math.abs(x - d[i]!) <= 1e-5), 'lm_head.weight of a tied model goes into the embedding');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--lora-modules-to-save: written into adapter_config.json by the CLI; without --lora one E_FLAG line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-ft-mts-cli-'));
  try {
    const cli = (args: string[]) => runCli(['finetune', '--model', BASE, '--data', SFT, '--task', 'sft', '--steps', '2', '--batch-size', '2', '--no-progress', ...args], { timeoutMs: 120_000 });
    const ok = cli(['--out', join(dir, 'a'), '--lora', '--lora-modules-to-save', 'wte']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual((JSON.parse(readFileSync(join(dir, 'a', 'adapter_config.json'), 'utf8')) as Record<string, unknown>).modules_to_save, ['wte']);
    const bad = cli(['--out', join(dir, 'b'), '--lora-modules-to-save', 'wte']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /E_FLAG: --lora-modules-to-save needs --lora/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
