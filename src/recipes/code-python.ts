/**
 * `llmts recipe code-python`: a small decoder trained on the Python standard library's
 * own source (present wherever python3 is; read where it lies, never copied), evaluated on
 * held-apart modules: next-line exact match beside an order-5 n-gram model trained on the
 * same token stream, and HumanEval pass@1 (greedy, one sample; the tests run only in a
 * sandboxed python3 subprocess: src/eval/humaneval-sandbox.ts). A model this small is
 * expected to pass ~0 HumanEval problems; the figure is reported as measured.
 *
 * Steps: byte-level BPE (4,096 ids) trained on the training modules; the token stream is
 * every training module preceded by <|endoftext|>; a GPT-2-shaped decoder (4 layers, 192
 * wide, block 256) trained as a causal LM (`finetune --task lm`'s library calls) for a
 * number of steps set by --minutes; the model directory is `<out>/model`.
 *
 * @example
 * const r = await recipe.run({ out: 'runs/code-python', log: console.log });
 * // llmts complete --model runs/code-python/model --file f.py --line 12
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NGramModel } from '../eval/ngram.ts';
import { readHumanEval, scoreHumanEval, HUMANEVAL_DEFAULT } from '../eval/humaneval.ts';
import { gpt2Config } from '../models/decoder/config.ts';
import { createModel, describeModel, type AnyModel } from '../models/registry.ts';
import { trainBpe } from '../tokenizer/bpe-trainer.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { complete } from '../tasks/complete.ts';
import { finetune } from '../train/finetune.ts';
import { prepareFinetuneModel } from '../train/finetune-model.ts';
import { lowpIsa, withTrainingPrecision } from '../train/precision.ts';
import { loadModel } from '../io/load-model.ts';
import type { Recipe, RecipeEvalOptions, RecipeEvalRow, RecipeResult, RecipeRunOptions } from './registry.ts';
import { findStdlib, nextLinePositions, stdlibFiles, type SourceFile } from './code-python-data.ts';
import { nextLineExactMatch } from './code-python-eval.ts';

/** Sizes and steps of one run. */
export interface CodeSettings {
  vocab: number;
  layers: number;
  heads: number;
  width: number;
  block: number;
  batch: number;
  steps: number;
  lr: number;
  seed: number;
  /** Next-line positions evaluated. */
  positions: number;
}

/**
 * Optimizer steps per minute of training; sets the step count of a run of --minutes. Measured:
 * 0.57 s a step on ONE core of the Intel Xeon (AMX, bf16) with the other core busy, i.e. about
 * 105 a minute, so a quiet 2-core machine does at least this (fp32 without AMX: about 1.1 s of CPU a step).
 */
const STEPS_PER_MINUTE = 100;

/** The settings of a run of about `minutes`. */
export function codeSettings(minutes: number, seed: number): CodeSettings {
  return { vocab: 4096, layers: 4, heads: 4, width: 192, block: 256, batch: 16, steps: Math.max(1, Math.round(minutes * STEPS_PER_MINUTE)), lr: 2e-3, seed, positions: 300 };
}

/** Each file as ids, preceded by end-of-text (the document separator the completion prompt starts with). */
export function fileIds(tokenizer: Tokenizer, files: readonly SourceFile[]): Uint32Array[] {
  const eot = tokenizer.specialIds.eos!;
  return files.map((f) => Uint32Array.from([eot, ...tokenizer.encode(f.text)]));
}

/** The run's BPE, trained on the training modules. */
export async function codeTokenizer(files: readonly SourceFile[], vocab: number): Promise<Tokenizer> {
  const { tokenizer } = await trainBpe(files.map((f) => f.text), { vocabSize: vocab, specialTokens: ['<|endoftext|>'] });
  return tokenizer;
}

/** Trains the decoder on `train` (validation on `val`) and writes it to `out`; returns the model and the validation loss. */
export async function trainCodeModel(tokenizer: Tokenizer, train: Uint32Array[], val: Uint32Array[], s: CodeSettings, out: string,
  log: (l: string) => void): Promise<{ model: AnyModel; valLoss: number | null }> {
  const model = createModel(gpt2Config({ vocabSize: tokenizer.vocabSize, blockSize: s.block, nLayer: s.layers, nHead: s.heads, nEmbd: s.width }), { seed: s.seed });
  log(`model: ${describeModel(model.config)}; ${s.steps} steps of ${s.batch} x ${s.block} tokens`);
  const ft = prepareFinetuneModel(model, { task: 'lm', lora: null, seed: s.seed, lr: s.lr, beta1: 0.9, beta2: 0.95, weightDecay: 0.1 });
  // bf16 matrix products where the CPU has AMX tiles (about 2x a step there); fp32 elsewhere, where bf16 is no faster.
  const precision = lowpIsa() === 'amx' ? 'bf16' : 'fp32';
  log(`precision: ${precision} matrix products (weights and optimizer state fp32)`);
  const r = await withTrainingPrecision(precision, log, () => finetune(ft, { task: 'lm', train, val }, {
    out, seed: s.seed, maxSteps: s.steps, gradAccum: 1, gradClip: 1, lr: s.lr, minLr: s.lr / 10, warmupSteps: Math.min(100, Math.floor(s.steps / 10)),
    logInterval: Math.max(1, Math.floor(s.steps / 10)), evalInterval: 0, ckptInterval: 0, batchSize: s.batch, blockSize: s.block, evalIters: 20,
    keepLast: 1, patience: 0, padId: 0, progress: false, options: {},
  }, { tokenizer, baseModel: 'random init', log: (l) => { if (l.startsWith('step')) log(`  ${l}`); } }));
  model.eval();
  return { model, valLoss: r.valLoss };
}

/** The held-apart evaluation of a code model (see the module comment): next-line exact match beside the n-gram, the loss when known, HumanEval when its file is there. */
export async function evaluateCodeModel(m: { model: AnyModel; tokenizer: Tokenizer }, o: { train: readonly SourceFile[]; heldApart: readonly SourceFile[];
  positions: number; seed: number; valLoss: number | null; python: string; humaneval: string; log: (l: string) => void }): Promise<RecipeEvalRow[]> {
  const { model, tokenizer } = m, log = o.log;
  const ngram = new NGramModel(5);
  for (const ids of fileIds(tokenizer, o.train)) ngram.train(ids);
  const positions = nextLinePositions(o.heldApart, o.positions, o.seed);
  log(`next-line exact match at ${positions.length} positions of the held-apart modules ...`);
  const nl = nextLineExactMatch({ model, tokenizer }, ngram, positions, (k) => { if (k % 100 === 0) log(`  ${k}/${positions.length}`); });
  const evaluation: RecipeEvalRow[] = [
    { metric: `next-line exact match (${nl.n} held-apart lines)`, value: nl.model, baseline: 'order-5 n-gram, same tokens', baselineValue: nl.ngram },
  ];
  if (o.valLoss !== null) evaluation.push({ metric: 'held-apart loss (nats/token)', value: o.valLoss });
  if (existsSync(o.humaneval)) {
    const problems = readHumanEval(o.humaneval);
    log(`HumanEval: ${problems.length} problems, greedy completion of each, tests in a sandboxed python3 (${o.python}) ...`);
    const he = await scoreHumanEval(problems, (p) => complete({ model, tokenizer }, p.prompt, { mode: 'block', maxTokens: 256 }).lines.map((l) => `${l}\n`).join(''),
      { python: o.python, log });
    log(`HumanEval: ${he.passed}/${he.n} passed (network: ${he.network === 'namespace' ? 'none, a network namespace' : 'socket module disabled'})`);
    evaluation.push({ metric: `HumanEval pass@1 (greedy, ${he.n} problems)`, value: he.passAt1 });
  } else {
    log(`HumanEval: ${o.humaneval} not found, skipped`);
  }
  return evaluation;
}

/** The stdlib's modules, split as the recipe splits them, and the flags the evaluation reads. */
function recipeData(flags: Record<string, string | undefined> | undefined): { dir: string; train: SourceFile[]; heldApart: SourceFile[]; python: string; humaneval: string } {
  const python = flags?.python ?? 'python3';
  const dir = flags?.stdlib ?? findStdlib(python);
  return { dir, ...stdlibFiles(dir), python, humaneval: flags?.humaneval ?? HUMANEVAL_DEFAULT };
}

async function run(opts: RecipeRunOptions): Promise<RecipeResult> {
  const log = opts.log;
  const s = codeSettings(opts.minutes ?? recipe.defaultMinutes, opts.seed ?? 1);
  const { dir, train, heldApart, python, humaneval } = recipeData(opts.flags);
  const chars = (xs: readonly SourceFile[]) => xs.reduce((a, f) => a + f.text.length, 0);
  log(`code-python recipe: stdlib ${dir}: ${train.length} training modules (${(chars(train) / 1e6).toFixed(1)} MB), ${heldApart.length} held apart (${(chars(heldApart) / 1e3).toFixed(0)} kB)`);
  const tokenizer = await codeTokenizer(train, s.vocab);
  const trainIds = fileIds(tokenizer, train), valIds = fileIds(tokenizer, heldApart);
  const nTrain = trainIds.reduce((a, x) => a + x.length, 0);
  log(`tokenizer: byte-level BPE, ${tokenizer.vocabSize} ids; ${nTrain.toLocaleString('en-US')} training tokens`);
  mkdirSync(opts.out, { recursive: true });
  const modelDir = join(opts.out, 'model');
  const { model, valLoss } = await trainCodeModel(tokenizer, trainIds, valIds, s, modelDir, log);
  log(`trained: held-apart loss ${valLoss?.toFixed(3) ?? 'n/a'}`);
  const evaluation = await evaluateCodeModel({ model, tokenizer }, { train, heldApart, positions: s.positions, seed: s.seed, valLoss: valLoss ?? Number.NaN, python, humaneval, log });
  return {
    modelDir, evaluation,
    usage: [`llmts complete --model ${modelDir} --file my_module.py --line 12`, `printf 'def add(a, b):\\n' | llmts complete --model ${modelDir} --json`, `llmts generate --model ${modelDir} --prompt "import os" --max-tokens 64`],
  };
}

/** `Recipe.evaluate`: a model made by this recipe, evaluated as `run` ends (its tokenizer re-reads the training modules for the n-gram). */
async function evaluate(o: RecipeEvalOptions): Promise<RecipeEvalRow[]> {
  const { train, heldApart, python, humaneval } = recipeData(o.flags);
  const { model, tokenizer } = loadModel(o.modelDir);
  model.eval();
  const seed = o.seed ?? 1;
  return evaluateCodeModel({ model, tokenizer }, { train, heldApart, positions: codeSettings(1, seed).positions, seed, valLoss: null, python, humaneval, log: o.log });
}

/** The recipe (see the module comment). */
export const recipe: Recipe = {
  name: 'code-python',
  summary: 'a small Python code decoder trained on the stdlib\'s own source; next-line exact match vs an order-5 n-gram, HumanEval pass@1',
  defaultMinutes: 15,
  options: {
    stdlib: 'a folder of .py files instead of python3\'s standard library',
    python: 'the python3 that names the stdlib and runs the HumanEval tests (default python3)',
    humaneval: `HumanEval problems, .jsonl or .jsonl.gz (default ${HUMANEVAL_DEFAULT})`,
  },
  run,
  evaluate,
};
