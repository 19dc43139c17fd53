/**
 * `llmts start` (what `npm start` runs): the whole pipeline on bundled text, with
 * sensible defaults for a few minutes on 2 cores:
 *   prepare -> tokenizer -> tokenize -> train (progress bar) -> eval -> samples
 * then prints where the run directory is and how to chat with or continue the model.
 *
 *   npm start
 *   llmts start --corpus shakespeare              # char-level Tiny Shakespeare
 *   llmts start --corpus my1.txt,my2.jsonl --maxSteps=3000
 *   llmts start --preset tiny --maxSteps=50       # any train key as --key=value
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkInputFiles } from '../data/ingest/files.ts';
import { getPreset } from '../models/presets.ts';
import { loadTokenizer } from '../tokenizer/load.ts';
import { readConfigFile, type TrainConfig } from '../train/config.ts';
import { printSamples } from '../infer/samples.ts';
import { bitsPerByte } from '../eval/perplexity.ts';
import { duration } from '../train/loop.ts';
import { planRun, train } from '../train/trainer.ts';
import { LlmtsError } from '../util/errors.ts';
import { parseTrainArgs } from './train.ts';

const HELP = `usage: llmts start [--corpus C] [--preset P] [--config FILE.json] [--key=value ...]

Runs the whole pipeline: prepare -> tokenizer -> tokenize -> train -> eval -> samples,
in a new run directory (runs/start-<corpus>[-N]). The corpus and tokenizer are checked
before anything is written, and a run that fails before its first checkpoint removes the
folders it made.

options:
  --corpus C       tinystories (default: TinyStories with a 1024-token BPE),
                   shakespeare (Tiny Shakespeare, char-level, nanoGPT's recipe),
                   or comma-separated paths of your own text / JSONL files
  --preset P       model preset (default tinystories-tiny; shakespeare-char for shakespeare)
  --tokenizer T    char | bpe:N | a tokenizer name or file (default: the preset's)
  --config FILE    JSON object of train keys
  --key=value      any \`llmts train\` key, e.g. --maxSteps=300 --out=runs/mine
  -h, --help       this help`;

/** The bundled corpora `--corpus` names (src/train/bundled.ts); anything else is a list of files. */
const BUNDLED_CORPORA = ['shakespeare', 'tinystories'];

/**
 * Checks what the run will read, before any folder is made: the corpus files exist and
 * are regular files, and the tokenizer is char, bpe:N or one that loads. A typo fails
 * here, not after an empty run folder was created.
 */
function checkStartInputs(c: TrainConfig): void {
  if (c.data) return; // a tokenized folder of the user's: train checks it before writing
  if (!BUNDLED_CORPORA.includes(c.corpus)) {
    const files = c.corpus.split(',').filter(Boolean);
    if (files.length === 0) throw new LlmtsError('E_FLAG', '--corpus is empty', { where: '--corpus', hint: `use ${BUNDLED_CORPORA.join(', ')}, or comma-separated paths of text/JSONL files` });
    checkInputFiles(files, '--corpus', `use ${BUNDLED_CORPORA.join(' or ')}, or comma-separated paths of existing text/JSONL files`);
  }
  const bpe = /^bpe:(\d+)$/.exec(c.tokenizer);
  if (c.tokenizer === 'char') return;
  if (bpe) {
    if (Number(bpe[1]) < 257) throw new LlmtsError('E_FLAG', `--tokenizer ${c.tokenizer}: a byte-level BPE needs at least 257 ids (256 bytes + <|endoftext|>)`, { where: '--tokenizer', hint: 'e.g. --tokenizer bpe:1024' });
    return;
  }
  if (/^bpe:/.test(c.tokenizer)) throw new LlmtsError('E_FLAG', `--tokenizer ${c.tokenizer}: expected bpe:N with a whole number N`, { where: '--tokenizer', hint: 'e.g. --tokenizer bpe:1024' });
  loadTokenizer(c.tokenizer); // an unknown name or a bad file throws its own LlmtsError
}

/** The outermost folder of `dir` that does not exist yet (what a run creates), or null when `dir` exists. */
function firstMissing(dir: string): string | null {
  let top: string | null = null;
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    top = p;
    if (dirname(p) === p) break;
  }
  return top;
}

/**
 * After a failed run: removes the folders it created when it never reached a checkpoint
 * (nothing to resume from), so a failure such as too little text leaves no half run
 * folder behind, and the next try gets the same name. A run with checkpoints is kept.
 */
function removeFailedRun(created: string | null, runDir: string): void {
  if (created === null || existsSync(join(runDir, 'checkpoints'))) return;
  rmSync(created, { recursive: true, force: true });
}

/** runs/start-<name>, or the first free runs/start-<name>-N. */
function freshRunDir(name: string): string {
  const base = `runs/start-${name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40)}`;
  if (!existsSync(base)) return base;
  for (let i = 2; ; i++) if (!existsSync(`${base}-${i}`)) return `${base}-${i}`;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const t0 = performance.now();
  const o: Record<string, unknown> = { ...args.overrides };
  const corpus = (o.corpus as string | undefined) ?? 'tinystories';
  const preset = (o.preset as string | undefined) ?? (corpus === 'shakespeare' ? 'shakespeare-char' : 'tinystories-tiny');
  const recipe = getPreset(preset).recipe;
  const overrides: Record<string, unknown> = {
    preset, corpus, tokenizer: corpus === 'shakespeare' ? 'char' : recipe.corpus === 'tinystories' ? (recipe.tokenizer ?? 'bpe:1024') : 'bpe:1024',
    samples: '2', sampleTokens: corpus === 'shakespeare' ? '300' : '120', ...o,
  };
  if (overrides.out === undefined) overrides.out = freshRunDir(corpus.includes('/') || corpus.includes(',') ? 'custom' : corpus);
  if (overrides.resume !== undefined) {
    throw new LlmtsError('E_FLAG', 'llmts start always begins a new run', { where: '--resume', hint: 'continue a run with `llmts train --out DIR --resume`' });
  }
  const file = args.config ? readConfigFile(args.config) : undefined;
  const plan = planRun({ file, fileName: args.config, overrides });
  const c = plan.train;
  checkStartInputs(c);
  console.log(`llmts start: ${c.corpus} -> ${c.tokenizer} tokenizer -> ${c.preset} model, ${c.maxSteps} steps -> ${c.out}\n`);

  const created = firstMissing(c.out);
  const ac = new AbortController();
  const onSigint = (): void => {
    if (ac.signal.aborted) process.exit(130);
    console.error('\ninterrupt: saving a checkpoint (Ctrl-C again to quit now)');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  let r;
  try {
    r = await train(plan, { signal: ac.signal });
  } catch (err) {
    removeFailedRun(created, c.out);
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (r.stopped === 'done' && r.valLoss !== null) {
    // bits per byte: nats per token -> bits, times tokens per UTF-8 byte of the validation text
    const valIds = r.data.val.flatMap((s) => Array.from(s));
    const bytes = Buffer.byteLength(r.data.tokenizer.decode(valIds, { skipSpecialTokens: true }));
    const bpb = bitsPerByte(r.valLoss * valIds.length, bytes);
    console.log(`\neval: val loss ${r.valLoss.toFixed(4)} | perplexity ${Math.exp(r.valLoss).toFixed(2)} | ${bpb.toFixed(3)} bits per byte (${valIds.length.toLocaleString('en-US')} tokens, ${bytes.toLocaleString('en-US')} bytes)\n`);
    printSamples(r.model, r.data.tokenizer, { count: c.samples, tokens: c.sampleTokens, seed: c.seed, prompt: c.corpus === 'tinystories' ? 'Once upon a time' : undefined });
  }
  const more = c.maxSteps + Math.max(100, Math.round(c.maxSteps / 2));
  console.log(`
${r.stopped === 'done' ? 'done' : 'stopped'} in ${duration((performance.now() - t0) / 1000)}. Run directory: ${r.runDir}
  loss plot:      ${r.runDir}/loss.html   (metrics in ${r.runDir}/metrics.jsonl)
  generate:       npx llmts generate --model ${r.runDir} --prompt "${c.corpus === 'shakespeare' ? 'ROMEO:' : 'Once upon a time'}"
  chat:           npx llmts chat --model ${r.runDir}
  serve:          npx llmts serve --model ${r.runDir} --runs ${dirname(r.runDir)}   (OpenAI API + web UI at http://127.0.0.1:8080/)
  evaluate:       npx llmts eval --model ${r.runDir} --file FILE
  continue:       npx llmts train --out ${r.runDir} --resume --maxSteps=${more}`);
  return r.stopped === 'done' ? 0 : r.stopped === 'interrupted' ? 130 : 3;
}
