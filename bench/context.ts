/**
 * `npm run bench -- context [--quick] [--steps N] [--ft-steps N] [--stream N] [--keep DIR]`
 * (default: 2000 pretraining steps, fine-tunes of 5% of that, a 20k-token stream; --quick:
 * 300 steps, a 6k stream): using more context than a model was trained on (issue 20).
 *
 * 1. Pretrain a small Llama (4 layers, 128 wide, 4 heads, char tokenizer) at 256 tokens on
 *    TinyStories (data/tinystories, 95% of it; the last 5% is held apart).
 * 2. Perplexity on the held-apart text at 256, 512 and 1024 tokens (non-overlapping
 *    windows over the same first 16k tokens): the model as trained (RoPE extrapolated),
 *    and with each RoPE scaling set for 1024 (factor 4: linear, dynamic NTK, YaRN).
 * 3. Fine-tune at 1024 tokens (batch 2, as many tokens per step as pretraining) for
 *    <= 5% of the pretraining steps, with YaRN x4, and without scaling for contrast; the
 *    same table after each.
 * 4. The sliding KV window with 4 attention sinks (src/infer/kv-window.ts) over one
 *    20k-token stream of the held-apart text with the pretrained model and a 256-token
 *    window: perplexity against the in-window (non-overlapping 256) perplexity of the same
 *    tokens, the same without sinks, the KV cache's bytes and the process RSS at each shift.
 * Targets: YaRN + fine-tune ppl@1024 within 5% of ppl@256 (the pretrained model's, as
 * trained); the sink window's stream ppl within 5% of the in-window ppl, RSS flat.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenData, tokenizeFiles } from '../src/data/tokenize.ts';
import { scoreIds } from '../src/eval/perplexity.ts';
import { scoreStream } from '../src/infer/stream-perplexity.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { withContext, type RopeScalingRequest } from '../src/models/context.ts';
import type { LanguageModel } from '../src/models/model.ts';
import type { AnyModel } from '../src/models/registry.ts';
import { CharTokenizer } from '../src/tokenizer/char.ts';
import { planRun, train } from '../src/train/trainer.ts';
import { LlmtsError } from '../src/util/errors.ts';

const TRAIN_CTX = 256;
const LENGTHS = [256, 512, 1024];
const EVAL_TOKENS = 16384; // 64 windows at 256, 16 at 1024: the same text at every length

function flag(argv: string[], name: string, fallback: string): number {
  const i = argv.indexOf(`--${name}`);
  const v = Number(i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback);
  if (!(Number.isInteger(v) && v >= 1)) throw new LlmtsError('E_FLAG', `--${name} must be a positive integer`, { where: `--${name}`, hint: `e.g. --${name} ${fallback}` });
  return v;
}

const quiet = { log: () => {} };
const fmt = (x: number) => x.toFixed(3);

/** Overrides of one `llmts train` run. */
function runArgs(out: string, data: string, steps: number, block: number, batch: number, lr: number): Record<string, string> {
  return {
    preset: 'tiny', arch: 'llama', nLayer: '4', nHead: '4', nEmbd: '128', intermediateSize: '352', blockSize: String(block),
    batchSize: String(batch), data, out, maxSteps: String(steps), lr: String(lr), minLr: String(lr / 10), warmupSteps: String(Math.max(1, Math.ceil(steps / 10))),
    evalInterval: '0', evalIters: '1', ckptInterval: '0', keepLast: '1', logInterval: String(steps), progress: 'false', seed: '1337',
  };
}

/** Perplexity at each length (non-overlapping windows over the first EVAL_TOKENS held-apart tokens). */
function pplRow(model: AnyModel, ids: readonly number[]): number[] {
  return LENGTHS.map((L) => Math.exp(scoreIdsLoss(model, ids.slice(0, EVAL_TOKENS + 1), L)));
}

function scoreIdsLoss(model: AnyModel, ids: readonly number[], L: number): number {
  const r = scoreIds(model, ids, { blockSize: L, batchSize: Math.max(1, 2048 / L) });
  return r.totalNats / r.tokens;
}

/** The model set up for 1024 tokens: RoPE extrapolated (no scaling) or a scaling of factor 4. */
function at1024(model: AnyModel, rope: RopeScalingRequest | null): AnyModel {
  return rope ? withContext(model, { rope }) : withContext(model, { context: 1024 });
}

export async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const steps = flag(argv, 'steps', quick ? '300' : '2000');
  const ftSteps = flag(argv, 'ft-steps', String(Math.max(1, Math.floor(steps * 0.05))));
  const streamLen = flag(argv, 'stream', quick ? '6000' : '20000');
  const keepIdx = argv.indexOf('--keep');
  const keep = keepIdx >= 0 ? argv[keepIdx + 1] ?? '' : '';
  const work = keep || mkdtempSync(join(tmpdir(), 'llmts-bench-context-'));
  mkdirSync(work, { recursive: true });
  const t0 = performance.now();
  try {
    const text = readFileSync('data/tinystories/tinystories_val_head.txt', 'utf8');
    const tok = CharTokenizer.fromText(text);
    const file = join(work, 'tinystories.txt');
    writeFileSync(file, text);
    const dataDir = join(work, 'tokens');
    tokenizeFiles([file], tok, dataDir, { valFraction: 0.05 });
    const data = loadTokenData(dataDir);
    const val = data.val.flatMap((s) => Array.from(s));
    if (val.length < Math.max(EVAL_TOKENS, streamLen) + 1) throw new LlmtsError('E_DATA', `the held-apart text has ${val.length} tokens`, { where: '--stream', hint: 'use a shorter --stream' });
    console.log(`context: Llama 4 layers, 128 wide, 4 heads (head size 32), char tokenizer (${tok.vocabSize} ids), trained at ${TRAIN_CTX} tokens, batch 8, ${steps} steps; held apart: ${val.length} tokens`);

    // 1. pretraining at 256
    const base = await train(planRun({ overrides: runArgs(join(work, 'pretrain'), dataDir, steps, TRAIN_CTX, 8, 2e-3) }), quiet);
    console.log(`  ${(base.model.numParameters() / 1e6).toFixed(2)}M parameters; pretraining took ${base.trainSeconds.toFixed(0)} s`);
    const model = base.model;
    model.eval();

    // 2. perplexity at 256 / 512 / 1024 without and with each scaling
    const rows: [string, number[]][] = [];
    const variants: [string, RopeScalingRequest | null][] = [
      ['as trained (RoPE extrapolated)', null],
      ['linear x4', { type: 'linear', factor: 4 }],
      ['dynamic NTK x4', { type: 'dynamic', factor: 4 }],
      ['YaRN x4', { type: 'yarn', factor: 4 }],
    ];
    for (const [name, rope] of variants) rows.push([name, pplRow(at1024(model, rope), val)]);

    // 3. fine-tunes at 1024 (<= 5% of the pretraining steps, same tokens per step)
    for (const [name, rope] of [['YaRN x4', { type: 'yarn', factor: 4 }], ['no scaling', null]] as [string, RopeScalingRequest | null][]) {
      const start = join(work, `start-${rope ? 'yarn' : 'plain'}`);
      saveCheckpoint(start, { model: at1024(model, rope), tokenizer: tok });
      const o = { ...runArgs(join(work, `ft-${rope ? 'yarn' : 'plain'}`), dataDir, ftSteps, 1024, 2, 5e-4), resumeFrom: start, rewarmSteps: String(Math.max(1, Math.ceil(ftSteps / 10))) };
      delete (o as Record<string, string>).nLayer; // a continual run keeps the checkpoint's shape
      delete (o as Record<string, string>).nHead;
      delete (o as Record<string, string>).nEmbd;
      delete (o as Record<string, string>).intermediateSize;
      const r = await train(planRun({ overrides: o }), quiet);
      r.model.eval();
      rows.push([`${name} + fine-tune at 1024 (${ftSteps} steps, ${r.trainSeconds.toFixed(0)} s)`, pplRow(r.model, val)]);
    }

    console.log(`\nperplexity on ${EVAL_TOKENS} held-apart tokens (non-overlapping windows)`);
    console.log(`  ${'model'.padEnd(52)}${LENGTHS.map((L) => `ppl@${L}`.padStart(11)).join('')}`);
    for (const [name, r] of rows) console.log(`  ${name.padEnd(52)}${r.map((x) => fmt(x).padStart(11)).join('')}`);
    const ref = rows[0]![1][0]!;
    const yarnFt = rows.find(([n]) => n.startsWith('YaRN x4 + fine-tune'))![1][2]!;
    const gap = yarnFt / ref - 1;
    console.log(`\ntarget: YaRN + fine-tune ppl@1024 within 5% of ppl@256 as trained (${fmt(ref)}): ${fmt(yarnFt)} (${(100 * gap).toFixed(1)}%) -> ${gap <= 0.05 ? 'met' : 'NOT met'}`);

    // 4. the sink window over one long stream, with the pretrained model
    const stream = val.slice(0, streamLen + 1);
    const lm = model as unknown as LanguageModel;
    const inWindow = Math.exp(scoreIdsLoss(model, stream, TRAIN_CTX));
    const sinks = scoreStream(lm, stream, { window: TRAIN_CTX, keep: 4 });
    const noSinks = scoreStream(lm, stream, { window: TRAIN_CTX, keep: 0 });
    const mb = (b: number) => (b / 1e6).toFixed(1);
    console.log(`\nstream of ${streamLen} held-apart tokens, KV window ${TRAIN_CTX} (${mb(sinks.kvBytes)} MB of keys and values, fixed)`);
    console.log(`  in-window (non-overlapping ${TRAIN_CTX})      ppl ${fmt(inWindow)}`);
    console.log(`  sliding window, 4 sinks            ppl ${fmt(sinks.perplexity)}  (${sinks.shifts} shifts; RSS first ${mb(sinks.rss.first)} MB, min ${mb(sinks.rss.min)}, max ${mb(sinks.rss.max)})`);
    console.log(`  sliding window, no sinks           ppl ${fmt(noSinks.perplexity)}  (${noSinks.shifts} shifts)`);
    const sgap = sinks.perplexity / inWindow - 1;
    const growth = sinks.rss.first > 0 ? sinks.rss.max / sinks.rss.first - 1 : 0;
    console.log(`target: sink-window ppl within 5% of in-window: ${(100 * sgap).toFixed(1)}% -> ${sgap <= 0.05 ? 'met' : 'NOT met'}; RSS growth over the stream ${(100 * growth).toFixed(1)}%`);
    console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s (wall clock, shared machine)`);
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}
