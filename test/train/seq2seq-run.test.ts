/**
 * A seq2seq training run (src/train/seq2seq-run.ts) on a tiny model and a toy task (words ->
 * their French, word for word): the loss falls and greedy decoding learns the task;
 * the run directory holds checkpoints, metrics.jsonl and eval.json; a run stopped and
 * resumed from its checkpoint ends with the weights of an uninterrupted one; the preset's
 * settings are checked before any data is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backend } from '../../src/backend/index.ts';
import { generateTexts } from '../../src/infer/seq2seq-generate.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { bartConfig } from '../../src/models/seq2seq/index.ts';
import { pool } from '../../src/tensor/pool.ts';
import { runSeq2SeqPreset } from '../../src/train/seq2seq-recipes.ts';
import { trainSeq2Seq, trainSharedBpe, type Seq2SeqRunSpec, type Seq2SeqSettings } from '../../src/train/seq2seq-run.ts';
import type { TextPair } from '../../src/train/seq2seq-data.ts';
import { LlmtsError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { llmts as runCli } from '../cli-run.ts';

const root = mkdtempSync(join(tmpdir(), 'llmts-s2s-run-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const WORDS: Record<string, string> = { red: 'rouge', blue: 'bleu', green: 'vert', cat: 'chat', dog: 'chien', sun: 'soleil', moon: 'lune', tree: 'arbre' };
const rng = new Rng(5);
const toy = (n: number): TextPair[] => Array.from({ length: n }, () => {
  const w = Array.from({ length: 2 + rng.int(3) }, () => Object.keys(WORDS)[rng.int(8)]!);
  return { source: w.join(' '), target: w.map((x) => WORDS[x]).join(' ') };
});
const train = toy(400), val = toy(20), heldOut = toy(16);

const settings = (maxSteps: number): Seq2SeqSettings => ({
  seed: 3, batchSize: 32, maxSteps, lr: 3e-3, minLr: 3e-4, warmupSteps: 10, weightDecay: 0.01, beta2: 0.98, gradClip: 1, labelSmoothing: 0.1,
  logInterval: 10, evalInterval: 0, ckptInterval: 20, keepLast: 2, vocabSize: 300, maxSourceLen: 16, maxTargetLen: 16,
});
const spec = (out: string, maxSteps: number, o: { resume?: boolean; dropout?: number; labelSmoothing?: number } = {}): Seq2SeqRunSpec => ({
  name: 'toy', out, resume: o.resume ?? false, settings: { ...settings(maxSteps), labelSmoothing: o.labelSmoothing ?? 0.1 }, log: () => {},
  model: bartConfig({ vocabSize: 300, blockSize: 32, nLayer: 2, nHead: 4, nEmbd: 32, intermediateSize: 64, dropout: o.dropout ?? 0.1 }),
  data: { train, val, tokenizerTexts: () => train.flatMap((p) => [p.source, p.target]) },
  evaluate: (model, tokenizer) => {
    const hyps = generateTexts(model, tokenizer, heldOut.map((p) => p.source), { maxLength: 16 });
    return { exact: hyps.filter((h, i) => h.trim() === heldOut[i]!.target).length };
  },
});

test('a toy run: the loss falls, greedy decoding translates unseen sequences, the run directory is complete', async () => {
  const out = join(root, 'full');
  const r = await trainSeq2Seq(spec(out, 600, { dropout: 0, labelSmoothing: 0 })); // attention over the source is learnt after a plateau of ~200 steps
  assert.equal(r.stopped, 'done');
  const m = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; loss?: number; exact?: number });
  const losses = m.filter((x) => x.kind === 'train').map((x) => x.loss!);
  assert.ok(losses[losses.length - 1]! < 0.05 * losses[0]!, `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
  assert.ok(r.scores.exact! >= 12, `${r.scores.exact} of 16 translated exactly`);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')).exact, r.scores.exact);
  const ck = loadCheckpoint(out);
  assert.equal(ck.dir, join(out, 'checkpoints', 'step-600'));
  assert.equal(ck.tokenizer.encode('red cat', { addSpecialTokens: true })[0], 0, 'sources start with <s> (BART template)');
  assert.ok(existsSync(join(out, 'checkpoints', 'step-580')) && !existsSync(join(out, 'checkpoints', 'step-560')), 'keepLast 2');
});

test('interrupted at step 20 and resumed, a run ends with the weights of an uninterrupted one', async () => {
  const a = join(root, 'a'), b = join(root, 'b');
  await trainSeq2Seq(spec(a, 40));
  const ac = new AbortController();
  const first = await trainSeq2Seq({ ...spec(b, 40), signal: ac.signal, log: (line) => { if (line.startsWith('step 20/')) ac.abort(); } });
  assert.equal(first.stopped, 'interrupted');
  assert.equal(first.step, 20);
  assert.deepEqual(first.scores, {}, 'an interrupted run is not evaluated');
  await assert.rejects(trainSeq2Seq(spec(b, 40)), (e: unknown) => e instanceof LlmtsError && e.code === 'E_RUN_EXISTS');
  const r = await trainSeq2Seq(spec(b, 40, { resume: true }));
  assert.equal(r.step, 40);
  const wa = loadCheckpoint(a).model.namedParameters(), wb = loadCheckpoint(b).model.namedParameters();
  wa.forEach(([name, p], i) => assert.deepEqual(wb[i]![1].data, p.data, name));
  await assert.rejects(trainSeq2Seq(spec(join(root, 'none'), 40, { resume: true })), (e: unknown) => e instanceof LlmtsError && e.code === 'E_NO_CHECKPOINT');
});

test('the shared BPE has BART\'s specials at ids 0-3 and wraps sources in <s> ... </s>', async () => {
  const tok = await trainSharedBpe(['the cat', 'le chat'], 280);
  assert.deepEqual(['<s>', '<pad>', '</s>', '<unk>'].map((t) => tok.tokenToId(t)), [0, 1, 2, 3]);
  const ids = tok.encode('le chat', { addSpecialTokens: true });
  assert.equal(ids[0], 0);
  assert.equal(ids[ids.length - 1], 2);
  assert.equal(tok.decode(ids, { skipSpecialTokens: true }), 'le chat');
});

test('precision bf16 and padMultiple: the run trains with bf16 matrix products, puts the fp32 backend and the pool allowance back, and evaluates in fp32', async () => {
  const before = backend(), cap = pool.minFreeCapBytes;
  const lines: string[] = [];
  let during: unknown = null;
  const s = spec(join(root, 'bf16'), 12);
  const r = await trainSeq2Seq({
    ...s, settings: { ...s.settings, precision: 'bf16', padMultiple: 4 }, log: (l) => lines.push(l),
    evaluate: (model, tokenizer, log) => {
      during = backend();
      return s.evaluate(model, tokenizer, log);
    },
  });
  assert.equal(r.stopped, 'done');
  assert.ok(lines.some((l) => /bf16 matrix products/.test(l)), lines.join('\n'));
  assert.equal(backend(), before, 'the fp32 backend is back after training');
  assert.equal(during, before, 'the final evaluation runs on the fp32 backend');
  assert.equal(pool.minFreeCapBytes, cap, 'the pool allowance is back');
});

test('preset settings: an unused key, a malformed value, an unknown preset are E_ errors before any data is read', async () => {
  await assert.rejects(runSeq2SeqPreset('translate-en-fr', { overrides: { precision: 'fp16' } }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG' && /precision must be one of/.test(e.message));
  await assert.rejects(runSeq2SeqPreset('translate-en-fr', { overrides: { nLayer: '2' } }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG' && /nLayer is not a setting of the encoder-decoder preset/.test(e.message));
  await assert.rejects(runSeq2SeqPreset('translate-en-fr', { overrides: { lr: 'fast' } }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_CONFIG' && /lr must be a number/.test(e.message));
  await assert.rejects(runSeq2SeqPreset('summarize-scitldr', { overrides: { data: join(root, 'nowhere') } }), (e: unknown) => e instanceof LlmtsError && e.code === 'E_DATA' && /has no train\.jsonl/.test(e.message));
  await assert.rejects(runSeq2SeqPreset('tiny'), (e: unknown) => e instanceof LlmtsError && e.code === 'E_PRESET');
});

test('llmts train --preset translate-en-fr reaches the seq2seq run: its settings errors are one E_ line, exit 1', () => {
  const r = runCli(['train', '--preset', 'translate-en-fr', '--nLayer=2'], { timeoutMs: 120_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /E_CONFIG: nLayer is not a setting of the encoder-decoder preset translate-en-fr/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
