// `llmts lora merge` and `--adapter` as a user runs them (spawned CLI): the merged directory
// is a model directory with peft's logits, generate --adapter equals generate on the merged
// model, and mistakes are one `llmts: error E_...` line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { loadClassifier } from '../../src/io/classifier-dir.ts';
import { maxAbsDiff, PARITY_IDS, PEFT_DIR } from './peft-ours.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { llmts } from '../cli-run.ts';

const BASE = 'test/fixtures/hf-models/hf-gpt2-float32';
const ADAPTER = join(PEFT_DIR, 'peft-gpt2-causal');

/** stderr without the backend's native-kernels warning (machines without the native build). */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !/native kernels unavailable/.test(l));
}

function oneError(args: string[], code: string, re: RegExp): void {
  const r = llmts(args);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^llmts: error ${code}: .*${re.source}`));
  assert.equal(r.code, 1);
}

test('lora merge writes a model directory with peft\'s logits; generate --adapter equals generate on it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-lora-cli-'));
  try {
    const out = join(dir, 'merged');
    const m = llmts(['lora', 'merge', '--model', BASE, '--adapter', ADAPTER, '--out', out]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /wrote .*merged: gpt2: 2 layers.*merged LoRA r=4, alpha=8 on c_attn/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config.model_type, 'gpt2', 'HF fields: transformers loads it');
    const { model } = loadCheckpoint(out);
    const want = JSON.parse(readFileSync(join(ADAPTER, 'expected.json'), 'utf8')) as { logits: number[] };
    const got = noGrad(() => model.forward(PARITY_IDS, 1, PARITY_IDS.length).logits.data);
    assert.ok(maxAbsDiff(got, want.logits) <= 1e-4, 'the merged model gives peft\'s logits');
    const gen = (args: string[]) => llmts(['generate', ...args, '--prompt', 'Once upon a time', '--max-tokens', '16', '--temperature', '0']);
    const viaAdapter = gen(['--model', BASE, '--adapter', ADAPTER]);
    assert.equal(viaAdapter.code, 0, viaAdapter.stderr);
    assert.equal(gen(['--model', out]).stdout, viaAdapter.stdout);
    assert.notEqual(gen(['--model', BASE]).stdout, viaAdapter.stdout, 'the adapter changes the greedy text');
    const text = join(dir, 'text.txt');
    writeFileSync(text, 'Once upon a time there was a little cat who liked to play in the sun.');
    const ev = (args: string[]) => JSON.parse(llmts(['eval', ...args, '--file', text, '--json']).stdout) as { loss: number };
    assert.equal(ev(['--model', BASE, '--adapter', ADAPTER]).loss, ev(['--model', out]).loss);
    oneError(['lora', 'merge', '--model', BASE, '--adapter', ADAPTER, '--out', out], 'E_FLAG', /merged exists.*--overwrite/);
    assert.equal(llmts(['lora', 'merge', '--model', BASE, '--adapter', ADAPTER, '--out', out, '--overwrite']).code, 0);
    mkdirSync(join(dir, 'notes'));
    writeFileSync(join(dir, 'notes', 'keep.txt'), 'x');
    oneError(['lora', 'merge', '--model', BASE, '--adapter', ADAPTER, '--out', join(dir, 'notes'), '--overwrite'], 'E_FLAG', /exists and is not a model directory/);
    assert.ok(existsSync(join(dir, 'notes', 'keep.txt')), 'a folder that is not a model directory is never replaced');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lora merge of a peft SEQ_CLS adapter writes a classifier directory with peft\'s logits (LABEL_i labels, last-token pooling)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-lora-cli-seqcls-'));
  try {
    const out = join(dir, 'clf');
    const adapter = join(PEFT_DIR, 'peft-gpt2-seqcls');
    const m = llmts(['lora', 'merge', '--model', BASE, '--adapter', adapter, '--out', out]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /wrote .*clf: a classifier directory, gpt2: 2 layers.* 3-label score head \(LABEL_0, LABEL_1, LABEL_2\); merged LoRA r=4, alpha=16 \(rsLoRA\)/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config.architectures, ['GPT2ForSequenceClassification']);
    assert.deepEqual(config.id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    const { model, head } = loadClassifier(out);
    assert.equal(head.pooling, 'last');
    const want = JSON.parse(readFileSync(join(adapter, 'expected.json'), 'utf8')) as { logits: number[] };
    const got = noGrad(() => model.forward({ ids: PARITY_IDS, B: 1, T: PARITY_IDS.length }).logits.data);
    assert.equal(got.length, 3);
    assert.ok(maxAbsDiff(got, want.logits) <= 1e-4, `max |diff| ${maxAbsDiff(got, want.logits)}`);
    // a SEQ_CLS adapter whose file lacks the score head cannot become a classifier
    const broken = join(dir, 'no-head');
    mkdirSync(broken);
    writeFileSync(join(broken, 'adapter_config.json'), readFileSync(join(adapter, 'adapter_config.json')));
    writeFileSync(join(broken, 'adapter_model.safetensors'), readFileSync(join(PEFT_DIR, 'peft-gpt2-causal', 'adapter_model.safetensors')));
    oneError(['lora', 'merge', '--model', BASE, '--adapter', broken, '--out', join(dir, 'x')], 'E_ADAPTER', /no base_model\.model\.score\.weight/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lora / --adapter mistakes are one error line', () => {
  oneError(['lora', 'merge', '--model', BASE, '--out', 'x'], 'E_FLAG', /needs --adapter/);
  oneError(['lora', 'merge', '--model', BASE, '--adapter', ADAPTER], 'E_FLAG', /--out is required/);
  oneError(['lora', 'split'], 'E_FLAG', /unknown subcommand 'lora split'/);
  oneError(['generate', '--model', BASE, '--adapter', join(PEFT_DIR, 'peft-llama-causal'), '--prompt', 'a'], 'E_ADAPTER',
    /key 'base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight': the model has no module/);
  oneError(['generate', '--model', BASE, '--adapter', join(PEFT_DIR, 'peft-gpt2-seqcls'), '--prompt', 'a'], 'E_ADAPTER', /task_type is SEQ_CLS/);
  oneError(['generate', '--model', BASE, '--adapter', 'no/such/adapter', '--prompt', 'a'], 'E_ADAPTER', /adapter_config\.json is missing/);
});
