/**
 * `llmts train`: pretrain a decoder by next-token prediction (or an encoder by masked-LM;
 * the encoder-decoder presets train on text pairs).
 *
 *   llmts train --preset shakespeare-char              # nanoGPT's CPU recipe, bundled text
 *   llmts train --preset tiny --maxSteps=50 --out runs/t
 *   llmts train --config my.json --lr=3e-4 --data runs/tok
 *   llmts train --out runs/t --resume                  # continue the newest checkpoint
 *   llmts train --preset shakespeare-char --precision=bf16   # bf16 matrix products (AMX)
 *   llmts train --resume-from runs/a --data runs/b/data --replay runs/a/data:0.25 --out runs/b   # continual pretraining
 *   llmts train --preset translate-en-fr               # an encoder-decoder on text pairs (src/train/seq2seq-recipes.ts)
 */
import { describeKeys, KEYS, camelKey, readConfigFile } from '../train/config.ts';
import { planRun, train } from '../train/trainer.ts';
import { LlmtsError } from '../util/errors.ts';
import { printSamples } from '../infer/samples.ts';
import { isSeq2SeqPreset, runSeq2SeqPreset } from '../train/seq2seq-recipes.ts';

const HELP = `usage: llmts train [--preset P] [--config FILE.json] [--key=value ...] [--resume]

Pretrains a decoder-only Transformer. Settings come from the preset, then the config file
(a JSON object of the keys below), then --key=value flags (kebab-case works too:
--max-steps=500). Unknown keys and malformed values are errors. The resolved config is
printed and saved as <out>/train_config.json.

Without --data, the preset's bundled corpus is prepared and tokenized into <out>/data.
Output in <out>: checkpoints/step-N/ (model.safetensors, config.json, tokenizer.json,
optimizer.safetensors, trainer_state.json), metrics.jsonl, loss.html.
Ctrl-C saves a checkpoint and stops; --resume continues exactly where it stopped.
--precision bf16 multiplies in bf16 with fp32 sums (fast with AMX); weights, optimizer
state and checkpoints stay fp32, and --resume keeps the run's precision.
Continual pretraining: --resume-from M starts a new run from checkpoint M's weights (its
shape and tokenizer; a fresh optimizer, the lr re-warmed over --rewarmSteps and decayed
again); --replay F:R mixes a fraction R of old data F (a token folder with the same
tokenizer) into every batch (repeat --replay, or F:R,G:S, for several).
Encoder-decoder presets (translate-en-fr, summarize-scitldr) train on their bundled text
pairs (--data FILE|DIR for others of the same format) and read only out, resume, data, seed,
batchSize, maxSteps, lr, minLr, warmupSteps, weightDecay, beta2, gradClip, dropout,
logInterval, evalInterval, ckptInterval, keepLast; at the end they write eval.json
(held-apart sacreBLEU / chrF, or SciTLDR dev ROUGE beside Lead-1).

keys:
${describeKeys()}`;

/** Splits argv into `--config`, `--help` and config key/value pairs. */
export function parseTrainArgs(argv: string[]): { help: boolean; config?: string; overrides: Record<string, string> } {
  const overrides: Record<string, string> = {};
  let config: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      help = true;
      continue;
    }
    if (!a.startsWith('--')) {
      throw new LlmtsError('E_FLAG', `unexpected argument '${a}'`, { where: 'llmts train', hint: 'settings are --key=value; run `llmts train --help`' });
    }
    const eq = a.indexOf('=');
    const name = camelKey(a.slice(2, eq < 0 ? undefined : eq));
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (name !== 'config' && name in KEYS && KEYS[name as keyof typeof KEYS].kind === 'boolean') value = 'true';
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i]!;
    else throw new LlmtsError('E_FLAG', `--${name} needs a value`, { where: `--${name}`, hint: `write --${name}=VALUE` });
    if (name === 'config') config = value;
    else if (name === 'replay' && overrides.replay !== undefined) overrides.replay += `,${value}`; // --replay F:R --replay G:S
    else overrides[name] = value;
  }
  return { help, config, overrides };
}

export async function run(argv: string[]): Promise<number> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const file = args.config ? readConfigFile(args.config) : undefined;
  const preset = args.overrides.preset ?? file?.preset;
  if (typeof preset === 'string' && isSeq2SeqPreset(preset)) return trainSeq2SeqPreset(preset, file, args.overrides);
  const plan = planRun({ file, fileName: args.config, overrides: args.overrides });
  return withInterrupt(async (signal) => {
    const r = await train(plan, { signal });
    if (r.stopped === 'done' && plan.train.samples > 0) printSamples(r.model, r.data.tokenizer, { count: plan.train.samples, tokens: plan.train.sampleTokens, seed: plan.train.seed });
    console.log(`run directory: ${r.runDir}  (metrics.jsonl, loss.html, checkpoints/)`);
    return r.stopped;
  });
}

/** Runs `fn` with a signal that the first Ctrl-C aborts (the run saves a checkpoint and stops; a second quits now); the exit code of how it stopped. */
async function withInterrupt(fn: (signal: AbortSignal) => Promise<'done' | 'interrupted' | 'non-finite'>): Promise<number> {
  const ac = new AbortController();
  const onSigint = (): void => {
    if (ac.signal.aborted) process.exit(130);
    console.error('\ninterrupt: finishing this step and saving a checkpoint (Ctrl-C again to quit now)');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const stopped = await fn(ac.signal);
    return stopped === 'done' ? 0 : stopped === 'interrupted' ? 130 : 3;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** An encoder-decoder preset (translate-en-fr, ...): its own run (src/train/seq2seq-recipes.ts). */
async function trainSeq2SeqPreset(preset: string, file: Record<string, unknown> | undefined, overrides: Record<string, string>): Promise<number> {
  return withInterrupt(async (signal) => {
    const r = await runSeq2SeqPreset(preset, { file, overrides, signal });
    console.log(`run directory: ${r.runDir}  (metrics.jsonl, loss.html, eval.json, checkpoints/)`);
    return r.stopped;
  });
}
