import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'llmts-e2e-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const tsx = import.meta.resolve('tsx'); // absolute: the commands run in a temporary folder
const llmts = (...args: string[]) => spawnSync(process.execPath, ['--import', tsx, main, ...args], { encoding: 'utf8', timeout: 120_000, cwd: root });

test('data tokenize -> train -> checkpoint, on a tiny config through the CLI', () => {
  const text = readFileSync(new URL('../../data/tinyshakespeare/input.txt', import.meta.url), 'utf8').slice(0, 60_000);
  writeFileSync(join(root, 'sh.txt'), text);
  const tok = llmts('data', 'tokenize', '--tokenizer', 'char', '--out', 'toks', 'sh.txt');
  assert.equal(tok.status, 0, tok.stderr);
  assert.match(tok.stdout, /train: 54,000 tokens in 1 shard\(s\); val: 6,000 tokens in 1 shard\(s\)/);
  assert.deepEqual(readdirSync(join(root, 'toks')).sort(), ['meta.json', 'tokenizer.json', 'train-000.bin', 'val-000.bin']);

  const tr = llmts('train', '--preset', 'tiny', '--data', 'toks', '--out=run', '--max-steps=20', '--ckptInterval=10', '--logInterval=5', '--samples=1', '--sampleTokens=30', '--progress=false');
  assert.equal(tr.status, 0, tr.stderr);
  assert.match(tr.stdout, /^ {2}maxSteps += 20$/m);
  assert.match(tr.stdout, /^step 20\/20 \| loss \d+\.\d{4} \| lr [\d.e+-]+ \| norm [\d.]+ \| \d+ ms \| [\d.]+k? tok\/s \| mfu \d+%$/m);
  assert.match(tr.stdout, /^final eval \| val loss \d\.\d{4} \| ppl [\d.]+ \(whole val split: 6,000 tokens\)$/m);
  assert.match(tr.stdout, /--- sample 1 /);
  assert.match(tr.stdout, /run directory: run/);
  for (const f of ['train_config.json', 'metrics.jsonl', 'loss.html', 'checkpoints/step-10/model.safetensors', 'checkpoints/step-20/trainer_state.json']) {
    assert.ok(existsSync(join(root, 'run', f)), f);
  }
  const again = llmts('train', '--preset', 'tiny', '--data', 'toks', '--out=run');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /E_RUN_EXISTS: run already holds 2 checkpoint\(s\).*--resume/);
  const more = llmts('train', '--out=run', '--resume', '--maxSteps=25', '--progress=false');
  assert.equal(more.status, 0, more.stderr);
  assert.match(more.stdout, /resuming from run\/checkpoints\/step-20 \(step 20\)/);
  assert.match(more.stdout, /^step 25\/25 /m);
});

test('config mistakes through the CLI: unknown key with a suggestion, bad value, bad config file', () => {
  const typo = llmts('train', '--preset=tiny', '--maxStepz=3');
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /^llmts: error E_CONFIG: unknown config key 'maxStepz'.*did you mean 'maxSteps'/m);
  const bad = llmts('train', '--preset=tiny', '--lr=fast');
  assert.match(bad.stderr, /E_CONFIG: lr must be a number, got "fast" \(at command line: lr\)/);
  writeFileSync(join(root, 'cfg.json'), '{"maxSteps": "ten"}');
  const file = llmts('train', '--config', 'cfg.json');
  assert.match(file.stderr, /E_CONFIG: maxSteps must be an integer, got "ten" \(at config file: maxSteps\)/);
  const help = llmts('train', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--gradAccum +int/);
});

test('llmts model info prints parameters, FLOPs per token and memory', () => {
  const r = llmts('model', 'info', '--preset', 'gpt2-124m');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^parameters +124,439,808 \(124\.44M/m);
  assert.match(r.stdout, /^FLOPs\/token +forward [\d.]+ MFLOP, training [\d.]+ MFLOP/m);
  assert.match(r.stdout, /^training mem +[\d.]+ GiB = weights\+grads\+AdamW 1\.85 GiB/m);
  assert.match(r.stdout, /^inference mem +[\d.]+ MiB = weights 474\.7 MiB \+ KV cache 72\.0 MiB/m);
  const list = llmts('model', 'info', '--list');
  assert.match(list.stdout, /^shakespeare-char +nanoGPT/m);
  const unknown = llmts('model', 'info', '--preset', 'gpt5');
  assert.match(unknown.stderr, /unknown preset 'gpt5'/);
});

test('llmts start: prepare -> tokenizer -> tokenize -> train -> eval -> samples on bundled TinyStories (tiny model)', () => {
  const r = llmts('start', '--preset=tiny', '--maxSteps=20', '--evalInterval=0', '--out=st', '--progress=false');
  assert.equal(r.status, 0, r.stderr);
  const o = r.stdout;
  assert.match(o, /^prepare: TinyStories .*: [\d,]+ paragraphs -> [\d,]+ train \+ [\d,]+ val/m);
  assert.match(o, /^tokenizer: byte-level BPE trained to 1024 ids/m);
  assert.match(o, /^tokenize: [\d,]+ train \+ [\d,]+ val tokens -> st\/data/m);
  assert.match(o, /^step 20\/20 /m);
  assert.match(o, /^eval: val loss \d\.\d{4} \| perplexity [\d.]+ \| [\d.]+ bits per byte/m);
  assert.match(o, /^--- sample 2 [^]*^Once upon a time/m);
  assert.match(o, /Run directory: st\n[^]*npx llmts generate --model st [^]*npx llmts train --out st --resume/);
  assert.ok(existsSync(join(root, 'st', 'checkpoints', 'step-20', 'tokenizer.json')));
});
