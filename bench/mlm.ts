/**
 * `npm run bench -- mlm [--sst2 DIR] [--out DIR] [--steps N] [--precision fp32|bf16]
 * [--finetune-steps N] [--lr X] [--scratch-lr X] [--pretrained DIR] [--quick]`:
 * issue 14's masked-LM figures. (1) `llmts train --preset bert-mini --objective mlm` on the
 * bundled TinyStories head plus, with --sst2, the SST-2 training sentences without labels
 * (GLUE's train.tsv holds every sentence and its sub-phrases: only phrases that are not part
 * of a longer one are kept, 6,885 sentences; SST-2 has no licence, so it is read where it
 * lies and the text is written under --out, never into the repository); masked-token
 * accuracy on the held-apart 5% of paragraphs and the wall time (target: >= 40% in 10
 * minutes on 2 cores). (2) With --sst2, the pretrained encoder fine-tuned as a sequence
 * classifier (`finetune --task classify`, mean pooling) on every SST-2 training phrase
 * against the same encoder from random init with the same recipe, accuracy on the 872 dev
 * sentences, beside naive Bayes (unigrams + bigrams) on the same phrases (target: >= 82%
 * and >= 4 points over scratch). --pretrained DIR skips (1) and fine-tunes that checkpoint.
 * --quick: bert-tiny, a few steps, for a smoke run.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backend } from '../src/backend/index.ts';
import { numberFlag } from '../src/cli/flags.ts';
import type { LabelledText } from '../src/data/classify-data.ts';
import { loadModel } from '../src/io/load-model.ts';
import { getPreset } from '../src/models/presets.ts';
import { createModel, describeModel } from '../src/models/registry.ts';
import type { LabelledIds } from '../src/train/finetune.ts';
import { planRun, train } from '../src/train/trainer.ts';
import { LlmtsError } from '../src/util/errors.ts';
import { classifierIds, classifyRun, naiveBayesAccuracy, readSst2, type ArmOptions } from './transfer.ts';

const TINYSTORIES = 'data/tinystories/tinystories_val_head.txt';

/**
 * The SST-2 training sentences without labels: every distinct phrase that is not a
 * word-contiguous part of a longer one (longest first), so the pretraining text holds each
 * sentence once instead of once per sub-phrase.
 */
export function sst2Sentences(rows: readonly LabelledText[]): string[] {
  const phrases = [...new Set(rows.map((r) => r.text.trim()).filter(Boolean))].sort((a, b) => b.length - a.length);
  const parts = new Set<string>();
  const kept: string[] = [];
  for (const p of phrases) {
    if (parts.has(p)) continue;
    kept.push(p);
    const w = p.split(' ');
    for (let i = 0; i < w.length; i++) {
      let s = w[i]!;
      parts.add(s);
      for (let j = i + 1; j < w.length; j++) parts.add((s += ` ${w[j]}`));
    }
  }
  return kept;
}

/** Runs the benchmark; see the module comment. */
export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, strict: true, options: {
        sst2: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' }, precision: { type: 'string' }, 'finetune-steps': { type: 'string' },
        lr: { type: 'string' }, 'scratch-lr': { type: 'string' }, pretrained: { type: 'string' }, quick: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new LlmtsError('E_FLAG', `bench mlm: ${(err as Error).message}`, { where: 'flags', hint: 'see the options in bench/mlm.ts' });
  }
  const v = parsed.values;
  const quick = v.quick === true;
  const out = resolve(v.out ?? `runs/bench-mlm${quick ? '-quick' : ''}`);
  const precision = v.precision ?? 'fp32';
  if (precision !== 'fp32' && precision !== 'bf16') throw new LlmtsError('E_FLAG', `--precision must be fp32 or bf16, got '${precision}'`, { where: '--precision', hint: 'bf16 is fast with AMX' });
  const steps = numberFlag(v.steps, '--steps', quick ? 30 : getPreset('bert-mini').recipe.maxSteps ?? 2400, { int: true, min: 1 });
  const ftSteps = numberFlag(v['finetune-steps'], '--finetune-steps', quick ? 20 : 1000, { int: true, min: 1 });
  const arm: Omit<ArmOptions, 'lr'> = { steps: ftSteps, batch: 32, block: 64, lora: null, pooling: 'mean' };
  const lr = numberFlag(v.lr, '--lr', 3e-4, { min: 0, minExclusive: true });
  const scratchLr = numberFlag(v['scratch-lr'], '--scratch-lr', 3e-4, { min: 0, minExclusive: true });
  const sst2 = v.sst2 ?? null;
  const log = (l: string): void => console.log(l);
  console.log(`mlm bench | backend ${backend().name}, ${backend().getThreads()} thread(s), ${precision} | out ${out}`);

  // (1) masked-LM pretraining
  let modelDir = v.pretrained ?? null;
  if (!modelDir) {
    mkdirSync(out, { recursive: true });
    const corpus = [resolve(TINYSTORIES)];
    if (sst2) {
      const text = join(out, 'sst2-train-sentences.txt');
      const sentences = sst2Sentences(await readSst2(sst2, 'train'));
      writeFileSync(text, sentences.join('\n\n') + '\n'); // one paragraph (document) per sentence
      corpus.push(text);
      log(`pretraining text: TinyStories head + ${sentences.length.toLocaleString('en-US')} SST-2 training sentences without labels (${text})`);
    }
    const runDir = join(out, 'pretrain');
    if (existsSync(runDir)) throw new LlmtsError('E_FLAG', `${runDir} exists`, { where: '--out', hint: 'pass a new --out, or --pretrained DIR to fine-tune a finished run' });
    const plan = planRun({
      overrides: {
        preset: quick ? 'bert-tiny' : 'bert-mini', corpus: corpus.join(','), out: runDir, maxSteps: String(steps), precision, progress: 'false',
        ...(quick ? { warmupSteps: '5', evalInterval: '10', logInterval: '10' } : {}),
      },
    });
    let accuracy = NaN;
    const res = await train(plan, {
      log: (l) => {
        const m = /masked-token accuracy ([\d.]+)%/.exec(l);
        if (m) accuracy = Number(m[1]);
        if (/^(step|eval|final|data|prepare|tokenize|model)/.test(l)) log(`  ${l}`);
      },
    });
    modelDir = res.checkpoint!;
    const t = plan.train, short = Math.round(t.shortBlockFraction * t.maxSteps);
    const shape = t.shortBlockSize > 0 && short > 0 ? `${short} steps of ${Math.round((t.batchSize * t.blockSize) / t.shortBlockSize)} x ${t.shortBlockSize}, then ${res.step - short} of ${t.batchSize} x ${t.blockSize}` : `${res.step} steps of ${t.batchSize} x ${t.blockSize}`;
    console.log(`\nmasked-LM pretraining: ${describeModel(res.model.config)}, ${shape}, lr ${t.lr}, attention init ${t.attentionInit}, ${precision}: `
      + `masked-token accuracy ${accuracy.toFixed(2)}% on the held-apart text (${t.blockSize}-token windows) in ${(res.trainSeconds / 60).toFixed(1)} min (target: >= 40% in 10 min on 2 cores)`);
  }
  if (!sst2) return;

  // (2) SST-2: pretrained vs scratch, same recipe
  const [train2, dev] = [await readSst2(sst2, 'train'), await readSst2(sst2, 'dev')];
  const { model: pre, tokenizer } = loadModel(modelDir);
  const enc = (x: LabelledText): LabelledIds => ({ ids: classifierIds(tokenizer, x.text, arm.block), label: Number(x.label) });
  const trainIds = train2.map(enc), devIds = dev.map(enc);
  const t0 = performance.now();
  const preAcc = await classifyRun(pre, tokenizer, trainIds, devIds, 1, { ...arm, lr });
  const t1 = performance.now();
  const scratchAcc = await classifyRun(createModel(pre.config, { seed: 1001 }), tokenizer, trainIds, devIds, 1, { ...arm, lr: scratchLr });
  const t2 = performance.now();
  const nb = naiveBayesAccuracy(train2, dev);
  console.log(`\nSST-2 dev (${dev.length} sentences), fine-tuned on all ${train2.length.toLocaleString('en-US')} training phrases: ${arm.steps} steps of ${arm.batch}, [CLS] text [SEP] cut to ${arm.block}, mean pooling, full fine-tuning`);
  console.log('| model | SST-2 dev accuracy | fine-tuning time |');
  console.log('|---|---|---|');
  console.log(`| ${describeModel(pre.config).split(':')[0]} MLM-pretrained (${modelDir}), lr ${lr} | ${(100 * preAcc).toFixed(1)}% | ${((t1 - t0) / 1000).toFixed(0)} s |`);
  console.log(`| same encoder from random init, lr ${scratchLr} | ${(100 * scratchAcc).toFixed(1)}% | ${((t2 - t1) / 1000).toFixed(0)} s |`);
  console.log(`| naive Bayes, unigrams + bigrams, same phrases | ${(100 * nb).toFixed(1)}% | |`);
  console.log(`pretrained - scratch: ${(100 * (preAcc - scratchAcc)).toFixed(1)} points (target: pretrained >= 82%, >= 4 points over scratch)`);
}
