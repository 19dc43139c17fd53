/**
 * `llmts demo`: trains a tiny character-level Transformer on the bundled Tiny
 * Shakespeare, printing one plain line per N steps, then prints samples.
 *
 *   llmts demo                      # defaults: ~1-2 minutes on 2 cores
 *   llmts demo --steps 2000 --seed 7
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backend } from '../backend/index.ts';
import { generate } from '../infer/engine.ts';
import { createModel, gpt2Config, llamaConfig } from '../models/index.ts';
import { TokenLoader } from '../data/loader.ts';
import { meanLoss } from '../eval/loss.ts';
import { AdamW, decayGroups } from '../optim/index.ts';
import { trainLoop } from '../train/loop.ts';
import { causalLm } from '../train/objectives/causal-lm.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts demo [options]

Trains a tiny character-level Transformer on bundled text and prints samples.

options:
  --data FILE         text to train on (default: bundled data/tinyshakespeare/input.txt)
  --arch gpt2|llama   model family (default gpt2)
  --steps N           training steps (default 800; 300 without native kernels)
  --batch N           sequences per step (default 12; 8 without native kernels)
  --block N           sequence length (default 64; 32 without native kernels)
  --layers N          Transformer blocks (default 4; 2 without native kernels)
  --heads N           attention heads (default 4)
  --width N           embedding width (default 128; 64 without native kernels)
  --lr X              peak learning rate (default 3e-3;
                      linear warmup, then cosine decay to lr/10)
  --seed N            seed for init, batches and sampling (default 1337)
  --log-every N       print a line every N steps (default 50)
  --samples N         samples to print after training (default 2)
  --sample-len N      characters per sample (default 300)
  --temperature X     sampling temperature, 0 = greedy (default 0.8)
  --top-k N           sample among the k likeliest characters (default 40)
  -h, --help          this help`;

/** Default recipe with the native kernels (flags override each value). */
const NATIVE_DEFAULTS = { steps: 800, batch: 12, block: 64, layers: 4, width: 128, lr: 3e-3 };
/** Default recipe on the reference backend: small enough to finish in about a minute or two. */
const REFERENCE_DEFAULTS = { steps: 300, batch: 8, block: 32, layers: 2, width: 64, lr: 3e-3 };

/** Path of the bundled Tiny Shakespeare (works from src/cli and from dist/cli). */
function bundledText(): string {
  return fileURLToPath(new URL('../../data/tinyshakespeare/input.txt', import.meta.url));
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('demo', argv, {
    data: { type: 'string' }, arch: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' },
    block: { type: 'string' }, layers: { type: 'string' }, heads: { type: 'string' }, width: { type: 'string' },
    lr: { type: 'string' }, seed: { type: 'string' }, 'log-every': { type: 'string' }, samples: { type: 'string' },
    'sample-len': { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // the reference backend (no native addon) is ~50x slower: a smaller default recipe
  const slow = backend().name === 'reference';
  const d = slow ? REFERENCE_DEFAULTS : NATIVE_DEFAULTS;
  const steps = numberFlag(values.steps, '--steps', d.steps, { int: true, min: 1 });
  const B = numberFlag(values.batch, '--batch', d.batch, { int: true, min: 1 });
  const T = numberFlag(values.block, '--block', d.block, { int: true, min: 1 });
  const nLayer = numberFlag(values.layers, '--layers', d.layers, { int: true, min: 1 });
  const nHead = numberFlag(values.heads, '--heads', 4, { int: true, min: 1 });
  const nEmbd = numberFlag(values.width, '--width', d.width, { int: true, min: 1 });
  const lr = numberFlag(values.lr, '--lr', d.lr, { min: 0 });
  const seed = numberFlag(values.seed, '--seed', 1337, { int: true, min: 0 });
  const logEvery = numberFlag(values['log-every'], '--log-every', 50, { int: true, min: 1 });
  const nSamples = numberFlag(values.samples, '--samples', 2, { int: true, min: 0 });
  const sampleLen = numberFlag(values['sample-len'], '--sample-len', 300, { int: true, min: 1 });
  const temperature = numberFlag(values.temperature, '--temperature', 0.8, { min: 0 });
  const topK = numberFlag(values['top-k'], '--top-k', 40, { int: true, min: 0 });
  const arch = values.arch ?? 'gpt2';
  if (arch !== 'gpt2' && arch !== 'llama') {
    throw new LlmtsError('E_FLAG', `--arch must be gpt2 or llama, got '${arch}'`, { where: '--arch' });
  }

  // ---- data: characters -> ids, 90% train / 10% validation
  const file = values.data ?? bundledText();
  if (!existsSync(file)) {
    throw new LlmtsError('E_NOFILE', `text file not found: ${file}`, { where: '--data', hint: 'pass an existing UTF-8 text file' });
  }
  const text = readFileSync(file, 'utf8');
  const chars = [...new Set(text)].sort();
  if (text.length < 10 * (T + 1)) {
    throw new LlmtsError('E_DATA', `${file} is too short (${text.length} characters) for --block ${T}`, { where: '--data', hint: 'use a longer text or a smaller --block' });
  }
  const index = new Map(chars.map((c, i) => [c, i]));
  const all = Int32Array.from(text, (c) => index.get(c)!);
  const nTrain = Math.floor(all.length * 0.9);
  const train = all.subarray(0, nTrain);
  const val = all.subarray(nTrain);

  // ---- model and optimizer
  const shape = { vocabSize: chars.length, blockSize: T, nLayer, nHead, nEmbd };
  const config = arch === 'gpt2' ? gpt2Config(shape) : llamaConfig(shape);
  const model = createModel(config, { seed });
  const opt = new AdamW(decayGroups(model.namedParameters(), { weightDecay: 0.1 }), { lr, betas: [0.9, 0.99] });
  const schedule = { maxLr: lr, minLr: lr / 10, warmupSteps: Math.min(100, Math.floor(steps / 10)), totalSteps: steps, decay: 'cosine' as const };
  console.log(`demo: ${file.endsWith('input.txt') && !values.data ? 'Tiny Shakespeare' : file}, ${text.length.toLocaleString('en-US')} characters, vocab ${chars.length}`);
  console.log(`model: ${arch}, ${nLayer} layers, ${nHead} heads, ${nEmbd} wide, block ${T}: ${(model.numParameters() / 1e6).toFixed(2)}M parameters; backend ${backend().name} (${backend().getThreads()} threads)`);
  if (slow) console.log('note: no native kernels, so the default recipe is smaller (flags override it)');
  console.log(`training ${steps} steps of ${B}x${T} tokens`);

  // ---- train: the one training loop (src/train/loop.ts) with the causal-LM objective
  const loader = (ids: Int32Array, seedOf: number) => new TokenLoader([Uint32Array.from(ids)], { seed: seedOf, batchSize: B, blockSize: T, where: file });
  const trainLoader = loader(train, seed), valLoader = loader(val, seed + 1);
  const settings = { maxSteps: steps, gradAccum: 1, gradClip: 1, seed, lr, warmupSteps: schedule.warmupSteps, logInterval: logEvery, evalInterval: 0, ckptInterval: 0 };
  const state = { step: 0, tokens: 0, elapsedSec: 0, valLoss: null, loss: null };
  const r = await trainLoop({ model, objective: causalLm, batches: trainLoader, optimizer: opt, schedule, settings, state, log: (line) => console.log(line) });

  // ---- validation loss on a fixed set of windows
  const valLoss = meanLoss(model, causalLm, valLoader.sample(10));
  console.log(`trained in ${r.trainSeconds.toFixed(1)} s | val loss ${valLoss.toFixed(4)}`);

  // ---- samples
  for (let s = 0; s < nSamples; s++) {
    const start = [index.get('\n') ?? 0];
    const out = [...start, ...generate(model, start, { maxTokens: sampleLen, temperature, topK, seed: seed + 100 + s }).ids];
    console.log(`\n--- sample ${s + 1} (temperature ${temperature}, top-k ${topK}) ---`);
    console.log(out.slice(1).map((i) => chars[i]).join(''));
  }
  return 0;
}
